//go:build !cgo || itemvec_purego

package extract

import (
	"image"

	"github.com/itemvec/itemvec"
)

// turboJPEG reports whether the libjpeg-turbo decoder is compiled in: not
// in this build (no cgo, or the itemvec_purego tag), so JPEGs are decoded
// by image/jpeg at full size.
const turboJPEG = false

// decodeJPEGScaled is the libjpeg-turbo decoder, which this build lacks.
// Callers check turboJPEG first; reaching it is a programming error,
// reported as an internal error.
func decodeJPEGScaled([]byte, int, int, Limits, []byte) (*image.NRGBA, image.Point, error) {
	return nil, image.Point{}, itemvec.Errorf(itemvec.KindInternal, "extract.decodeJPEGScaled",
		"libjpeg-turbo is not compiled in (built without cgo or with the itemvec_purego tag); check turboJPEG first")
}

// decodeJPEGInto is decodeJPEGScaled into a caller's image; see there.
func decodeJPEGInto(data []byte, minW, minH int, lim Limits, _ *image.NRGBA) (image.Point, error) {
	_, full, err := decodeJPEGScaled(data, minW, minH, lim, nil)
	return full, err
}

// decodeJPEGPrep is the Preparer's libjpeg-turbo decode, which this build
// lacks; see decodeJPEGScaled.
func decodeJPEGPrep(data []byte, minW, minH int, lim Limits, _ *image.NRGBA, _ *yuvPlanes) (bool, error) {
	_, err := decodeJPEGInto(data, minW, minH, lim, nil)
	return false, err
}
