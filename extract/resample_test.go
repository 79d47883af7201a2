package extract

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/itemvec/itemvec/internal/testdeps"
)

// scene is a w×h photo-like picture: smooth gradients, fine noise, and
// hard edges (a disc and stripes) where the sharp filters overshoot.
func scene(w, h int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	cx, cy, rad := float64(w)*0.6, float64(h)*0.4, float64(min(w, h))/4
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			r := 40 + 170*fx + 20*math.Sin(fy*9)
			g := 60 + 150*fy
			b := 128 + 100*math.Sin((fx+fy)*7)
			if dx, dy := float64(x)-cx, float64(y)-cy; dx*dx+dy*dy < rad*rad {
				r, g, b = 250, 245, 20
			}
			if x*7/w == 1 && (y/3)%2 == 0 {
				r, g, b = 5, 5, 5
			}
			n := rng.Float64()*24 - 12
			m.SetNRGBA(x, y, color.NRGBA{R: byteOf(r + n), G: byteOf(g + n), B: byteOf(b - n), A: 0xFF})
		}
	}
	return m
}

func byteOf(v float64) uint8 { return uint8(min(max(math.Round(v), 0), 255)) }

// toGray is m as an *image.Gray.
func toGray(m image.Image) *image.Gray {
	g := image.NewGray(m.Bounds())
	draw.Draw(g, g.Bounds(), m, m.Bounds().Min, draw.Src)
	return g
}

// toYCbCr is m as an *image.YCbCr with the given subsampling at offset
// (dx, dy), each chroma sample taken from the top-left pixel of its block.
func toYCbCr(m image.Image, ratio image.YCbCrSubsampleRatio, dx, dy int) *image.YCbCr {
	b := m.Bounds()
	r := b.Add(image.Pt(dx, dy))
	out := image.NewYCbCr(r, ratio)
	set := make([]bool, len(out.Cb))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.NRGBAModel.Convert(m.At(x-dx, y-dy)).(color.NRGBA)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			out.Y[out.YOffset(x, y)] = yy
			if ci := out.COffset(x, y); !set[ci] {
				out.Cb[ci], out.Cr[ci], set[ci] = cb, cr, true
			}
		}
	}
	return out
}

// decodeJPEGOf is m encoded with image/jpeg and decoded with DecodeImage.
func decodeJPEGOf(t testing.TB, m image.Image) image.Image {
	t.Helper()
	img, err := DecodeImage(encodeJPEG(t, m), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// imagenet is the usual ImageNet normalisation, which makes the three
// channels' scales differ.
func imagenet(w, h int) ImageSpec {
	return ImageSpec{Width: w, Height: h,
		Mean: [3]float32{0.485, 0.456, 0.406}, Std: [3]float32{0.229, 0.224, 0.225}}
}

// tensorDiff is how far two tensors for spec differ, in pixel levels:
// each float difference divided by its channel's 1/(Scale·Std).
type tensorDiff struct {
	max, mean float64
	over      int // values more than half a level apart
}

func diffLevels(spec ImageSpec, got, want []float32) tensorDiff {
	chans := [3]int{0, 1, 2}
	if spec.ChannelOrder == ChannelsBGR {
		chans = [3]int{2, 1, 0}
	}
	plane := spec.Width * spec.Height
	var d tensorDiff
	var sum float64
	for i := range want {
		k := i % 3
		if spec.Layout == LayoutNCHW {
			k = i / plane
		}
		a := 1 / (float64(spec.Scale) * float64(spec.Std[chans[k]]))
		v := math.Abs(float64(got[i])-float64(want[i])) / a
		sum += v
		d.max = max(d.max, v)
		if v > 0.5 {
			d.over++
		}
	}
	d.mean = sum / float64(len(want))
	return d
}

// oldTensor is the path tensor replaces: Tensor(Fit(img, spec)).
func oldTensor(img image.Image, spec ImageSpec) []float32 {
	out := make([]float32, spec.TensorSize())
	Tensor(Fit(img, spec), spec, out)
	return out
}

// resampleSource is one picture the comparison runs on.
type resampleSource struct {
	name string
	img  image.Image
}

// syntheticSources are scene pictures of the given sizes as NRGBA, as a
// 4:2:0 YCbCr (image/jpeg and back through DecodeImage) and as Gray.
func syntheticSources(t *testing.T, sizes ...[2]int) []resampleSource {
	t.Helper()
	var out []resampleSource
	for _, s := range sizes {
		m := scene(s[0], s[1], uint64(s[0]*s[1]))
		y := decodeJPEGOf(t, m)
		if ycc, ok := y.(*image.YCbCr); !ok || ycc.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			t.Fatalf("image/jpeg round trip gave %T, want a 4:2:0 *image.YCbCr", y)
		}
		size := fmt.Sprintf("%dx%d", s[0], s[1])
		out = append(out,
			resampleSource{"nrgba/" + size, m},
			resampleSource{"ycbcr420/" + size, y},
			resampleSource{"gray/" + size, toGray(m)})
	}
	return out
}

// photoSources are the sample catalog's images and the committed
// testdata images, as DecodeImage returns them.
func photoSources(t *testing.T) []resampleSource {
	t.Helper()
	dir := testdeps.Require(t, "catalog/images")[0]
	paths, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"blue-purple-pink.lossy.webp", "gopher-doc.with-alpha.lossless.webp", "video-001.cmyk.crop.jpeg"} {
		paths = append(paths, filepath.Join("testdata", name))
	}
	var out []resampleSource
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := DecodeImage(data, Limits{})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		kind := strings.ToLower(strings.TrimPrefix(fmt.Sprintf("%T", img), "*image."))
		if y, ok := img.(*image.YCbCr); ok {
			kind += strings.TrimPrefix(y.SubsampleRatio.String(), "YCbCrSubsampleRatio")
		}
		b := img.Bounds()
		out = append(out, resampleSource{fmt.Sprintf("%s/%s/%dx%d", filepath.Base(p), kind, b.Dx(), b.Dy()), img})
	}
	if len(out) < 10 {
		t.Fatalf("found only %d sample images under %s", len(out), dir)
	}
	return out
}

// small reports whether img has a side under 100 px, where imaging.Fill
// resizes before it crops.
func small(img image.Image) bool {
	b := img.Bounds()
	return b.Dx() < 100 || b.Dy() < 100
}

// layoutOrders are the four tensor layouts × channel orders.
var layoutOrders = [][2]string{
	{LayoutNCHW, ChannelsRGB}, {LayoutNCHW, ChannelsBGR}, {LayoutNHWC, ChannelsRGB}, {LayoutNHWC, ChannelsBGR},
}

// compareWithOldPath runs tensor and the old path on every source for
// every resize mode and filter at the given target sizes, and fails a case
// that is more than one pixel level off. With every, each case runs in all
// four layouts × channel orders; otherwise the cases take turns, so the
// four still all occur. Each source is a parallel subtest.
func compareWithOldPath(t *testing.T, sources []resampleSource, every bool, targets ...[2]int) {
	t.Helper()
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			t.Parallel()
			var r resampler
			n := 0
			for _, target := range targets {
				for _, mode := range resizeModes {
					for _, filter := range filterNames {
						base := imagenet(target[0], target[1])
						base.Resize, base.Filter = mode, filter
						los := layoutOrders
						if !every {
							los = layoutOrders[n%4 : n%4+1]
						}
						n++
						compareCase(t, &r, src.img, base, los, fmt.Sprintf("%dx%d/%s/%s", target[0], target[1], mode, filter))
					}
				}
			}
		})
	}
}

// compareCase compares tensor with the old path for base in the given
// layouts and channel orders, and logs the largest difference.
func compareCase(t *testing.T, r *resampler, img image.Image, base ImageSpec, los [][2]string, name string) {
	t.Helper()
	fitted := Fit(img, base)
	var worst tensorDiff
	for _, lo := range los {
		spec := base
		spec.Layout, spec.ChannelOrder = lo[0], lo[1]
		spec = spec.WithDefaults()
		want := make([]float32, spec.TensorSize())
		Tensor(fitted, spec, want)
		got := make([]float32, spec.TensorSize())
		r.tensor(img, spec, got)
		d := diffLevels(spec, got, want)
		if !(d.max <= 1+1e-3) {
			t.Errorf("%s/%s/%s: max difference %.3f levels (mean %.4f, %d values over half a level), want ≤ 1",
				name, lo[0], lo[1], d.max, d.mean, d.over)
		}
		if d.max > worst.max || d.mean > worst.mean {
			worst = d
		}
	}
	note := ""
	if small(img) {
		note = " (small source)"
	}
	t.Logf("%s: max %.3f mean %.5f levels, %d values off%s", name, worst.max, worst.mean, worst.over, note)
}

func TestResamplerMatchesFitTensor(t *testing.T) {
	t.Run("synthetic", func(t *testing.T) {
		compareWithOldPath(t, syntheticSources(t, [2]int{640, 480}, [2]int{480, 640}, [2]int{300, 300}, [2]int{224, 224}, [2]int{60, 40}), true,
			[2]int{224, 224}, [2]int{160, 240}, [2]int{320, 320})
		compareWithOldPath(t, syntheticSources(t, [2]int{1600, 1200}, [2]int{225, 1000}), true, [2]int{224, 224})
	})
	t.Run("photos", func(t *testing.T) {
		compareWithOldPath(t, photoSources(t), false, [2]int{224, 224})
	})
}

// TestResamplerSourceTypes checks the per-type row readers against what
// imaging's scanner gives: every YCbCr subsampling, images not at the
// origin, sub-images, RGBA, and the generic path.
func TestResamplerSourceTypes(t *testing.T) {
	m := scene(333, 257, 7)
	sub := func(img image.Image, r image.Rectangle) image.Image {
		return img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(r)
	}
	var sources []resampleSource
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		name := strings.TrimPrefix(ratio.String(), "YCbCrSubsampleRatio")
		y := toYCbCr(m, ratio, 3, 5)
		sources = append(sources,
			resampleSource{"ycbcr" + name + "/at(3,5)", y},
			resampleSource{"ycbcr" + name + "/sub(6,8)-(300,240)", sub(y, image.Rect(6, 8, 300, 240))},
			resampleSource{"ycbcr" + name + "/sub(7,9)-(301,241)", sub(y, image.Rect(7, 9, 301, 241))})
	}
	rgba := image.NewRGBA(m.Bounds())
	draw.Draw(rgba, rgba.Bounds(), m, image.Point{}, draw.Src)
	nrgba64 := image.NewNRGBA64(m.Bounds())
	draw.Draw(nrgba64, nrgba64.Bounds(), m, image.Point{}, draw.Src)
	sources = append(sources,
		resampleSource{"nrgba/sub(11,13)-(320,250)", m.SubImage(image.Rect(11, 13, 320, 250))},
		resampleSource{"gray/sub(11,13)-(320,250)", toGray(m).SubImage(image.Rect(11, 13, 320, 250))},
		resampleSource{"rgba", rgba},
		resampleSource{"nrgba64 (generic)", nrgba64},
		resampleSource{"cmyk (generic)", func() image.Image {
			c := image.NewCMYK(m.Bounds())
			draw.Draw(c, c.Bounds(), m, image.Point{}, draw.Src)
			return c
		}()},
	)
	compareWithOldPath(t, sources, false, [2]int{224, 224})
}

// overWhiteCopy is m composited onto white the way Tensor does.
func overWhiteCopy(m *image.NRGBA) *image.NRGBA {
	out := image.NewNRGBA(m.Bounds())
	for i := 0; i < len(m.Pix); i += 4 {
		a := m.Pix[i+3]
		for c := range 3 {
			out.Pix[i+c] = overWhite(m.Pix[i+c], a)
		}
		out.Pix[i+3] = 0xFF
	}
	return out
}

// TestResamplerTranslucent checks that translucent pixels are composited
// onto white before resampling: the result is the old path's on the
// composited image.
func TestResamplerTranslucent(t *testing.T) {
	m := scene(320, 240, 3)
	for i := 3; i < len(m.Pix); i += 4 {
		px := i / 4
		m.Pix[i] = uint8([]int{0, 40, 128, 255, 255}[(px%320/16+px/320/16)%5])
	}
	rgba := image.NewRGBA(m.Bounds())
	draw.Draw(rgba, rgba.Bounds(), m, image.Point{}, draw.Src)
	paletted := image.NewPaletted(m.Bounds(), color.Palette{
		color.NRGBA{200, 10, 10, 0x80}, color.NRGBA{10, 200, 10, 0xFF}, color.NRGBA{0, 0, 0, 0}})
	for y := range 240 {
		for x := range 320 {
			paletted.SetColorIndex(x, y, uint8((x/5+y/7)%3))
		}
	}
	cases := []struct {
		name      string
		img, flat image.Image
	}{
		{"nrgba", m, overWhiteCopy(m)},
		{"rgba", rgba, flatten(rgba)},
		{"paletted (generic)", paletted, overWhiteCopy(nrgbaCopy(paletted))},
	}
	for _, c := range cases {
		for _, mode := range resizeModes {
			for _, filter := range filterNames {
				spec := imagenet(224, 224)
				spec.Resize, spec.Filter = mode, filter
				spec = spec.WithDefaults()
				got := make([]float32, spec.TensorSize())
				var r resampler
				r.tensor(c.img, spec, got)
				d := diffLevels(spec, got, oldTensor(c.flat, spec))
				if !(d.max <= 1+1e-3) {
					t.Errorf("%s/%s/%s: max difference %.3f levels from the composited image's old path, want ≤ 1",
						c.name, mode, filter, d.max)
				}
			}
		}
	}
}

// nrgbaCopy is img's pixels as non-premultiplied NRGBA.
func nrgbaCopy(img image.Image) *image.NRGBA {
	out := image.NewNRGBA(img.Bounds())
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.Set(x, y, img.At(x, y))
		}
	}
	return out
}

// TestResamplerReuse checks that one resampler run over changing sources
// and specs gives what a fresh one gives, bit for bit (the weight cache
// and the scratch carry nothing over), and that dst past the tensor is
// left alone.
func TestResamplerReuse(t *testing.T) {
	a, b := scene(640, 480, 1), scene(480, 640, 2)
	ya := decodeJPEGOf(t, a)
	specs := []ImageSpec{imagenet(224, 224), imagenet(160, 240), imagenet(224, 224)}
	specs[1].Filter, specs[1].Layout = FilterLanczos, LayoutNHWC
	specs[2].Resize, specs[2].ChannelOrder = ResizePad, ChannelsBGR
	var reused resampler
	for round := range 2 {
		for _, img := range []image.Image{a, b, ya, a.SubImage(image.Rect(1, 0, 641, 480))} {
			for _, spec := range specs {
				spec = spec.WithDefaults()
				n := spec.TensorSize()
				got := make([]float32, n+5)
				for i := range got {
					got[i] = -7
				}
				reused.tensor(img, spec, got)
				want := make([]float32, n)
				var fresh resampler
				fresh.tensor(img, spec, want)
				if !slices.Equal(got[:n], want) {
					t.Fatalf("round %d, %v %+v: the reused resampler differs from a fresh one", round, img.Bounds(), spec)
				}
				if !slices.Equal(got[n:], []float32{-7, -7, -7, -7, -7}) {
					t.Fatalf("tensor wrote past TensorSize: %v", got[n:])
				}
			}
		}
	}
}

func TestResamplerEmptySourceIsWhite(t *testing.T) {
	spec := imagenet(8, 4)
	spec.Layout = LayoutNHWC
	spec = spec.WithDefaults()
	got := make([]float32, spec.TensorSize())
	var r resampler
	r.tensor(image.NewNRGBA(image.Rect(3, 3, 3, 9)), spec, got)
	for i, v := range got {
		c := i % 3
		if want := (1 - spec.Mean[c]) / spec.Std[c]; v != want {
			t.Fatalf("value %d = %v, want white's %v", i, v, want)
		}
	}
}

// TestResamplerPadBorder checks pad's geometry directly: a black source
// wider than the target leaves white bands above and below, placed as
// imaging.PasteCenter places them.
func TestResamplerPadBorder(t *testing.T) {
	spec := ImageSpec{Width: 7, Height: 6, Resize: ResizePad, Scale: 1}.WithDefaults()
	src := filled(700, 300, color.Black) // 7×3 after scaling, pasted at y = 6/2 - 3/2 = 2
	got := make([]float32, spec.TensorSize())
	var r resampler
	r.tensor(src, spec, got)
	for i, v := range got {
		y := i % 42 / 7
		want := float32(255)
		if y >= 2 && y < 5 {
			want = 0
		}
		if v != want {
			t.Fatalf("value %d (row %d) = %v, want %v", i, y, v, want)
		}
	}
}

func TestResamplerSteadyStateAllocatesNothing(t *testing.T) {
	m := scene(640, 480, 5)
	sources := []resampleSource{
		{"nrgba", m},
		{"ycbcr420", decodeJPEGOf(t, m)},
		{"gray", toGray(m)},
	}
	for _, src := range sources {
		for _, mode := range resizeModes {
			for _, filter := range []string{FilterLinear, FilterLanczos, FilterNearest} {
				spec := imagenet(224, 224)
				spec.Resize, spec.Filter = mode, filter
				spec = spec.WithDefaults()
				dst := make([]float32, spec.TensorSize())
				var r resampler
				r.tensor(src.img, spec, dst)
				allocs := testing.AllocsPerRun(5, func() { r.tensor(src.img, spec, dst) })
				if allocs != 0 {
					t.Errorf("%s/%s/%s: %v allocations per call in steady state, want 0", src.name, mode, filter, allocs)
				}
			}
		}
	}
}

func benchSpec() ImageSpec { return imagenet(224, 224).WithDefaults() }

func BenchmarkResampleTensor(b *testing.B) {
	for _, size := range [][2]int{{640, 480}, {400, 300}} {
		src := photoLike(size[0], size[1])
		spec := benchSpec()
		dst := make([]float32, spec.TensorSize())
		b.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(b *testing.B) {
			b.ReportAllocs()
			var r resampler
			for b.Loop() {
				r.tensor(src, spec, dst)
			}
		})
	}
}

func BenchmarkFitTensor(b *testing.B) {
	for _, size := range [][2]int{{640, 480}, {400, 300}} {
		src := photoLike(size[0], size[1])
		spec := benchSpec()
		dst := make([]float32, spec.TensorSize())
		b.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Tensor(Fit(src, spec), spec, dst)
			}
		})
	}
}
