package extract

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/itemvec/itemvec"
)

func TestDecodeImageRejects(t *testing.T) {
	jpg := encodeJPEG(t, gradient(64, 48))
	pngBytes := encodePNG(t, gradient(64, 48))
	gifBytes := encodeGIF(t, image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Black, color.White}))
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	random[0] = 0x42 // not a magic byte of any supported format

	tests := []struct {
		name    string
		data    []byte
		lim     Limits
		code    string
		message string // a substring of Error()
	}{
		{"nil", nil, Limits{}, CodeEmpty, "empty"},
		{"zero bytes", []byte{}, Limits{}, CodeEmpty, "0 bytes"},
		{"over MaxBytes", jpg, Limits{MaxBytes: 100}, CodeTooLarge, "over the 100 bytes limit"},
		{"random bytes", random, Limits{}, CodeUnsupportedFormat, "starts with 42"},
		{"text file", []byte("sku,title\n1,red shoe\n"), Limits{}, CodeUnsupportedFormat, "looks like text"},
		{"html error page", []byte("<!DOCTYPE html><html><body>403 Forbidden</body></html>"), Limits{}, CodeUnsupportedFormat, "text"},
		{"bmp", []byte("BM\x36\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00"), Limits{}, CodeUnsupportedFormat, "BMP"},
		{"tiff", []byte("II*\x00\x08\x00\x00\x00"), Limits{}, CodeUnsupportedFormat, "TIFF"},
		{"heic", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"), Limits{}, CodeUnsupportedFormat, `"heic"`},
		{"riff but not webp", []byte("RIFF\x04\x00\x00\x00WAVE"), Limits{}, CodeUnsupportedFormat, "not WebP"},
		{"jpeg magic only", []byte{0xFF, 0xD8}, Limits{}, CodeCorrupt, "truncated JPEG: header ends after 2 bytes"},
		{"truncated jpeg header", jpg[:100], Limits{}, CodeCorrupt, "truncated JPEG: header ends after 100 bytes"},
		{"truncated jpeg data", jpg[:len(jpg)/2], Limits{}, CodeCorrupt, "truncated JPEG: data ends after"},
		{"jpeg cut mid-scan", jpg[:len(jpg)-3], Limits{}, CodeCorrupt, "truncated JPEG: data ends after"},
		{"jpeg garbage after magic", append([]byte{0xFF, 0xD8}, random...), Limits{}, CodeCorrupt, "JPEG header"},
		{"truncated png", pngBytes[:len(pngBytes)/2], Limits{}, CodeCorrupt, "PNG data"},
		{"png bad crc", func() []byte {
			b := bytes.Clone(pngBytes)
			b[29] ^= 0xFF // inside the IHDR CRC
			return b
		}(), Limits{}, CodeCorrupt, "corrupt PNG header"},
		{"truncated gif", gifBytes[:len(gifBytes)-6], Limits{}, CodeCorrupt, "GIF data"},
		{"gif without frames", gifScreen(8, 8), Limits{}, CodeCorrupt, "GIF data"},
		{"gif zero size screen", gifScreen(0, 0), Limits{}, CodeZeroSize, "0×0"},
		{"webp garbage", []byte("RIFF\x10\x00\x00\x00WEBPVP8 \x04\x00\x00\x00\x00\x00\x00\x00"), Limits{}, CodeCorrupt, "WebP"},
		{"truncated webp", readTestdata(t, "blue-purple-pink.lossy.webp")[:300], Limits{}, CodeCorrupt, "truncated WebP: data ends after 300 bytes"},
		{"png bomb", pngHeaderOnly(100000, 100000), Limits{}, CodeTooManyPixels, "image is 100000×100000 = 10000.0 MP, over the 50.0 MP limit"},
		{"jpeg bomb", jpegWithSize(t, jpg, 60000, 60000), Limits{}, CodeTooManyPixels, "60000×60000"},
		{"gif bomb", gifScreen(65535, 65535), Limits{}, CodeTooManyPixels, "65535×65535"},
		{"webp bomb", webpVP8XHeader(16384, 16384), Limits{}, CodeTooManyPixels, "16384×16384"},
		{"custom pixel limit", pngBytes, Limits{MaxPixels: 64*48 - 1}, CodeTooManyPixels, "= 3072 pixels, over the 3071 pixels limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := DecodeImage(tt.data, tt.lim)
			if err == nil {
				t.Fatalf("DecodeImage = %v image, want %s error", img.Bounds(), tt.code)
			}
			asError(t, err)
			if got := itemvec.CodeOf(err); got != tt.code {
				t.Errorf("Code = %q, want %q (error: %v)", got, tt.code, err)
			}
			if got := itemvec.KindOf(err); got != itemvec.KindBadInput {
				t.Errorf("Kind = %s, want %s (error: %v)", got, itemvec.KindBadInput, err)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("Error() = %q, want it to contain %q", err.Error(), tt.message)
			}
			if itemvec.IsRetryable(err) {
				t.Error("IsRetryable = true for bad input")
			}
		})
	}
}

func TestErrorUnwrap(t *testing.T) {
	jpg := encodeJPEG(t, gradient(16, 16))
	_, err := DecodeImage(jpg[:len(jpg)-20], Limits{})
	if c := asError(t, err).Err.(*itemvec.Cause); c.Err == nil || !errors.Is(err, c.Err) {
		t.Fatalf("truncated JPEG error %v does not wrap the decoder error", err)
	}
	if got := badImage(CodeEmpty, "image is empty", nil).Error(); got != "image is empty" {
		t.Errorf("Error() without a cause = %q", got)
	}
}

// A header that declares a huge image must be refused from the header alone:
// decoding 100000×100000 pixels would need tens of gigabytes.
func TestDecompressionBombAllocatesNothing(t *testing.T) {
	jpg := encodeJPEG(t, gradient(16, 16))
	bombs := map[string][]byte{
		"png":  pngHeaderOnly(100000, 100000),
		"jpeg": jpegWithSize(t, jpg, 65000, 65000),
		"gif":  gifScreen(65535, 65535),
		"webp": webpVP8XHeader(30000, 30000),
	}
	for name, data := range bombs {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := DecodeImage(data, Limits{})
			runtime.ReadMemStats(&after)
			if asError(t, err); itemvec.CodeOf(err) != CodeTooManyPixels {
				t.Fatalf("Code = %q, want %q (%v)", itemvec.CodeOf(err), CodeTooManyPixels, err)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("rejecting the bomb allocated %d bytes, want under 1 MiB", n)
			}
		})
	}
}

func TestDecodeImageFormats(t *testing.T) {
	src := gradient(24, 16)
	gray := image.NewGray(image.Rect(0, 0, 24, 16))
	gray16 := image.NewGray16(image.Rect(0, 0, 24, 16))
	nrgba64 := image.NewNRGBA64(image.Rect(0, 0, 24, 16))
	paletted := image.NewPaletted(image.Rect(0, 0, 24, 16), color.Palette{
		color.RGBA{200, 10, 10, 255}, color.RGBA{10, 200, 10, 255}, color.RGBA{10, 10, 200, 255},
	})
	for y := range 16 {
		for x := range 24 {
			gray.SetGray(x, y, color.Gray{Y: uint8(x * 10)})
			gray16.SetGray16(x, y, color.Gray16{Y: uint16(y * 4000)})
			c := src.NRGBAAt(x, y)
			nrgba64.SetNRGBA64(x, y, color.NRGBA64{R: uint16(c.R) * 257, G: uint16(c.G) * 257, B: uint16(c.B) * 257, A: 0xFFFF})
			paletted.SetColorIndex(x, y, uint8((x+y)%3))
		}
	}

	tests := []struct {
		name  string
		data  []byte
		want  image.Image // the expected colors
		tol   int
		alike bool // R=G=B everywhere
	}{
		{"png rgb", encodePNG(t, src), src, 0, false},
		{"png gray", encodePNG(t, gray), gray, 0, true},
		{"png gray16", encodePNG(t, gray16), gray16, 0, true},
		{"png nrgba64", encodePNG(t, nrgba64), src, 0, false},
		{"png paletted", encodePNG(t, paletted), paletted, 0, false},
		{"jpeg rgb", encodeJPEG(t, src), src, 40, false},
		{"jpeg gray", encodeJPEG(t, gray), gray, 6, true},
		{"gif paletted", encodeGIF(t, paletted), paletted, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := DecodeImage(tt.data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if img.Bounds().Size() != tt.want.Bounds().Size() {
				t.Fatalf("size = %v, want %v", img.Bounds().Size(), tt.want.Bounds().Size())
			}
			for y := range 16 {
				for x := range 24 {
					got, want := rgbAt(img, x, y), rgbAt(tt.want, x, y)
					if !near(got, want, tt.tol) {
						t.Fatalf("pixel (%d,%d) = %v, want %v ± %d", x, y, got, want, tt.tol)
					}
					if tt.alike && (got[0] != got[1] || got[1] != got[2]) {
						t.Fatalf("gray pixel (%d,%d) = %v, want R=G=B", x, y, got)
					}
				}
			}
		})
	}
}

// Grayscale input must give three identical channel planes once normalised
// with per-channel-equal statistics.
func TestGrayscaleTensorIsNeutral(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 32, 32))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 7)
	}
	spec := ImageSpec{Width: 16, Height: 16, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.25, 0.25, 0.25}}
	for name, data := range map[string][]byte{"jpeg": encodeJPEG(t, gray), "png": encodePNG(t, gray)} {
		t.Run(name, func(t *testing.T) {
			x, err := PrepareImage(data, spec, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			plane := 16 * 16
			for i := range plane {
				if x[i] != x[plane+i] || x[i] != x[2*plane+i] {
					t.Fatalf("pixel %d: R,G,B = %v,%v,%v, want equal", i, x[i], x[plane+i], x[2*plane+i])
				}
			}
		})
	}
}

func TestAlphaCompositedOntoWhite(t *testing.T) {
	white := [3]uint8{255, 255, 255}

	nrgba := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	nrgba.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 0})     // transparent black
	nrgba.SetNRGBA(1, 0, color.NRGBA{255, 0, 0, 128}) // half red
	nrgba.SetNRGBA(2, 0, color.NRGBA{0, 0, 255, 255}) // opaque blue
	nrgba.SetNRGBA(3, 0, color.NRGBA{0, 255, 0, 0})   // transparent green
	transparentGIF := image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Transparent, color.RGBA{0, 0, 255, 255}})
	transparentGIF.SetColorIndex(2, 0, 1)

	tests := []struct {
		name string
		data []byte
		at   image.Point
		want [3]uint8
	}{
		{"png transparent", encodePNG(t, nrgba), image.Pt(0, 0), white},
		{"png transparent colored", encodePNG(t, nrgba), image.Pt(3, 0), white},
		{"png half red", encodePNG(t, nrgba), image.Pt(1, 0), [3]uint8{255, 127, 127}},
		{"png opaque", encodePNG(t, nrgba), image.Pt(2, 0), [3]uint8{0, 0, 255}},
		{"gif transparent index", encodeGIF(t, transparentGIF), image.Pt(0, 0), white},
		{"gif opaque index", encodeGIF(t, transparentGIF), image.Pt(2, 0), [3]uint8{0, 0, 255}},
		{"webp transparent corner", readTestdata(t, "gopher-doc.with-alpha.lossless.webp"), image.Pt(0, 0), white},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := DecodeImage(tt.data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if o, ok := img.(interface{ Opaque() bool }); !ok || !o.Opaque() {
				t.Errorf("DecodeImage returned a %T that is not opaque", img)
			}
			c := color.NRGBAModel.Convert(img.At(img.Bounds().Min.X+tt.at.X, img.Bounds().Min.Y+tt.at.Y)).(color.NRGBA)
			if got := [3]uint8{c.R, c.G, c.B}; !near(got, tt.want, 1) || c.A != 0xFF {
				t.Errorf("pixel %v = %v, want %v on opaque", tt.at, c, tt.want)
			}
		})
	}
}

func TestGIFFirstFrame(t *testing.T) {
	pal := color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}}
	red := image.NewPaletted(image.Rect(0, 0, 6, 4), pal)
	blue := image.NewPaletted(image.Rect(0, 0, 6, 4), pal)
	for i := range blue.Pix {
		blue.Pix[i] = 1
	}
	img, err := DecodeImage(encodeGIF(t, red, blue), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for y := range 4 {
		for x := range 6 {
			if got := rgbAt(img, x, y); got != [3]uint8{255, 0, 0} {
				t.Fatalf("pixel (%d,%d) = %v, want the red of frame 1", x, y, got)
			}
		}
	}
}

// The CMYK JPEG in testdata is a crop of Go's video-001.cmyk.jpeg, and the
// PNG the same crop of video-001.cmyk.png, the reference Go's own decoder
// tests compare against with the same tolerance. Reading C, M, Y as R, G, B,
// or forgetting that Adobe stores ink inverted, is off by far more.
func TestCMYKJPEG(t *testing.T) {
	cmyk, err := DecodeImage(readTestdata(t, "video-001.cmyk.crop.jpeg"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := DecodeImage(readTestdata(t, "video-001.cmyk.crop.png"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if cmyk.Bounds() != ref.Bounds() {
		t.Fatalf("bounds %v, reference %v", cmyk.Bounds(), ref.Bounds())
	}
	if _, ok := cmyk.(*image.CMYK); ok {
		t.Error("DecodeImage returned *image.CMYK, want an RGB color model")
	}
	for y := range ref.Bounds().Dy() {
		for x := range ref.Bounds().Dx() {
			if got, want := rgbAt(cmyk, x, y), rgbAt(ref, x, y); !near(got, want, 8) {
				t.Fatalf("pixel (%d,%d) = %v, reference %v ± 8", x, y, got, want)
			}
		}
	}
}

func TestWebP(t *testing.T) {
	tests := []struct {
		file string
		size image.Point
	}{
		{"blue-purple-pink.lossy.webp", image.Pt(150, 100)},
		{"gopher-doc.with-alpha.lossless.webp", image.Pt(75, 100)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			img, err := DecodeImage(readTestdata(t, tt.file), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if img.Bounds().Size() != tt.size {
				t.Errorf("size = %v, want %v", img.Bounds().Size(), tt.size)
			}
		})
	}
}

// TestNRGBAOverWhiteMatchesDraw: flatten's one-pass compositing of an
// *image.NRGBA onto white is draw.Draw's, byte for byte, for every
// colour level and alpha, on a sub-image too.
func TestNRGBAOverWhiteMatchesDraw(t *testing.T) {
	m := image.NewNRGBA(image.Rect(3, 5, 3+256, 5+256+1))
	for a := range 256 {
		for c := range 256 {
			m.SetNRGBA(3+c, 5+a, color.NRGBA{uint8(c), uint8(255 - c), uint8(c ^ a), uint8(a)})
		}
	}
	for _, img := range []*image.NRGBA{m, m.SubImage(image.Rect(10, 20, 200, 100)).(*image.NRGBA)} {
		b := img.Bounds()
		want := image.NewNRGBA(b)
		draw.Draw(want, b, image.White, image.Point{}, draw.Src)
		draw.Draw(want, b, img, b.Min, draw.Over)
		got := nrgbaOverWhite(img)
		if got.Bounds() != b {
			t.Fatalf("bounds %v, want %v", got.Bounds(), b)
		}
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if g, w := got.NRGBAAt(x, y), want.NRGBAAt(x, y); g != w {
					t.Fatalf("(%d, %d) %v: got %v, draw gives %v", x, y, img.NRGBAAt(x, y), g, w)
				}
			}
		}
	}
}
