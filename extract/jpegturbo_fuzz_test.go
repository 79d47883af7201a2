//go:build cgo && !itemvec_purego

package extract

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"math"
	"os/exec"
	"testing"

	"github.com/itemvec/itemvec"
)

// FuzzDecodeJPEGScaled feeds libjpeg-turbo whatever the fuzzer makes of a
// few valid JPEGs (baseline, progressive, grayscale, CMYK, with EXIF
// orientations), cut short or with bytes flipped. It must never crash;
// every error must be a bad-input *itemvec.Error with a Code, and every
// image a well-formed, opaque one within the limits and no larger than the
// stored image. The limits are small so that huge headers are refused
// cheaply.
func FuzzDecodeJPEGScaled(f *testing.F) {
	jpg := encodeJPEG(f, turboTextured(40, 30))
	seeds := [][]byte{
		jpg,
		jpg[:2],
		jpg[:len(jpg)/3],
		jpg[:len(jpg)-2],
		insertAfterSOI(jpg, exifSegment(binary.BigEndian, orientationEntry(binary.BigEndian, 6))),
		insertAfterSOI(jpg, exifSegment(binary.LittleEndian, orientationEntry(binary.LittleEndian, 3))),
		encodeJPEG(f, image.NewGray(image.Rect(0, 0, 17, 9))),
		readTestdata(f, "video-001.cmyk.crop.jpeg"),
		jpegWithSize(f, jpg, 4000, 4000),
	}
	for _, at := range []int{len(jpg) / 4, len(jpg) / 2, len(jpg) - 10} {
		b := bytes.Clone(jpg)
		b[at] ^= 0xFF
		seeds = append(seeds, b)
	}
	// Progressive scans and restart markers, when jpegtran is there: the
	// fuzzer runs without ITEMVEC_REQUIRE_DEPS checks.
	if bin, err := exec.LookPath("jpegtran"); err == nil {
		for _, args := range [][]string{{"-progressive"}, {"-progressive", "-restart", "1"}} {
			cmd := exec.Command(bin, args...)
			cmd.Stdin = bytes.NewReader(jpg)
			if out, err := cmd.Output(); err == nil {
				seeds = append(seeds, out, out[:len(out)/2])
			}
		}
	}
	for i, s := range seeds {
		f.Add(s, uint16(8*i), uint16(6*i), i%2 == 0)
	}

	lim := Limits{MaxPixels: 1 << 20, MaxBytes: 1 << 20}
	var buf []byte // reused, as the Preparer reuses its buffer
	f.Fuzz(func(t *testing.T, data []byte, minW, minH uint16, reuse bool) {
		if !reuse {
			buf = nil
		}
		checkPlanesDecode(t, data, int(minW), int(minH), lim)
		img, full, err := decodeJPEGScaled(data, int(minW), int(minH), lim, buf)
		if err != nil {
			e, ok := errors.AsType[*itemvec.Error](err)
			if !ok || e.Kind != itemvec.KindBadInput || e.Code == "" || itemvec.IsRetryable(err) {
				t.Fatalf("error %v (%#v), want a bad-input *itemvec.Error with a Code", err, err)
			}
			if c, ok := e.Err.(*itemvec.Cause); !ok || c.Msg == "" {
				t.Fatalf("error %#v has no message", e)
			}
			return
		}
		buf = img.Pix
		b := img.Bounds()
		w, h := b.Dx(), b.Dy()
		if b.Min != (image.Point{}) || w <= 0 || h <= 0 || int64(w)*int64(h) > lim.MaxPixels {
			t.Fatalf("image %v, want a positive size within %d pixels", b, lim.MaxPixels)
		}
		if (w > full.X || h > full.Y) && (w > full.Y || h > full.X) {
			t.Fatalf("image %v is larger than the stored %v", b, full)
		}
		if img.Stride != 4*w || len(img.Pix) != 4*w*h {
			t.Fatalf("stride %d, %d bytes for %v", img.Stride, len(img.Pix), b)
		}
		for i := 3; i < len(img.Pix); i += 4 {
			if img.Pix[i] != 0xFF {
				t.Fatalf("alpha %d at byte %d, want 255", img.Pix[i], i)
			}
		}
	})
}

// checkPlanesDecode is the fuzzer's check of the Preparer's decode
// (decodeJPEGPrep, planes or RGBA) and of the planar resampler on what
// it decodes: it fails exactly when decodeJPEGScaled fails, with the same
// Code; planes are within the limits and libjpeg's plane sizes; and
// tensorPlanes on them writes finite values.
func checkPlanesDecode(t *testing.T, data []byte, minW, minH int, lim Limits) {
	t.Helper()
	var img image.NRGBA
	var yuv yuvPlanes
	planar, err := decodeJPEGPrep(data, minW, minH, lim, &img, &yuv)
	_, _, want := decodeJPEGScaled(data, minW, minH, lim, nil)
	if (err == nil) != (want == nil) {
		t.Fatalf("decodeJPEGPrep: %v; decodeJPEGScaled: %v", err, want)
	}
	if err != nil {
		e, _ := errors.AsType[*itemvec.Error](err)
		w, _ := errors.AsType[*itemvec.Error](want)
		if e == nil || w == nil || e.Code != w.Code {
			t.Fatalf("decodeJPEGPrep: %v; decodeJPEGScaled: %v; want the same Code", err, want)
		}
		return
	}
	if !planar {
		return
	}
	if yuv.w <= 0 || yuv.h <= 0 || int64(yuv.w)*int64(yuv.h) > lim.MaxPixels {
		t.Fatalf("planes of %d×%d, want a positive size within %d pixels", yuv.w, yuv.h, lim.MaxPixels)
	}
	planes := 3
	if yuv.gray {
		planes = 1
	}
	for k := range planes {
		if yuv.pw[k] < (yuv.w+yuv.hf-1)/yuv.hf || yuv.ph[k] < (yuv.h+yuv.vf-1)/yuv.vf ||
			yuv.off[k]+yuv.pw[k]*yuv.ph[k] > len(yuv.buf) {
			t.Fatalf("plane %d: %d×%d at %d in %d bytes, for a %d×%d image with 1 per %d×%d", k,
				yuv.pw[k], yuv.ph[k], yuv.off[k], len(yuv.buf), yuv.w, yuv.h, yuv.hf, yuv.vf)
		}
	}
	spec := ImageSpec{Width: 16, Height: 12, Resize: ResizePad}.WithDefaults()
	dst := make([]float32, spec.TensorSize())
	var r resampler
	r.tensorPlanes(&yuv, spec, dst)
	for i, v := range dst {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("tensor value %d is %v", i, v)
		}
	}
}
