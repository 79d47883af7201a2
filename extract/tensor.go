package extract

import (
	"fmt"
	"image"
)

// Tensor writes img as spec.TensorSize() float32 values into dst, in
// spec.Layout (NCHW: all of channel 0, then 1, then 2; NHWC: three values
// per pixel, row by row) and spec.ChannelOrder, each value being
// (p/Scale - Mean[c]) / Std[c] computed in float32, with Mean and Std taken
// in RGB order. Pixels that are not fully opaque are composited onto white
// first, as DecodeImage does.
//
// Tensor panics if spec does not pass Validate, if img is not exactly
// spec.Width×spec.Height (use Fit), or if dst is shorter than
// spec.TensorSize(): all three are programming errors, not bad input.
func Tensor(img *image.NRGBA, spec ImageSpec, dst []float32) {
	spec = mustValid(spec)
	w, h := spec.Width, spec.Height
	b := img.Bounds()
	if b.Dx() != w || b.Dy() != h {
		panic(fmt.Sprintf("extract: Tensor got a %d×%d image for a %d×%d spec", b.Dx(), b.Dy(), w, h))
	}
	if len(dst) < spec.TensorSize() {
		panic(fmt.Sprintf("extract: Tensor got %d floats, the spec needs %d", len(dst), spec.TensorSize()))
	}

	// src[k] is the RGB channel that output channel k holds.
	src := [3]int{0, 1, 2}
	if spec.ChannelOrder == ChannelsBGR {
		src = [3]int{2, 1, 0}
	}
	// One lookup table per output channel: 256 divisions instead of one per
	// pixel, and exactly the same float32 results.
	var lut [3][256]float32
	for k, c := range src {
		for p := range 256 {
			lut[k][p] = (float32(p)/spec.Scale - spec.Mean[c]) / spec.Std[c]
		}
	}

	plane := w * h
	nchw := spec.Layout == LayoutNCHW
	for y := range h {
		row := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):]
		for x := range w {
			p := row[4*x : 4*x+4 : 4*x+4]
			rgb := [3]uint8{p[0], p[1], p[2]}
			if a := p[3]; a != 0xFF {
				for c := range rgb {
					rgb[c] = overWhite(rgb[c], a)
				}
			}
			i := y*w + x
			if nchw {
				dst[i] = lut[0][rgb[src[0]]]
				dst[plane+i] = lut[1][rgb[src[1]]]
				dst[2*plane+i] = lut[2][rgb[src[2]]]
			} else {
				d := dst[3*i : 3*i+3 : 3*i+3]
				d[0] = lut[0][rgb[src[0]]]
				d[1] = lut[1][rgb[src[1]]]
				d[2] = lut[2][rgb[src[2]]]
			}
		}
	}
}

// overWhite composites one non-premultiplied channel value with alpha a
// onto white, rounding to nearest.
func overWhite(c, a uint8) uint8 {
	return uint8((uint32(c)*uint32(a) + 0xFF*(0xFF-uint32(a)) + 0x7F) / 0xFF)
}

// PrepareImage turns encoded image bytes into one model input tensor:
// Validate the spec, DecodeImage within lim, Fit, then Tensor into a new
// slice of spec.TensorSize() floats. It is the reference path; a
// [Preparer] does the same several times faster without allocating. Every error is an [*itemvec.Error]:
// of kind config for an invalid spec, of kind bad input for the image.
func PrepareImage(data []byte, spec ImageSpec, lim Limits) ([]float32, error) {
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	img, err := DecodeImage(data, lim)
	if err != nil {
		return nil, err
	}
	dst := make([]float32, spec.TensorSize())
	Tensor(Fit(img, spec), spec, dst)
	return dst, nil
}
