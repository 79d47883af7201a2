package extract

import (
	"fmt"
	"math"

	"github.com/itemvec/itemvec"
)

// Resize modes for ImageSpec.Resize.
const (
	// ResizeCenterCrop scales the image so its shorter side fills the target
	// and crops the centre. It is the default.
	ResizeCenterCrop = "center-crop"
	// ResizeStretch scales width and height independently, ignoring the
	// aspect ratio.
	ResizeStretch = "stretch"
	// ResizePad scales the whole image to fit inside the target (up or down)
	// and centres it on a white canvas (letterbox).
	ResizePad = "pad"
)

// Resampling filters for ImageSpec.Filter.
const (
	FilterLinear     = "linear" // the default
	FilterCatmullRom = "catmullrom"
	FilterLanczos    = "lanczos"
	FilterBox        = "box"
	FilterNearest    = "nearest"
)

// Tensor layouts for ImageSpec.Layout.
const (
	LayoutNCHW = "NCHW" // channel planes one after another; the default
	LayoutNHWC = "NHWC" // channels interleaved per pixel
)

// Channel orders for ImageSpec.ChannelOrder.
const (
	ChannelsRGB = "RGB" // the default
	ChannelsBGR = "BGR"
)

// DefaultScale is the pixel divisor used when ImageSpec.Scale is zero: pixel
// values 0..255 become 0..1 before Mean and Std are applied.
const DefaultScale = 255

// MaxSpecSide is the largest Width or Height an ImageSpec may ask for. It
// keeps one tensor under 200 MB (3×4096×4096 float32).
const MaxSpecSide = 4096

// ImageSpec says how a model wants its input image: size, how to get there
// and how to lay out and normalise the pixels. Zero values mean the
// defaults documented on each field; see WithDefaults.
type ImageSpec struct {
	// Width and Height of the tensor, in pixels. Both are required.
	Width  int `json:"width"`
	Height int `json:"height"`
	// Resize is "center-crop" (default), "stretch" or "pad".
	Resize string `json:"resize,omitempty"`
	// Filter is the resampling filter: "linear" (default), "catmullrom",
	// "lanczos", "box" or "nearest".
	Filter string `json:"filter,omitempty"`
	// Layout is "NCHW" (default) or "NHWC". The batch dimension is not part
	// of one image's tensor.
	Layout string `json:"layout,omitempty"`
	// ChannelOrder is "RGB" (default) or "BGR".
	ChannelOrder string `json:"channel_order,omitempty"`
	// Scale divides each 0..255 pixel value before Mean/Std; 0 means 255.
	// Use 1 for models that expect raw 0..255 values.
	Scale float32 `json:"scale,omitempty"`
	// Mean and Std are given in RGB order whatever ChannelOrder is; each
	// output value is (p/Scale - Mean[c]) / Std[c]. An all-zero Std means
	// {1, 1, 1}.
	Mean [3]float32 `json:"mean"`
	Std  [3]float32 `json:"std"`
}

// WithDefaults returns a copy of s with every zero-valued optional field
// replaced by its documented default. Width and Height have no default.
func (s ImageSpec) WithDefaults() ImageSpec {
	if s.Resize == "" {
		s.Resize = ResizeCenterCrop
	}
	if s.Filter == "" {
		s.Filter = FilterLinear
	}
	if s.Layout == "" {
		s.Layout = LayoutNCHW
	}
	if s.ChannelOrder == "" {
		s.ChannelOrder = ChannelsRGB
	}
	if s.Scale == 0 {
		s.Scale = DefaultScale
	}
	if s.Std == [3]float32{} {
		s.Std = [3]float32{1, 1, 1}
	}
	return s
}

// Validate reports whether s, with defaults applied, can be used. The error
// is an [*itemvec.Error] of kind config with Code CodeInvalidSpec.
func (s ImageSpec) Validate() error {
	s = s.WithDefaults()
	if s.Width <= 0 || s.Height <= 0 {
		return invalidSpec("width and height must be positive, got %d×%d", s.Width, s.Height)
	}
	if s.Width > MaxSpecSide || s.Height > MaxSpecSide {
		return invalidSpec("%d×%d is over the %d pixel limit per side", s.Width, s.Height, MaxSpecSide)
	}
	switch s.Resize {
	case ResizeCenterCrop, ResizeStretch, ResizePad:
	default:
		return invalidSpec("unknown resize %q (want %q, %q or %q)", s.Resize, ResizeCenterCrop, ResizeStretch, ResizePad)
	}
	if _, ok := resampleFilters[s.Filter]; !ok {
		return invalidSpec("unknown filter %q (want %q, %q, %q, %q or %q)", s.Filter,
			FilterLinear, FilterCatmullRom, FilterLanczos, FilterBox, FilterNearest)
	}
	switch s.Layout {
	case LayoutNCHW, LayoutNHWC:
	default:
		return invalidSpec("unknown layout %q (want %q or %q)", s.Layout, LayoutNCHW, LayoutNHWC)
	}
	switch s.ChannelOrder {
	case ChannelsRGB, ChannelsBGR:
	default:
		return invalidSpec("unknown channel_order %q (want %q or %q)", s.ChannelOrder, ChannelsRGB, ChannelsBGR)
	}
	if !finite(s.Scale) || s.Scale <= 0 {
		return invalidSpec("scale must be a positive number, got %v", s.Scale)
	}
	for c, name := range [3]string{"R", "G", "B"} {
		if !finite(s.Mean[c]) {
			return invalidSpec("mean[%s] must be a finite number, got %v", name, s.Mean[c])
		}
		if !finite(s.Std[c]) || s.Std[c] == 0 {
			return invalidSpec("std[%s] must be a finite non-zero number, got %v", name, s.Std[c])
		}
	}
	return nil
}

// TensorSize is the number of float32 values in one image's tensor:
// 3×Width×Height.
func (s ImageSpec) TensorSize() int { return 3 * s.Width * s.Height }

// Default limits, used for zero fields of Limits.
const (
	// DefaultMaxPixels is 50 megapixels, more than any product photo needs.
	// Peak memory for one image at the limit is several hundred MB: 200 MB
	// of RGBA, plus about 300 MB of coefficients while a progressive JPEG
	// decodes. Lower it for workers that decode many images at once.
	DefaultMaxPixels int64 = 50_000_000
	// DefaultMaxBytes is 32 MiB of encoded input.
	DefaultMaxBytes int64 = 32 << 20
)

// Limits bounds the work one input may cause. Zero or negative fields mean
// the defaults: DefaultMaxPixels (50 MP) and DefaultMaxBytes (32 MiB).
type Limits struct {
	// MaxPixels is the largest width×height the image header may declare.
	// It is checked before any pixel data is decompressed.
	MaxPixels int64
	// MaxBytes is the largest encoded input accepted.
	MaxBytes int64
}

// WithDefaults returns a copy of l with zero or negative fields replaced by
// the defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	return l
}

func invalidSpec(format string, args ...any) *itemvec.Error {
	return newError("extract.ImageSpec.Validate", CodeInvalidSpec, "invalid image spec: "+fmt.Sprintf(format, args...), nil)
}

func finite(f float32) bool {
	return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0)
}
