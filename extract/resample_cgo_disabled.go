//go:build !cgo || itemvec_purego

package extract

import "image"

// tensorOpaqueNRGBA is r.tensor: this build (no cgo, or the
// itemvec_purego tag) has no C resampler, and no libjpeg-turbo decoder
// whose output it is for.
func (r *resampler) tensorOpaqueNRGBA(src *image.NRGBA, spec ImageSpec, dst []float32) {
	r.tensor(src, spec, dst)
}

// tensorPlanes is never reached in this build: decodeJPEGPrep, which
// makes planes, is libjpeg-turbo's, and here it makes none.
func (r *resampler) tensorPlanes(*yuvPlanes, ImageSpec, []float32) {
	panic("extract: tensorPlanes without libjpeg-turbo (built without cgo or with the itemvec_purego tag)")
}
