package extract

import (
	"image"
	"math"

	"github.com/disintegration/imaging"
)

var resampleFilters = map[string]imaging.ResampleFilter{
	FilterLinear:     imaging.Linear,
	FilterCatmullRom: imaging.CatmullRom,
	FilterLanczos:    imaging.Lanczos,
	FilterBox:        imaging.Box,
	FilterNearest:    imaging.NearestNeighbor,
}

// Fit resizes img to exactly spec.Width×spec.Height the way spec.Resize
// says, with spec.Filter:
//
//   - center-crop: imaging.Fill anchored at the centre: the shorter side
//     fills the target and the longer side is cropped evenly (a very long
//     strip is first cut to a centred band, so that Fill's intermediate
//     image stays small);
//   - stretch: imaging.Resize, ignoring the aspect ratio;
//   - pad: scale (up or down) to fit inside the target and centre on a
//     white canvas.
//
// An image with no pixels gives a white canvas. Fit panics if spec does not
// pass Validate: check the spec once when it is loaded (PrepareImage does).
func Fit(img image.Image, spec ImageSpec) *image.NRGBA {
	spec = mustValid(spec)
	w, h := spec.Width, spec.Height
	filter := resampleFilters[spec.Filter]
	b := img.Bounds()
	if b.Empty() {
		return imaging.New(w, h, image.White)
	}
	switch spec.Resize {
	case ResizeStretch:
		return imaging.Resize(img, w, h, filter)
	case ResizePad:
		return pad(img, w, h, filter)
	}
	return centerCrop(img, w, h, filter)
}

// maxOvershoot bounds how much longer than the target the intermediate
// image of centerCrop may be along its long axis.
const maxOvershoot = 2

func centerCrop(img image.Image, w, h int, filter imaging.ResampleFilter) *image.NRGBA {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	// imaging.Fill resizes before it crops when a side is under 100 px. With
	// an extreme aspect ratio that intermediate image is enormous (a 1×50M
	// strip to 224×224 would first become 224×11.2G), so cut the long axis
	// down to a centred band first. The band is twice as long as what Fill
	// keeps, so the filter never reaches its edges and the output shows the
	// same centre, to within the rounding of a one-pixel offset.
	if sw < 100 || sh < 100 {
		scale := math.Max(float64(w)/float64(sw), float64(h)/float64(sh))
		keepW := int(math.Ceil(maxOvershoot * float64(w) / scale))
		keepH := int(math.Ceil(maxOvershoot * float64(h) / scale))
		if keepW < sw || keepH < sh {
			img = imaging.CropCenter(img, min(max(keepW, 1), sw), min(max(keepH, 1), sh))
		}
	}
	return imaging.Fill(img, w, h, imaging.Center, filter)
}

func pad(img image.Image, w, h int, filter imaging.ResampleFilter) *image.NRGBA {
	b := img.Bounds()
	sw, sh := float64(b.Dx()), float64(b.Dy())
	scale := math.Min(float64(w)/sw, float64(h)/sh)
	nw := min(max(int(math.Round(sw*scale)), 1), w)
	nh := min(max(int(math.Round(sh*scale)), 1), h)
	inner := imaging.Resize(img, nw, nh, filter)
	return imaging.PasteCenter(imaging.New(w, h, image.White), inner)
}

func mustValid(spec ImageSpec) ImageSpec {
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		panic("extract: " + err.Error())
	}
	return spec
}
