package extract

import (
	"image"
	"math"
	"sync"
)

// Preparer turns encoded images into model input tensors for one
// ImageSpec and Limits, in one pass per image:
//
//   - a JPEG is decoded by libjpeg-turbo (when the package is built with
//     cgo, the default) at the smallest DCT scale n/8 whose result still
//     covers twice the spec's Width×Height (DefaultDecodeMargin), so a
//     2000 px photo for a 224 px model decompresses a sixteenth of its
//     pixels. An upright YCbCr or grayscale JPEG (all but 4:2:0 ones
//     decoded below full size) stays in libjpeg's Y, Cb and Cr planes:
//     no chroma upsampling, no colour conversion; the resampler reads the
//     chroma planes at their own resolution as libjpeg's simple
//     (replicating) upsampling would, and converts to RGB at the tensor's
//     pixels. Any other JPEG is decoded to RGB with that simple chroma
//     upsampling (what Go's decoder does; the "fancy" one changes
//     embeddings more than a scale step) and its EXIF orientation applied
//     to the small image. Without cgo (or with the itemvec_purego build
//     tag) Go's image/jpeg decodes it at full size;
//   - PNG, GIF and WebP keep Go's decoders (DecodeImage);
//   - then one resampling pass crops or pads, resizes with spec.Filter and
//     normalises straight into the caller's tensor, with no intermediate
//     image.
//
// A Preparer is safe for concurrent use. Its scratch buffers (decoded
// pixels, filter weights, the resampler's rows) are pooled, so a steady
// stream of images costs no allocation per image once the pool holds a
// buffer per goroutine.
//
// Without libjpeg-turbo the tensors equal DecodeImage → Fit → Tensor's
// (the reference path PrepareImage runs) exactly. With it they differ as
// two decoders and downscalers differ: for MobileNetV2 embeddings, cosine
// ≥ 0.995 on the sample catalog and the large photo set (see README,
// "Speed").
type Preparer struct {
	spec       ImageSpec
	lim        Limits
	margin     float64
	minW, minH int       // the smallest JPEG decode size: margin × the spec's
	scratch    sync.Pool // *prepScratch
}

// DefaultDecodeMargin is how much larger than the model's input a JPEG is
// decoded (each side), at least: the DCT scale n/8 is the smallest whose
// result is DefaultDecodeMargin × Width by DefaultDecodeMargin × Height
// or more, and the resampler does the rest of the reduction. Measured
// with MobileNetV2 on the sample catalog and the large photo set against
// the reference path (full-size decode, imaging's linear filter), the
// embeddings' cosine is at least 0.998 (catalog) and 0.997 (large
// photos) with 2, but drops to 0.957 and 0.982 with 1: the model is
// sensitive to how much a photo was blurred on the way down, and the DCT
// scale blurs less than the linear filter does over the same reduction.
const DefaultDecodeMargin = 2

// PrepareOption configures a Preparer.
type PrepareOption func(*Preparer)

// WithDecodeMargin sets the decode margin (see DefaultDecodeMargin);
// values below 1 mean 1: the decode always covers the model's input.
func WithDecodeMargin(m float64) PrepareOption {
	return func(p *Preparer) { p.margin = max(m, 1) }
}

// prepScratch is one goroutine's working memory.
type prepScratch struct {
	r   resampler
	img image.NRGBA // the last RGBA JPEG's decoded pixels, reused
	yuv yuvPlanes   // the last planar JPEG's planes, reused
}

// NewPreparer validates spec (with defaults applied) and returns a
// Preparer for it. The error is an [*itemvec.Error] of kind config.
func NewPreparer(spec ImageSpec, lim Limits, opts ...PrepareOption) (*Preparer, error) {
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	p := &Preparer{spec: spec, lim: lim.WithDefaults(), margin: DefaultDecodeMargin}
	for _, o := range opts {
		o(p)
	}
	p.minW = int(math.Ceil(p.margin * float64(spec.Width)))
	p.minH = int(math.Ceil(p.margin * float64(spec.Height)))
	return p, nil
}

// DecodeMargin is the Preparer's decode margin (see DefaultDecodeMargin).
func (p *Preparer) DecodeMargin() float64 { return p.margin }

// Spec is the ImageSpec the Preparer writes tensors for, defaults applied.
func (p *Preparer) Spec() ImageSpec { return p.spec }

// TensorSize is the number of floats Prepare writes.
func (p *Preparer) TensorSize() int { return p.spec.TensorSize() }

// TurboJPEG reports whether JPEGs are decoded by libjpeg-turbo (a cgo
// build) rather than Go's image/jpeg.
func TurboJPEG() bool { return turboJPEG }

// Prepare decodes data and writes its tensor into dst[:p.TensorSize()].
// A bad image fails with the same [*itemvec.Error] (kind bad input, Code
// CodeCorrupt, CodeTooManyPixels, …) DecodeImage gives, and dst is then
// left in an unspecified state. Prepare panics if dst is too short: that
// is a programming error.
func (p *Preparer) Prepare(data []byte, dst []float32) error {
	if len(dst) < p.spec.TensorSize() {
		panic("extract: Preparer.Prepare got a tensor shorter than the spec's")
	}
	s, _ := p.scratch.Get().(*prepScratch)
	if s == nil {
		s = &prepScratch{}
	}
	defer p.scratch.Put(s)
	img, kind, err := p.decode(s, data)
	if err != nil {
		return err
	}
	switch kind {
	case decodedPlanes:
		s.r.tensorPlanes(&s.yuv, p.spec, dst)
	case decodedRGBA:
		// libjpeg-turbo's pixels, opaque by construction: resampled in C.
		s.r.tensorOpaqueNRGBA(&s.img, p.spec, dst)
	default:
		s.r.tensor(img, p.spec, dst)
	}
	return nil
}

// decodedKind says where Preparer.decode left an image's pixels.
type decodedKind int

const (
	decodedImage  decodedKind = iota // the image it returns (DecodeImage's)
	decodedRGBA                      // s.img: a JPEG's RGBA pixels from libjpeg-turbo
	decodedPlanes                    // s.yuv: an upright YCbCr or grayscale JPEG's planes
)

// decode decodes data: a JPEG scaled down as far as the spec allows into
// s.yuv (upright YCbCr and grayscale JPEGs) or s.img (the others,
// upright and opaque), anything else as DecodeImage gives it.
func (p *Preparer) decode(s *prepScratch, data []byte) (image.Image, decodedKind, error) {
	if turboJPEG && len(data) >= 2 && data[0] == 0xFF && data[1] == 0xD8 && int64(len(data)) <= p.lim.MaxBytes {
		planar, err := decodeJPEGPrep(data, p.minW, p.minH, p.lim, &s.img, &s.yuv)
		switch {
		case err != nil:
			return nil, 0, err
		case planar:
			return nil, decodedPlanes, nil
		}
		return &s.img, decodedRGBA, nil
	}
	img, err := DecodeImage(data, p.lim)
	return img, decodedImage, err
}
