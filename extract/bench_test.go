package extract

import (
	"image"
	"image/color"
	"testing"
)

// photoLike is a w×h picture with smooth gradients and some texture, which
// JPEG compresses about as well as a product photo.
func photoLike(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, color.NRGBA{
				R: uint8(x * 255 / w),
				G: uint8(y * 255 / h),
				B: uint8((x*x + y*y) >> 9),
				A: 0xFF,
			})
		}
	}
	return m
}

func BenchmarkPrepareImage(b *testing.B) {
	data := encodeJPEG(b, photoLike(1000, 800))
	for _, mode := range []string{ResizeCenterCrop, ResizeStretch, ResizePad} {
		spec := ImageSpec{Width: 224, Height: 224, Resize: mode,
			Mean: [3]float32{0.485, 0.456, 0.406}, Std: [3]float32{0.229, 0.224, 0.225}}
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := PrepareImage(data, spec, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
