//go:build !cgo || itemvec_purego

package extract

import (
	"testing"

	"github.com/itemvec/itemvec"
)

// Without libjpeg-turbo the package says so, and the decoder that is not
// there fails clearly instead of pretending: callers check turboJPEG.
func TestTurboJPEGDisabled(t *testing.T) {
	if turboJPEG {
		t.Fatal("turboJPEG = true in a build without libjpeg-turbo")
	}
	img, _, err := decodeJPEGScaled(encodeJPEG(t, gradient(8, 8)), 0, 0, Limits{}, nil)
	if img != nil || itemvec.KindOf(err) != itemvec.KindInternal {
		t.Fatalf("decodeJPEGScaled = %v, %v; want no image and an internal error", img, err)
	}
}
