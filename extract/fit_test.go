package extract

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

var (
	resizeModes = []string{ResizeCenterCrop, ResizeStretch, ResizePad}
	filterNames = []string{FilterLinear, FilterCatmullRom, FilterLanczos, FilterBox, FilterNearest}
)

func TestFitSize(t *testing.T) {
	sources := map[string]image.Image{
		"1x1":         filled(1, 1, color.White),
		"wide 40x3":   gradient(40, 3),
		"tall 3x40":   gradient(3, 40),
		"small 13x7":  gradient(13, 7),
		"large 300x2": gradient(300, 2),
		"big 320x240": gradient(320, 240),
		"offset gif frame": image.NewPaletted(image.Rect(5, 7, 25, 17),
			color.Palette{color.RGBA{1, 2, 3, 255}}),
		"empty": image.NewNRGBA(image.Rect(0, 0, 0, 0)),
	}
	for name, src := range sources {
		for _, mode := range resizeModes {
			for _, filter := range filterNames {
				t.Run(fmt.Sprintf("%s/%s/%s", name, mode, filter), func(t *testing.T) {
					spec := ImageSpec{Width: 17, Height: 11, Resize: mode, Filter: filter}
					got := Fit(src, spec)
					if got.Bounds() != image.Rect(0, 0, 17, 11) {
						t.Fatalf("Fit bounds = %v, want 17×11 at the origin", got.Bounds())
					}
				})
			}
		}
	}
}

// thirds is a w×h picture whose left third is red, middle third green and
// right third blue.
func thirds(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := []color.NRGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}}[3*x/w]
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

func TestFitModes(t *testing.T) {
	red, green, blue, white := [3]uint8{255, 0, 0}, [3]uint8{0, 255, 0}, [3]uint8{0, 0, 255}, [3]uint8{255, 255, 255}
	tests := []struct {
		name string
		src  image.Image
		spec ImageSpec
		// want lists the color expected at each point of the output.
		want map[image.Point][3]uint8
	}{
		{"center-crop keeps the middle third", thirds(30, 10), ImageSpec{Width: 10, Height: 10, Filter: FilterNearest},
			map[image.Point][3]uint8{{0, 0}: green, {9, 0}: green, {0, 9}: green, {9, 9}: green, {5, 5}: green}},
		{"center-crop of a big image keeps the middle third", thirds(300, 100), ImageSpec{Width: 10, Height: 10, Filter: FilterNearest},
			map[image.Point][3]uint8{{0, 0}: green, {9, 9}: green}},
		{"stretch keeps all thirds", thirds(30, 10), ImageSpec{Width: 9, Height: 9, Resize: ResizeStretch, Filter: FilterNearest},
			map[image.Point][3]uint8{{0, 4}: red, {4, 4}: green, {8, 4}: blue}},
		// 20×10 scaled by 0.4 is 8×4, pasted at y=2: rows 0-1 and 6-7 are white.
		{"pad letterboxes on white", filled(20, 10, color.NRGBA{255, 0, 0, 255}), ImageSpec{Width: 8, Height: 8, Resize: ResizePad, Filter: FilterNearest},
			map[image.Point][3]uint8{{0, 0}: white, {7, 1}: white, {0, 2}: red, {7, 5}: red, {3, 6}: white, {3, 7}: white}},
		{"pad pillarboxes on white", filled(10, 20, color.NRGBA{0, 0, 255, 255}), ImageSpec{Width: 8, Height: 8, Resize: ResizePad, Filter: FilterNearest},
			map[image.Point][3]uint8{{0, 0}: white, {1, 7}: white, {2, 0}: blue, {5, 7}: blue, {6, 3}: white, {7, 3}: white}},
		{"pad scales small images up", filled(2, 2, color.NRGBA{0, 255, 0, 255}), ImageSpec{Width: 8, Height: 8, Resize: ResizePad, Filter: FilterNearest},
			map[image.Point][3]uint8{{0, 0}: green, {7, 7}: green}},
		{"empty image gives white", image.NewNRGBA(image.Rect(0, 0, 0, 0)), ImageSpec{Width: 4, Height: 4},
			map[image.Point][3]uint8{{0, 0}: white, {3, 3}: white}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Fit(tt.src, tt.spec)
			for p, want := range tt.want {
				if c := rgbAt(got, p.X, p.Y); c != want {
					t.Errorf("pixel %v = %v, want %v", p, c, want)
				}
			}
		})
	}
}

// A 1-pixel-wide strip makes imaging.Fill build a huge intermediate image
// (224 × 44.8 million here) unless Fit crops the long axis first.
func TestFitExtremeAspectRatio(t *testing.T) {
	const long = 200_000
	tall := filled(1, long, color.NRGBA{255, 0, 0, 255})
	wide := filled(long, 1, color.NRGBA{255, 0, 0, 255})
	for i := long/2 - 1000; i < long/2+1000; i++ {
		tall.SetNRGBA(0, i, color.NRGBA{0, 255, 0, 255})
		wide.SetNRGBA(i, 0, color.NRGBA{0, 255, 0, 255})
	}
	for name, src := range map[string]image.Image{"1x200000": tall, "200000x1": wide} {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			got := Fit(src, ImageSpec{Width: 224, Height: 224})
			runtime.ReadMemStats(&after)
			if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
				t.Errorf("Fit allocated %d MiB, want under 64 MiB", n>>20)
			}
			if got.Bounds() != image.Rect(0, 0, 224, 224) {
				t.Fatalf("bounds = %v", got.Bounds())
			}
			for _, p := range []image.Point{{0, 0}, {112, 112}, {223, 223}} {
				if c := rgbAt(got, p.X, p.Y); c != [3]uint8{0, 255, 0} {
					t.Errorf("pixel %v = %v, want the green centre", p, c)
				}
			}
		})
	}
}

func TestFitPanicsOnInvalidSpec(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Fit with an unknown resize mode did not panic")
		}
	}()
	Fit(gradient(4, 4), ImageSpec{Width: 2, Height: 2, Resize: "zoom"})
}

type fitCase struct {
	name string
	src  image.Image
	spec ImageSpec
}

// fitGoldenCases are the rows of testdata/fit.golden.png, top to bottom:
// every resize mode with every filter, on a small source (imaging.Fill
// resizes, then crops) and a large one (it crops, then resizes).
func fitGoldenCases() []fitCase {
	var cases []fitCase
	for _, src := range []image.Image{gradient(30, 14), gradient(150, 100)} {
		for _, mode := range resizeModes {
			for _, filter := range filterNames {
				cases = append(cases, fitCase{
					name: fmt.Sprintf("%v/%s/%s", src.Bounds().Size(), mode, filter),
					src:  src,
					spec: ImageSpec{Width: 12, Height: 9, Resize: mode, Filter: filter},
				})
			}
		}
	}
	return cases
}

// TestFitGolden compares every mode and filter against a contact sheet under
// testdata/. Run with -update after an intended change and look at the PNG.
// Pixels may differ by one level: the resampler sums in float64 and some
// CPUs fuse its multiply-adds.
func TestFitGolden(t *testing.T) {
	cases := fitGoldenCases()
	sheet := image.NewNRGBA(image.Rect(0, 0, 12, 9*len(cases)))
	for i, c := range cases {
		draw.Draw(sheet, image.Rect(0, 9*i, 12, 9*i+9), Fit(c.src, c.spec), image.Point{}, draw.Src)
	}
	path := filepath.Join("testdata", "fit.golden.png")
	if *update {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, sheet); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := png.Decode(mustOpen(t, path))
	if err != nil {
		t.Fatal(err)
	}
	if golden.Bounds() != sheet.Bounds() {
		t.Fatalf("golden is %v, output %v: run go test -update", golden.Bounds(), sheet.Bounds())
	}
	for i, c := range cases {
		for y := 9 * i; y < 9*i+9; y++ {
			for x := range 12 {
				if got, want := rgbAt(sheet, x, y), rgbAt(golden, x, y); !near(got, want, 1) {
					t.Errorf("%s: pixel (%d,%d) = %v, golden %v", c.name, x, y-9*i, got, want)
				}
			}
		}
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
