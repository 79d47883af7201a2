package extract

import (
	"encoding/binary"
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/itemvec/itemvec"
)

// fuzzSeeds are small valid, almost-valid and hostile inputs in every
// supported format, so the fuzzer starts inside each decoder.
func fuzzSeeds(f *testing.F) [][]byte {
	jpg := encodeJPEG(f, gradient(16, 12))
	alpha := image.NewNRGBA(image.Rect(0, 0, 5, 3))
	alpha.SetNRGBA(1, 1, color.NRGBA{200, 0, 0, 90})
	return [][]byte{
		nil,
		[]byte("not an image\n"),
		jpg,
		jpg[:len(jpg)/2],
		insertAfterSOI(jpg, exifSegment(binary.BigEndian, orientationEntry(binary.BigEndian, 6))),
		insertAfterSOI(jpg, exifSegment(binary.LittleEndian, orientationEntry(binary.LittleEndian, 5))),
		encodeJPEG(f, image.NewGray(image.Rect(0, 0, 9, 9))),
		readTestdata(f, "video-001.cmyk.crop.jpeg"),
		encodePNG(f, alpha),
		encodePNG(f, image.NewGray16(image.Rect(0, 0, 3, 7))),
		pngHeaderOnly(100000, 100000),
		encodeGIF(f, image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Transparent, color.White})),
		gifScreen(0, 0),
		readTestdata(f, "blue-purple-pink.lossy.webp"),
		readTestdata(f, "gopher-doc.with-alpha.lossless.webp"),
		webpVP8XHeader(30000, 30000),
	}
}

// FuzzPrepareImage checks that no input makes PrepareImage panic, and that
// it returns either a well-formed tensor or a bad-input *itemvec.Error. The limits are small
// so that the fuzzer's huge headers are refused cheaply.
func FuzzPrepareImage(f *testing.F) {
	for i, seed := range fuzzSeeds(f) {
		f.Add(seed, uint8(i))
	}
	modes := []string{ResizeCenterCrop, ResizeStretch, ResizePad}
	lim := Limits{MaxPixels: 1 << 20, MaxBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		spec := ImageSpec{Width: 7, Height: 5, Resize: modes[int(mode)%len(modes)]}
		x, err := PrepareImage(data, spec, lim)
		if err != nil {
			e := asError(t, err)
			if e.Code == "" || e.Err.(*itemvec.Cause).Msg == "" || e.Kind != itemvec.KindBadInput || itemvec.IsRetryable(err) {
				t.Fatalf("malformed error %#v", e)
			}
			return
		}
		if len(x) != spec.TensorSize() {
			t.Fatalf("len = %d, want %d", len(x), spec.TensorSize())
		}
		for i, v := range x {
			if math.IsNaN(float64(v)) || v < 0 || v > 1 {
				t.Fatalf("value %d = %v, want within [0, 1]", i, v)
			}
		}
	})
}

// FuzzJPEGOrientation aims the fuzzer at the EXIF parser alone, which sees
// every JPEG's header bytes before any decoder does.
func FuzzJPEGOrientation(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := jpegOrientation(data); o < 1 || o > 8 {
			t.Fatalf("jpegOrientation = %d, want 1..8", o)
		}
	})
}
