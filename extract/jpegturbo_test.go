//go:build cgo && !itemvec_purego

package extract

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/internal/testdeps"
)

// turboTextured is a w×h picture with what makes a photo hard to compress
// and to decode the same way twice: smooth gradients, sharp-edged blocks
// of saturated colour (chroma edges, where upsampling methods differ) and
// per-pixel noise.
func turboTextured(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	for y := range h {
		for x := range w {
			r, g, b := x*200/w+20, y*200/h+20, 128
			if (x/(w/8+1)+y/(h/6+1))%3 == 0 {
				r, g, b = 220, 40, 60
			}
			n := int(rng.IntN(33)) - 16
			m.SetNRGBA(x, y, color.NRGBA{clamp8(r + n), clamp8(g + n), clamp8(b - n), 0xFF})
		}
	}
	return m
}

func clamp8(v int) uint8 { return uint8(min(max(v, 0), 255)) }

// cjpeg encodes img with libjpeg-turbo's cjpeg and the given options, for
// what image/jpeg cannot write: progressive scans, 4:4:4 and 4:2:2
// subsampling, restart markers. A missing cjpeg skips the test, or fails it
// under ITEMVEC_REQUIRE_DEPS=1.
func cjpeg(t testing.TB, img *image.NRGBA, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("cjpeg")
	if err != nil {
		testdeps.Missing(t, "cjpeg is not installed: apt-get install libjpeg-turbo-progs")
	}
	b := img.Bounds()
	ppm := fmt.Appendf(nil, "P6\n%d %d\n255\n", b.Dx(), b.Dy())
	for y := range b.Dy() {
		for x := range b.Dx() {
			c := img.NRGBAAt(x, y)
			ppm = append(ppm, c.R, c.G, c.B)
		}
	}
	in := filepath.Join(t.TempDir(), "in.ppm")
	if err := os.WriteFile(in, ppm, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, stderr bytes.Buffer
	cmd := exec.Command(bin, append(args, in)...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("cjpeg %v: %v: %s", args, err, stderr.Bytes())
	}
	return out.Bytes()
}

// imageDiff is how far apart two decodes of one image are, over the RGB
// channels as composited by rgbAt.
type imageDiff struct {
	mean    float64 // mean absolute difference per channel
	max     int     // largest absolute difference in any channel
	lumaMax int     // largest absolute difference in luma (BT.601)
}

func (d imageDiff) String() string {
	return fmt.Sprintf("mean |diff| %.3f, max %d, luma max %d (of 255)", d.mean, d.max, d.lumaMax)
}

func diffImages(t testing.TB, got, want image.Image) imageDiff {
	t.Helper()
	if got.Bounds().Size() != want.Bounds().Size() {
		t.Fatalf("size %v, want %v", got.Bounds().Size(), want.Bounds().Size())
	}
	var d imageDiff
	var sum int
	luma := func(c [3]uint8) int { return (299*int(c[0]) + 587*int(c[1]) + 114*int(c[2]) + 500) / 1000 }
	w, h := got.Bounds().Dx(), got.Bounds().Dy()
	for y := range h {
		for x := range w {
			a, b := rgbAt(got, x, y), rgbAt(want, x, y)
			for c := range a {
				diff := abs(int(a[c]) - int(b[c]))
				sum += diff
				d.max = max(d.max, diff)
			}
			d.lumaMax = max(d.lumaMax, abs(luma(a)-luma(b)))
		}
	}
	d.mean = float64(sum) / float64(3*w*h)
	return d
}

func abs(v int) int { return max(v, -v) }

// checkTurboImage checks the invariants of every decodeJPEGScaled result:
// origin at (0, 0), a tight stride, and opaque.
func checkTurboImage(t testing.TB, img *image.NRGBA) {
	t.Helper()
	b := img.Bounds()
	if b.Min != (image.Point{}) || img.Stride != 4*b.Dx() || len(img.Pix) != 4*b.Dx()*b.Dy() {
		t.Fatalf("image rect %v, stride %d, %d bytes: want origin 0,0, stride 4×width, 4×pixels bytes",
			b, img.Stride, len(img.Pix))
	}
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] != 0xFF {
			t.Fatalf("alpha at byte %d = %d, want 255", i, img.Pix[i])
		}
	}
}

func TestTurboScalingFactors(t *testing.T) {
	want := []turboScale{{1, 1}, {1, 2}, {1, 4}, {1, 8}}
	got := turboScales()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("turboScales() = %v, want %v", got, want)
	}
}

func TestDecodeJPEGScaledChoosesScale(t *testing.T) {
	big := encodeJPEG(t, turboTextured(1600, 1200))
	small := encodeJPEG(t, turboTextured(300, 300))
	odd := encodeJPEG(t, turboTextured(1001, 999))
	tests := []struct {
		name       string
		data       []byte
		minW, minH int
		want       image.Point
	}{
		{"1600×1200 for 224×224: 1/4", big, 224, 224, image.Pt(400, 300)},
		{"1600×1200 for 300×300: still 1/4", big, 300, 300, image.Pt(400, 300)},
		{"1600×1200 for 301×301: 1/2", big, 301, 301, image.Pt(800, 600)},
		{"1600×1200 for 448×448: 1/2", big, 448, 448, image.Pt(800, 600)},
		{"1600×1200 for 600×600: 1/2", big, 600, 600, image.Pt(800, 600)},
		{"1600×1200 for 601×601: full, not 7/8", big, 601, 601, image.Pt(1600, 1200)},
		{"1600×1200 for 1×1: 1/8", big, 1, 1, image.Pt(200, 150)},
		{"1600×1200 for 201×1: 1/4, the width decides", big, 201, 1, image.Pt(400, 300)},
		{"1600×1200 for 1×301: 1/2, the height decides", big, 1, 301, image.Pt(800, 600)},
		{"1600×1200 for 1601×10: full, never upscaled", big, 1601, 10, image.Pt(1600, 1200)},
		{"1600×1200 min 0: full", big, 0, 0, image.Pt(1600, 1200)},
		{"1600×1200 min width 0: full", big, 0, 224, image.Pt(1600, 1200)},
		{"1600×1200 negative min: full", big, -1, -1, image.Pt(1600, 1200)},
		{"300×300 for 224×224: full, not 7/8", small, 224, 224, image.Pt(300, 300)},
		{"300×300 for 150×150: 1/2", small, 150, 150, image.Pt(150, 150)},
		{"1001×999 for 125×125: 1/8, rounded up", odd, 125, 125, image.Pt(126, 125)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, full, err := decodeJPEGScaled(tt.data, tt.minW, tt.minH, Limits{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkTurboImage(t, img)
			if got := img.Bounds().Size(); got != tt.want {
				t.Errorf("size = %v, want %v", got, tt.want)
			}
			ref, err := DecodeImage(tt.data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if full != ref.Bounds().Size() {
				t.Errorf("full = %v, want the stored size %v", full, ref.Bounds().Size())
			}
			// The DCT-domain downscale is a good downscale: close to a
			// box filter over Go's full-size decode.
			boxed := imaging.Resize(ref, tt.want.X, tt.want.Y, imaging.Box)
			if mean := diffImages(t, img, boxed).mean; mean > 6 {
				t.Errorf("mean difference from Go's decode box-filtered to %v = %.2f, want ≤ 6", tt.want, mean)
			}
		})
	}
}

// libjpeg-turbo and image/jpeg decode one file slightly differently: their
// IDCTs round differently (at most 3 levels apart here), and for subsampled
// chroma libjpeg interpolates where Go repeats each chroma sample, which
// moves colours at sharp colour edges by up to a third of the range but
// leaves luma alone. A wrong channel order, row order or colour conversion
// is off by far more.
func TestDecodeJPEGScaledMatchesDecodeImage(t *testing.T) {
	photo := turboTextured(256, 192)
	gray := image.NewGray(photo.Bounds())
	for y := range 192 {
		for x := range 256 {
			gray.SetGray(x, y, color.GrayModel.Convert(photo.At(x, y)).(color.Gray))
		}
	}
	exact := imageDiff{mean: 0.5, max: 3, lumaMax: 3}      // full-resolution chroma
	subsampled := imageDiff{mean: 4, max: 100, lumaMax: 6} // interpolated chroma
	tests := []struct {
		name  string
		data  func(t *testing.T) []byte
		bound imageDiff
	}{
		{"baseline 4:2:0 (image/jpeg)", func(t *testing.T) []byte { return encodeJPEG(t, photo) }, subsampled},
		{"grayscale (image/jpeg)", func(t *testing.T) []byte { return encodeJPEG(t, gray) }, exact},
		{"baseline 4:4:4", func(t *testing.T) []byte { return cjpeg(t, photo, "-quality", "92", "-sample", "1x1") }, exact},
		{"baseline 4:2:2", func(t *testing.T) []byte { return cjpeg(t, photo, "-quality", "92", "-sample", "2x1") }, subsampled},
		{"progressive 4:2:0", func(t *testing.T) []byte { return cjpeg(t, photo, "-quality", "92", "-progressive") }, subsampled},
		{"progressive 4:4:4", func(t *testing.T) []byte {
			return cjpeg(t, photo, "-quality", "92", "-progressive", "-sample", "1x1")
		}, exact},
		{"restart markers every row", func(t *testing.T) []byte {
			return cjpeg(t, photo, "-quality", "92", "-restart", "1", "-sample", "1x1")
		}, exact},
		{"optimised Huffman tables", func(t *testing.T) []byte { return cjpeg(t, photo, "-optimize", "-sample", "1x1") }, exact},
		{"CMYK (Adobe, testdata)", func(t *testing.T) []byte { return readTestdata(t, "video-001.cmyk.crop.jpeg") }, exact},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data(t)
			img, full, err := decodeJPEGScaled(data, 0, 0, Limits{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkTurboImage(t, img)
			ref, err := DecodeImage(data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if full != ref.Bounds().Size() {
				t.Errorf("full = %v, want %v", full, ref.Bounds().Size())
			}
			d := diffImages(t, img, ref)
			t.Logf("%v: %v", full, d)
			if d.mean > tt.bound.mean || d.max > tt.bound.max || d.lumaMax > tt.bound.lumaMax {
				t.Errorf("differs from DecodeImage by %v; want at most %v", d, tt.bound)
			}
		})
	}
}

// jpegtran rewrites a JPEG's entropy coding without touching its DCT
// coefficients (progressive scans, restart markers), so the result must
// decode to exactly the same pixels.
func jpegtran(t testing.TB, data []byte, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("jpegtran")
	if err != nil {
		testdeps.Missing(t, "jpegtran is not installed: apt-get install libjpeg-turbo-progs")
	}
	var out, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(data), &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("jpegtran %v: %v: %s", args, err, stderr.Bytes())
	}
	return out.Bytes()
}

// Progressive and restart-marker versions of a baseline JPEG decode to the
// very pixels of the baseline, at full size and scaled. That includes
// progressive JPEGs with restart markers, which image/jpeg refuses
// ("missing 0xff00 sequence"), as the last case checks.
func TestDecodeJPEGScaledLosslessTranscodes(t *testing.T) {
	baseline := encodeJPEG(t, turboTextured(256, 192))
	tests := []struct {
		name     string
		args     []string
		goRefuse bool
	}{
		{"progressive", []string{"-progressive"}, false},
		{"restart every row", []string{"-restart", "1"}, false},
		{"restart every 2 MCUs", []string{"-restart", "2B"}, false},
		{"progressive, restart every row", []string{"-progressive", "-restart", "1"}, true},
		{"progressive, restart every 2 MCUs", []string{"-progressive", "-restart", "2B"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := jpegtran(t, baseline, tt.args...)
			for _, m := range []int{0, 100, 40} { // 1/1, 1/2, 1/4
				want, _, err := decodeJPEGScaled(baseline, m, m, Limits{}, nil)
				if err != nil {
					t.Fatal(err)
				}
				got, _, err := decodeJPEGScaled(data, m, m, Limits{}, nil)
				if err != nil {
					t.Fatalf("min %d: %v", m, err)
				}
				if got.Bounds() != want.Bounds() || !bytes.Equal(got.Pix, want.Pix) {
					t.Errorf("min %d: %v image differs from the baseline's %v decode", m, got.Bounds(), want.Bounds())
				}
			}
			if _, err := DecodeImage(data, Limits{}); (err != nil) != tt.goRefuse {
				t.Errorf("DecodeImage error %v; want an error: %v", err, tt.goRefuse)
			}
		})
	}
}

// The EXIF orientation is applied after scaling, and for the turned
// orientations 5–8 the bound is swapped before choosing the scale: the
// stored 320×240 image must cover 75×40 as shown, so 1/4 (80×60) when
// upright, but 1/2 (160×120, shown 120×160) when turned, since at 1/4 it
// would be shown 60 wide.
func TestDecodeJPEGScaledOrientation(t *testing.T) {
	plain := encodeJPEG(t, turboTextured(320, 240))
	const minW, minH = 75, 40
	for o := 1; o <= 8; o++ {
		t.Run(fmt.Sprint(o), func(t *testing.T) {
			jpg := insertAfterSOI(plain, exifSegment(binary.BigEndian, orientationEntry(binary.BigEndian, uint16(o))))
			img, full, err := decodeJPEGScaled(jpg, minW, minH, Limits{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkTurboImage(t, img)
			want := image.Pt(80, 60)
			storedMinW, storedMinH := minW, minH
			if o >= 5 {
				want = image.Pt(120, 160)
				storedMinW, storedMinH = minH, minW
			}
			if got := img.Bounds().Size(); got != want || full != image.Pt(320, 240) {
				t.Fatalf("size = %v, full = %v; want %v, 320×240", got, full, want)
			}

			// Exactly the stored image at that scale, turned the way
			// DecodeImage turns a full-size one.
			stored, _, err := decodeJPEGScaled(plain, storedMinW, storedMinH, Limits{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if turned := imaging.Clone(applyOrientation(stored, o)); !bytes.Equal(img.Pix, turned.Pix) {
				t.Error("pixels differ from applyOrientation of the stored image at the same scale")
			}

			// And close to DecodeImage's upright full-size image scaled down.
			ref, err := DecodeImage(jpg, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			boxed := imaging.Resize(ref, want.X, want.Y, imaging.Box)
			if mean := diffImages(t, img, boxed).mean; mean > 6 {
				t.Errorf("mean difference from DecodeImage box-filtered = %.2f, want ≤ 6", mean)
			}
		})
	}
}

func TestOrientPixMatchesApplyOrientation(t *testing.T) {
	src := gradient(7, 3) // odd, non-square: every permutation shows
	for o := 1; o <= 8; o++ {
		want := imaging.Clone(applyOrientation(src, o))
		dst := make([]byte, len(src.Pix))
		orientPix(dst, src.Pix, 7, 3, o)
		if !bytes.Equal(dst, want.Pix) {
			t.Errorf("orientation %d: orientPix differs from applyOrientation (%v)", o, want.Bounds())
		}
	}
}

// The CMYK testdata file is an Adobe (inverted) CMYK JPEG. libjpeg returns
// the stored ink values, image/jpeg un-inverts them; the two paths to RGB
// must agree up to IDCT rounding.
func TestDecodeJPEGScaledCMYK(t *testing.T) {
	data := readTestdata(t, "video-001.cmyk.crop.jpeg")
	img, _, err := decodeJPEGScaled(data, 0, 0, Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := DecodeImage(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	d := diffImages(t, img, ref)
	t.Logf("CMYK %v: %v", img.Bounds().Size(), d)
	if d.max > 3 {
		t.Errorf("max channel difference from DecodeImage = %d, want ≤ 3", d.max)
	}
	png, err := DecodeImage(readTestdata(t, "video-001.cmyk.crop.png"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if d := diffImages(t, img, png); d.max > 8 {
		t.Errorf("max channel difference from the reference PNG = %d, want ≤ 8 (as TestCMYKJPEG)", d.max)
	}
	half, _, err := decodeJPEGScaled(data, 24, 16, Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if mean := diffImages(t, half, imaging.Resize(ref, 24, 16, imaging.Box)).mean; mean > 6 {
		t.Errorf("CMYK at 1/2: mean difference from DecodeImage box-filtered = %.2f, want ≤ 6", mean)
	}
}

// Every refusal is the error DecodeImage gives for the same bytes: the
// same Code and the same message, only the underlying cause (libjpeg's
// words, not Go's) differs. Where image/jpeg is more lenient (entropy data
// that decodes to garbage without running out), the case says so.
func TestDecodeJPEGScaledRejects(t *testing.T) {
	jpg := encodeJPEG(t, turboTextured(256, 192))
	sos := bytes.Index(jpg, []byte{0xFF, 0xDA})
	withScan := func(change func(scan []byte)) []byte {
		b := bytes.Clone(jpg)
		change(b[sos+40 : len(b)-2])
		return b
	}
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	random[0] = 0x42

	tests := []struct {
		name    string
		data    []byte
		lim     Limits
		code    string
		message string // a substring of Error()
	}{
		{"empty", nil, Limits{}, CodeEmpty, "image is empty (0 bytes)"},
		{"over MaxBytes", jpg, Limits{MaxBytes: 100}, CodeTooLarge, "over the 100 bytes limit"},
		{"not a jpeg", random, Limits{}, CodeUnsupportedFormat, "starts with 42"},
		{"magic only", jpg[:2], Limits{}, CodeCorrupt, "truncated JPEG: header ends after 2 bytes"},
		{"cut in the header", jpg[:100], Limits{}, CodeCorrupt, "truncated JPEG: header ends after 100 bytes"},
		{"cut before the scan", jpg[:sos], Limits{}, CodeCorrupt, fmt.Sprintf("truncated JPEG: header ends after %d bytes", sos)},
		{"cut in the scan header", jpg[:sos+5], Limits{}, CodeCorrupt, "truncated JPEG: data ends after"},
		{"cut in half", jpg[:len(jpg)/2], Limits{}, CodeCorrupt, fmt.Sprintf("truncated JPEG: data ends after %d bytes", len(jpg)/2)},
		{"cut before the end marker", jpg[:len(jpg)-3], Limits{}, CodeCorrupt, "truncated JPEG: data ends after"},
		{"garbage after the magic", append([]byte{0xFF, 0xD8}, random...), Limits{}, CodeCorrupt, "corrupt JPEG header"},
		{"entropy data zeroed", withScan(func(s []byte) { clear(s[:200]) }), Limits{}, CodeCorrupt, "corrupt JPEG data"},
		{"restart marker in the scan", withScan(func(s []byte) { s[len(s)/2], s[len(s)/2+1] = 0xFF, 0xD3 }), Limits{},
			CodeCorrupt, "corrupt JPEG data"},
		{"table marker in the scan", withScan(func(s []byte) { s[len(s)/2], s[len(s)/2+1] = 0xFF, 0xC4 }), Limits{},
			CodeCorrupt, "corrupt JPEG data"},
		{"zero height", jpegWithSize(t, jpg, 256, 0), Limits{}, CodeZeroSize, "256×0"},
		{"60000×60000 header", jpegWithSize(t, jpg, 60000, 60000), Limits{}, CodeTooManyPixels,
			"image is 60000×60000 = 3600.0 MP, over the 50.0 MP limit"},
		{"65535×65535 header, over libjpeg's maximum too", jpegWithSize(t, jpg, 65535, 65535), Limits{}, CodeTooManyPixels,
			"65535×65535"},
		{"custom pixel limit", jpg, Limits{MaxPixels: 256*192 - 1}, CodeTooManyPixels, "= 49152 pixels, over the 49151 pixels limit"},
	}
	// DecodeImage returns an image for these.
	goAccepts := map[string]bool{"entropy data zeroed": true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, _, err := decodeJPEGScaled(tt.data, 64, 64, tt.lim, nil)
			if err == nil {
				t.Fatalf("decodeJPEGScaled = %v image, want a %s error", img.Bounds(), tt.code)
			}
			e := asError(t, err)
			if e.Code != tt.code || e.Kind != itemvec.KindBadInput || itemvec.IsRetryable(err) {
				t.Errorf("Code %q, Kind %s, retryable %v; want %q, bad input, not retryable (error: %v)",
					e.Code, e.Kind, itemvec.IsRetryable(err), tt.code, err)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("Error() = %q, want it to contain %q", err.Error(), tt.message)
			}
			_, goErr := DecodeImage(tt.data, tt.lim)
			if goAccepts[tt.name] {
				if goErr != nil {
					t.Errorf("DecodeImage refuses it too (%v): drop goAccepts", goErr)
				}
				return
			}
			if goErr == nil {
				t.Fatalf("DecodeImage accepts what decodeJPEGScaled refuses (%v)", err)
			}
			g := asError(t, goErr)
			if got, want := e.Err.(*itemvec.Cause).Msg, g.Err.(*itemvec.Cause).Msg; e.Code != g.Code || got != want {
				t.Errorf("error %q (%s), DecodeImage's %q (%s): want the same code and message", got, e.Code, want, g.Code)
			}
		})
	}
}

// A header declaring a huge image is refused before anything is
// decompressed or allocated for its pixels.
func TestDecodeJPEGScaledBombAllocatesNothing(t *testing.T) {
	bomb := jpegWithSize(t, encodeJPEG(t, gradient(16, 16)), 65000, 65000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := decodeJPEGScaled(bomb, 0, 0, Limits{}, nil)
	runtime.ReadMemStats(&after)
	if itemvec.CodeOf(err) != CodeTooManyPixels {
		t.Fatalf("Code = %q, want %q (%v)", itemvec.CodeOf(err), CodeTooManyPixels, err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing the bomb allocated %d bytes, want under 1 MiB", n)
	}
}

// A decode into the buffer of an earlier result allocates only the
// *image.NRGBA header: the pixels reuse the buffer, the C side works in
// its own memory.
func TestDecodeJPEGScaledReusesBuffer(t *testing.T) {
	plain := encodeJPEG(t, turboTextured(800, 600))
	turned := insertAfterSOI(plain, exifSegment(binary.LittleEndian, orientationEntry(binary.LittleEndian, 6)))
	cmyk := readTestdata(t, "video-001.cmyk.crop.jpeg")
	tests := []struct {
		name       string
		data       []byte
		minW, minH int
	}{
		{"upright, 1/4", plain, 200, 150},
		{"upright, full", plain, 0, 0},
		{"orientation 6, 1/2", turned, 224, 224},
		{"CMYK", cmyk, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, _, err := decodeJPEGScaled(tt.data, tt.minW, tt.minH, Limits{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := bytes.Clone(first.Pix)
			buf := first.Pix
			var img *image.NRGBA
			allocs := testing.AllocsPerRun(20, func() {
				img, _, err = decodeJPEGScaled(tt.data, tt.minW, tt.minH, Limits{}, buf)
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%v: %.0f allocations per decode into a reused buffer", img.Bounds().Size(), allocs)
			if allocs > 2 {
				t.Errorf("%.1f allocations per decode, want ≤ 2", allocs)
			}
			if &img.Pix[0] != &buf[0] {
				t.Error("the result does not reuse buf")
			}
			if !bytes.Equal(img.Pix, want) {
				t.Error("a decode into a reused buffer differs from the first decode")
			}
		})
	}
}

// Many goroutines decode at once, more than the decoder pool holds, some
// of them failing (which retires their decoder); every result must be
// exactly what a lone decode gives. Run with -race.
func TestDecodeJPEGScaledConcurrent(t *testing.T) {
	jpg := encodeJPEG(t, turboTextured(320, 240))
	inputs := []struct {
		data       []byte
		minW, minH int
	}{
		{jpg, 80, 60},
		{jpg, 0, 0},
		{insertAfterSOI(jpg, exifSegment(binary.BigEndian, orientationEntry(binary.BigEndian, 8))), 100, 60},
		{readTestdata(t, "video-001.cmyk.crop.jpeg"), 24, 16},
		{encodeJPEG(t, image.NewGray(image.Rect(0, 0, 90, 70))), 0, 0},
		{jpg[:len(jpg)/2], 0, 0},
		{jpegWithSize(t, jpg, 60000, 60000), 0, 0},
	}
	want := make([]string, len(inputs))
	for i, in := range inputs {
		img, _, err := decodeJPEGScaled(in.data, in.minW, in.minH, Limits{}, nil)
		want[i] = turboResult(img, err)
	}
	workers := 4 * runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := range workers {
		wg.Go(func() {
			var buf []byte
			for k := range 4 * len(inputs) {
				i := (w + k) % len(inputs)
				in := inputs[i]
				img, _, err := decodeJPEGScaled(in.data, in.minW, in.minH, Limits{}, buf)
				if got := turboResult(img, err); got != want[i] {
					errs <- fmt.Sprintf("input %d: got %.150q, want %.150q", i, got, want[i])
					return
				}
				if err == nil {
					buf = img.Pix
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := len(turboDecoders); n > cap(turboDecoders) {
		t.Errorf("%d idle decoders, over the pool's %d", n, cap(turboDecoders))
	}
}

// turboResult sums up a decode for comparison: the error message, or the
// size and the pixels.
func turboResult(img *image.NRGBA, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("%v %x", img.Bounds(), img.Pix)
}

// benchmarkJPEGs are what the decode benchmarks read: a synthetic
// textured 1600×1200 picture, and a real photo from make setup's
// collection enlarged to 1600×1200 when it is there.
func benchmarkJPEGs(b *testing.B) map[string][]byte {
	b.Helper()
	out := map[string][]byte{"synthetic": encodeJPEGQuality(b, turboTextured(1600, 1200), 90)}
	if photo, err := imaging.Open(filepath.Join(testdeps.Dir(b), "photos", "stdlib", "nagasaki-boats.jpg")); err == nil {
		out["photo"] = encodeJPEGQuality(b, imaging.Resize(photo, 1600, 1200, imaging.Lanczos), 90)
	}
	return out
}

func encodeJPEGQuality(b testing.TB, img image.Image, q int) []byte {
	b.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkDecodeJPEGScaled decodes a 1600×1200 JPEG with libjpeg-turbo
// for a 224×224 model (1/4 scale, 400×300) and at full size, reusing the
// pixel buffer as the Preparer does. Compare with BenchmarkDecodeImageGo.
func BenchmarkDecodeJPEGScaled(b *testing.B) {
	for name, data := range benchmarkJPEGs(b) {
		for _, m := range []int{224, 0} {
			b.Run(fmt.Sprintf("%s/min=%d", name, m), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				var buf []byte
				for b.Loop() {
					img, _, err := decodeJPEGScaled(data, m, m, Limits{}, buf)
					if err != nil {
						b.Fatal(err)
					}
					buf = img.Pix
				}
			})
		}
	}
}

// BenchmarkDecodeImageGo decodes the same JPEGs with image/jpeg at full
// size (DecodeImage), the path without libjpeg-turbo.
func BenchmarkDecodeImageGo(b *testing.B) {
	for name, data := range benchmarkJPEGs(b) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeImage(data, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
