package extract

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/itemvec/itemvec"
)

func jpegOf(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPreparerMatchesReferencePath: what Go's decoders decode (PNG here,
// every format in a pure-Go build) gives exactly PrepareImage's tensor; a
// JPEG through libjpeg-turbo stays within a few levels of it.
func TestPreparerMatchesReferencePath(t *testing.T) {
	spec := imagenet(224, 224)
	p, err := NewPreparer(spec, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	src := scene(1600, 1200, 3)
	tests := []struct {
		name      string
		data      []byte
		exact     bool
		meanLevel float64 // bound on the mean abs difference, in pixel levels
	}{
		{"png", encodePNG(t, src), true, 0},
		{"jpeg", jpegOf(t, src, 90), !turboJPEG, 1.5},
		{"small jpeg", jpegOf(t, scene(300, 200, 4), 85), !turboJPEG, 1.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := PrepareImage(tt.data, spec, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float32, p.TensorSize())
			if err := p.Prepare(tt.data, got); err != nil {
				t.Fatal(err)
			}
			d := diffLevels(spec, got, want)
			if tt.exact && d.max != 0 {
				t.Fatalf("differs from PrepareImage: %+v, want identical", d)
			}
			if d.mean > tt.meanLevel {
				t.Fatalf("mean difference %.3f levels > %.1f (max %.1f)", d.mean, tt.meanLevel, d.max)
			}
			t.Logf("vs PrepareImage: mean %.3f, max %.1f levels", d.mean, d.max)
		})
	}
}

// TestPreparerDecodeScale: a JPEG is decoded at the smallest n/8 scale
// covering the decode margin times the model input, on both sides.
func TestPreparerDecodeScale(t *testing.T) {
	if !turboJPEG {
		t.Skip("pure-Go build: JPEGs are decoded at full size")
	}
	tests := []struct {
		w, h   int
		margin float64
		want   image.Point
	}{
		{1600, 1200, DefaultDecodeMargin, image.Pt(800, 600)}, // 1/2 (3/8 is slower than 1/2 in libjpeg-turbo)
		{1600, 1200, 1, image.Pt(400, 300)},                   // 1/4: 300 ≥ 224
		{2000, 500, DefaultDecodeMargin, image.Pt(2000, 500)}, // the short side needs all of it
		{300, 300, DefaultDecodeMargin, image.Pt(300, 300)},   // smaller than the margin: full size
	}
	for _, tt := range tests {
		p, err := NewPreparer(imagenet(224, 224), Limits{}, WithDecodeMargin(tt.margin))
		if err != nil {
			t.Fatal(err)
		}
		s := &prepScratch{}
		_, kind, err := p.decode(s, jpegOf(t, scene(tt.w, tt.h, 1), 80))
		if err != nil {
			t.Fatal(err)
		}
		// An upright 4:2:0 JPEG: planes at full size, RGBA below it (see
		// decodeJPEGPrep).
		got, wantKind := s.img.Bounds().Size(), decodedRGBA
		if tt.want == image.Pt(tt.w, tt.h) {
			got, wantKind = image.Pt(s.yuv.w, s.yuv.h), decodedPlanes
		}
		if kind != wantKind {
			t.Fatalf("%d×%d decoded as %d, want %d", tt.w, tt.h, kind, wantKind)
		}
		if got != tt.want {
			t.Errorf("%d×%d with margin %v decoded at %v, want %v", tt.w, tt.h, tt.margin, got, tt.want)
		}
	}
}

// TestPreparerRefusesBadImages: the same codes DecodeImage gives.
func TestPreparerRefusesBadImages(t *testing.T) {
	good := jpegOf(t, scene(640, 480, 2), 90)
	tests := []struct {
		name string
		data []byte
		lim  Limits
		code string
	}{
		{"empty", nil, Limits{}, CodeEmpty},
		{"text", []byte("hello, this is not an image"), Limits{}, CodeUnsupportedFormat},
		{"truncated jpeg", good[:len(good)/2], Limits{}, CodeCorrupt},
		{"too many pixels", good, Limits{MaxPixels: 1000}, CodeTooManyPixels},
		{"too large", good, Limits{MaxBytes: 100}, CodeTooLarge},
		{"corrupt png", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 64)...), Limits{}, CodeCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPreparer(imagenet(224, 224), tt.lim)
			if err != nil {
				t.Fatal(err)
			}
			err = p.Prepare(tt.data, make([]float32, p.TensorSize()))
			var e *itemvec.Error
			if !errors.As(err, &e) || e.Code != tt.code || e.Kind != itemvec.KindBadInput {
				t.Fatalf("Prepare = %v, want a bad-input error with code %s", err, tt.code)
			}
			// The same description; the cause may be libjpeg-turbo's words.
			_, ref := DecodeImage(tt.data, tt.lim)
			if ref == nil || strings.SplitN(ref.Error(), ": ", 2)[0] != strings.SplitN(err.Error(), ": ", 2)[0] {
				t.Errorf("Prepare says %q, DecodeImage %q", err, ref)
			}
		})
	}
}

// TestPreparerSteadyStateAllocations: once its pool is warm, a JPEG costs
// no allocation (a PNG keeps Go's decoder, which allocates its image).
func TestPreparerSteadyStateAllocations(t *testing.T) {
	if !turboJPEG {
		t.Skip("pure-Go build: Go's JPEG decoder allocates its image")
	}
	p, err := NewPreparer(imagenet(224, 224), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	data := jpegOf(t, scene(1024, 768, 5), 90)
	dst := make([]float32, p.TensorSize())
	if err := p.Prepare(data, dst); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		if err := p.Prepare(data, dst); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Fatalf("%.1f allocations per JPEG in steady state, want 0", allocs)
	}
}

func BenchmarkPreparer(b *testing.B) {
	p, err := NewPreparer(imagenet(224, 224), Limits{})
	if err != nil {
		b.Fatal(err)
	}
	data := jpegOf(b, scene(1024, 768, 5), 90)
	dst := make([]float32, p.TensorSize())
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Prepare(data, dst); err != nil {
			b.Fatal(err)
		}
	}
}
