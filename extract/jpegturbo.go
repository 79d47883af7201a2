//go:build cgo && !itemvec_purego

package extract

/*
#cgo LDFLAGS: -lturbojpeg
#cgo noescape itemvec_subsampling
#cgo nocallback itemvec_subsampling
#include <stdio.h>
#include <stdlib.h>
#include <turbojpeg.h>

// itemvec_decoder is one TurboJPEG decompressor with the results of its
// last call. TurboJPEG 2.1 formats libjpeg's messages into a thread-local
// buffer, and a goroutine may run its next cgo call on another thread, so
// each call that fails copies its message here before returning. Go reads
// only this struct, and passes no pointer to its own memory but the JPEG
// and the pixel buffer.
typedef struct {
	tjhandle h;
	int width, height, subsamp, colorspace; // from the last header read
	int warning;                            // the last failure was a libjpeg warning
	char msg[256];                          // the last failure's message
} itemvec_decoder;

static void itemvec_keep_error(itemvec_decoder *d) {
	const char *m = tjGetErrorStr2(d->h);
	d->warning = d->h != NULL && tjGetErrorCode(d->h) == TJERR_WARNING;
	snprintf(d->msg, sizeof d->msg, "%s", m != NULL ? m : "unknown error");
}

// itemvec_decoder_new returns a decoder, NULL when out of memory, or one
// whose h is NULL, and msg says why, when TurboJPEG cannot make a handle.
static itemvec_decoder *itemvec_decoder_new(void) {
	itemvec_decoder *d = calloc(1, sizeof *d);
	if (d == NULL) {
		return NULL;
	}
	d->h = tjInitDecompress();
	if (d->h == NULL) {
		itemvec_keep_error(d);
	}
	return d;
}

static void itemvec_decoder_free(itemvec_decoder *d) {
	if (d->h != NULL) {
		tjDestroy(d->h); // fails only for a handle TurboJPEG did not make
	}
	free(d);
}

static int itemvec_read_header(itemvec_decoder *d, const unsigned char *jpeg, unsigned long size) {
	d->width = d->height = 0; // a "tables only" stream succeeds without setting them
	int rc = tjDecompressHeader3(d->h, jpeg, size, &d->width, &d->height, &d->subsamp, &d->colorspace);
	if (rc != 0) {
		itemvec_keep_error(d);
	}
	return rc;
}

static int itemvec_decompress(itemvec_decoder *d, const unsigned char *jpeg, unsigned long size,
		unsigned char *dst, int width, int pitch, int height, int format, int flags) {
	int rc = tjDecompress2(d->h, jpeg, size, dst, width, pitch, height, format, flags);
	if (rc != 0) {
		itemvec_keep_error(d);
	}
	return rc;
}

// itemvec_decompress_planes is tjDecompressToYUVPlanes into one buffer:
// plane i starts off[i] bytes into buf and has stride[i] bytes per row (a
// grayscale JPEG writes plane 0 only).
static int itemvec_decompress_planes(itemvec_decoder *d, const unsigned char *jpeg, unsigned long size,
		unsigned char *buf, int off0, int off1, int off2, int stride0, int stride1, int stride2,
		int width, int height, int flags) {
	unsigned char *planes[3] = {buf + off0, buf + off1, buf + off2};
	int strides[3] = {stride0, stride1, stride2};
	int rc = tjDecompressToYUVPlanes(d->h, jpeg, size, planes, width, strides, height, flags);
	if (rc != 0) {
		itemvec_keep_error(d);
	}
	return rc;
}

// itemvec_subsampling sets *hf×*vf to the Y samples per chroma sample of
// TurboJPEG subsampling ss (1×1 for grayscale, which has no chroma).
static void itemvec_subsampling(int ss, int *hf, int *vf) {
	*hf = *vf = 1;
	if (ss >= 0 && ss < TJ_NUMSAMP && ss != TJSAMP_GRAY) {
		*hf = tjMCUWidth[ss] / 8;
		*vf = tjMCUHeight[ss] / 8;
	}
}

// itemvec_scaling_factor returns factor i of tjGetScalingFactors, or 0/0
// when there is no such factor.
static tjscalingfactor itemvec_scaling_factor(int i) {
	tjscalingfactor none = {0, 0};
	int n = 0;
	tjscalingfactor *sf = tjGetScalingFactors(&n);
	if (sf == NULL || i < 0 || i >= n) {
		return none;
	}
	return sf[i];
}
*/
import "C"

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"runtime"
	"sync"
	"unsafe"

	"github.com/itemvec/itemvec"
)

// turboJPEG reports whether the libjpeg-turbo decoder is compiled in.
const turboJPEG = true

// turboFlags make libjpeg's warnings (premature end of data, corrupt
// entropy data) fail the decode instead of yielding a half-grey image, and
// refuse progressive JPEGs with an absurd number of scans, a known way to
// make a small file cost minutes of CPU. The IDCT is TurboJPEG's default
// for decompression, the accurate integer one (Go's image/jpeg uses the
// same algorithm). Chroma is upsampled by replication, as Go's decoder
// does, not with libjpeg's "fancy" triangle filter: MobileNetV2's
// embeddings of the sample catalog moved by up to 0.043 in cosine with
// fancy upsampling, and by at most 0.0011 with this (see Preparer).
// (Planes, decodeJPEGPrep's, are not upsampled at all; tensorPlanes reads
// them as replication would.)
const turboFlags = C.TJFLAG_STOPONWARNING | C.TJFLAG_LIMITSCANS | C.TJFLAG_FASTUPSAMPLE

// turboDecoders holds idle decompressors. One is used by one goroutine at
// a time; what does not fit back is freed, so the pool never holds more
// than its capacity in C memory. (A sync.Pool would drop them without
// freeing them.)
var turboDecoders = make(chan *C.itemvec_decoder, 2*runtime.GOMAXPROCS(0))

func takeTurboDecoder() (*C.itemvec_decoder, error) {
	select {
	case d := <-turboDecoders:
		return d, nil
	default:
	}
	d := C.itemvec_decoder_new()
	if d == nil {
		return nil, itemvec.Errorf(itemvec.KindInternal, "extract.decodeJPEGScaled",
			"libjpeg-turbo: out of memory for a decompressor")
	}
	if d.h == nil {
		msg := C.GoString(&d.msg[0])
		C.itemvec_decoder_free(d)
		return nil, itemvec.Errorf(itemvec.KindInternal, "extract.decodeJPEGScaled",
			"libjpeg-turbo: cannot create a decompressor: %s", msg)
	}
	return d, nil
}

func returnTurboDecoder(d *C.itemvec_decoder) {
	select {
	case turboDecoders <- d:
	default:
		C.itemvec_decoder_free(d)
	}
}

// turboScale is a scaling factor num/denom ≤ 1 that libjpeg-turbo applies
// during the IDCT.
type turboScale struct{ num, denom int }

// scaled is TJSCALED: the size of a side of n pixels at this scale.
func (s turboScale) scaled(n int) int { return (n*s.num + s.denom - 1) / s.denom }

// turboScales are the factors of tjGetScalingFactors that are 1/1, 1/2,
// 1/4 or 1/8. libjpeg-turbo has SIMD inverse DCTs for those only; its other
// n/8 factors use plain C and are slower than the next power of two above
// them (on a 1600×1200 photo: 7/8, 3/4 and 5/8 slower than 1/1, 3/8 slower
// than 1/2), so they are never worth choosing. Its upscales never are.
var turboScales = sync.OnceValue(func() []turboScale {
	var out []turboScale
	for i := 0; ; i++ {
		sf := C.itemvec_scaling_factor(C.int(i))
		if sf.denom <= 0 {
			return out
		}
		if s := (turboScale{int(sf.num), int(sf.denom)}); s.num == 1 && 8%s.denom == 0 {
			out = append(out, s)
		}
	}
})

// chooseTurboScale returns the smallest scale at which a w×h image still
// covers minW×minH: 1/1 when minW or minH is not positive or no smaller
// scale covers it.
func chooseTurboScale(w, h, minW, minH int) turboScale {
	best := turboScale{1, 1}
	if minW <= 0 || minH <= 0 {
		return best
	}
	for _, s := range turboScales() {
		if s.num*best.denom < best.num*s.denom && s.scaled(w) >= minW && s.scaled(h) >= minH {
			best = s
		}
	}
	return best
}

// decodeJPEGScaled decodes a JPEG with libjpeg-turbo at the smallest
// scaling factor (1/8, 1/4, 1/2 or 1/1; see turboScales) whose output,
// upright, is at least minW wide and minH high (minW or minH ≤ 0: full
// size). For EXIF orientations 5–8 the stored image is the shown one
// transposed, so it must cover minH×minW. The orientation is applied to
// the scaled image. The result is opaque (A=255), its Pix reuses buf when
// buf's capacity suffices (pass the Pix of an earlier result, or nil), and
// full is the stored size before scaling.
//
// It refuses its input with the same [*itemvec.Error] values DecodeImage
// gives: empty, over lim.MaxBytes, not a JPEG, a header over lim.MaxPixels
// (checked before anything is decompressed) or corrupt. libjpeg warnings
// (premature end of data, corrupt entropy data) fail the decode; the
// cause is libjpeg-turbo's message. libjpeg is stricter than image/jpeg
// about entropy data that decodes to garbage without running out, and
// decodes progressive JPEGs with restart markers, which image/jpeg
// refuses.
func decodeJPEGScaled(data []byte, minW, minH int, lim Limits, buf []byte) (*image.NRGBA, image.Point, error) {
	img := &image.NRGBA{Pix: buf}
	full, err := decodeJPEGInto(data, minW, minH, lim, img)
	if err != nil {
		return nil, full, err
	}
	return img, full, nil
}

// decodeJPEGInto is decodeJPEGScaled writing the result into *dst, whose
// Pix it reuses when big enough: the Preparer's allocation-free path.
func decodeJPEGInto(data []byte, minW, minH int, lim Limits, dst *image.NRGBA) (full image.Point, err error) {
	j, err := openTurbo(data, minW, minH, lim)
	if err != nil {
		return j.full, err
	}
	defer func() { j.close(err) }()
	return j.full, j.rgba(dst)
}

// decodeJPEGPrep decodes a JPEG the way the Preparer reads it: into yuv's
// planes, as libjpeg stores them, with no chroma upsampling and no colour
// conversion (planar is true), or into img as decodeJPEGInto does. Both
// at the scale decodeJPEGScaled chooses, with its errors.
//
// Planes are for upright (EXIF orientation 1) YCbCr and grayscale JPEGs,
// except 4:2:0 ones decoded below full size: for those libjpeg computes
// the chroma for RGB at twice the resolution of the scaled chroma plane
// (it scales the chroma's inverse DCT up instead of upsampling it), and
// a plane would throw that detail away. CMYK, YCCK, RGB and oriented
// JPEGs go to img.
func decodeJPEGPrep(data []byte, minW, minH int, lim Limits, img *image.NRGBA, yuv *yuvPlanes) (planar bool, err error) {
	j, err := openTurbo(data, minW, minH, lim)
	if err != nil {
		return false, err
	}
	defer func() { j.close(err) }()
	scaled420 := j.d.subsamp == C.TJSAMP_420 && j.w != j.full.X
	known := j.d.subsamp >= 0 && j.d.subsamp < C.TJ_NUMSAMP // TurboJPEG 2.1 refuses other headers; a later one may not
	if j.o != orientNormal || (j.d.colorspace != C.TJCS_YCbCr && j.d.colorspace != C.TJCS_GRAY) || scaled420 || !known {
		return false, j.rgba(img)
	}
	return true, j.planes(yuv)
}

// turboJob is one JPEG in a pooled decompressor, its header read and its
// scale chosen.
type turboJob struct {
	d    *C.itemvec_decoder
	data []byte
	full image.Point // the stored size
	o    int         // the EXIF orientation
	w, h int         // the stored size at the chosen scale
}

// openTurbo checks data as decodeJPEGScaled documents, reads its header
// and chooses the scale at which, upright, it covers minW×minH. The
// caller closes the job.
func openTurbo(data []byte, minW, minH int, lim Limits) (j turboJob, err error) {
	lim = lim.WithDefaults()
	switch {
	case len(data) == 0:
		return j, badImage(CodeEmpty, "image is empty (0 bytes)", nil)
	case int64(len(data)) > lim.MaxBytes:
		return j, badImage(CodeTooLarge,
			fmt.Sprintf("image is %s, over the %s limit", formatBytes(int64(len(data))), formatBytes(lim.MaxBytes)), nil)
	case len(data) < 2 || data[0] != 0xFF || data[1] != 0xD8:
		return j, badImage(CodeUnsupportedFormat,
			fmt.Sprintf("unsupported image format (%s); supported: JPEG, PNG, GIF, WebP", describeUnknown(data)), nil)
	}

	d, err := takeTurboDecoder()
	if err != nil {
		return j, err
	}
	j = turboJob{d: d, data: data}
	defer func() {
		if err != nil {
			j.close(err)
		}
	}()
	if C.itemvec_read_header(d, j.src(), j.size()) != 0 {
		return j, turboHeaderError(data, lim, turboCause(d))
	}
	if d.width <= 0 || d.height <= 0 {
		// TurboJPEG reads a stream that ends before its first frame as
		// "tables only" and reports success with a zero size.
		return j, turboHeaderError(data, lim, errors.New("libjpeg-turbo: no image before the end of the data"))
	}
	j.full = image.Pt(int(d.width), int(d.height))
	if err := checkSize("JPEG", j.full.X, j.full.Y, lim); err != nil {
		return j, err
	}
	j.o = jpegOrientation(data)
	if j.o >= orientTranspose {
		minW, minH = minH, minW
	}
	s := chooseTurboScale(j.full.X, j.full.Y, minW, minH)
	j.w, j.h = s.scaled(j.full.X), s.scaled(j.full.Y)
	return j, nil
}

func (j *turboJob) src() *C.uchar { return (*C.uchar)(unsafe.Pointer(&j.data[0])) }
func (j *turboJob) size() C.ulong { return C.ulong(len(j.data)) }
func (j *turboJob) failed() error {
	return corrupt("JPEG", "data", len(j.data), turboCause(j.d), !hasJPEGEnd(j.data))
}

// close gives the decompressor back, or frees it after err: TurboJPEG 2.1
// leaves a handle whose header read failed half-way through the markers,
// and the next read on it continues from there, so a decompressor that
// saw any failure is not reused.
func (j *turboJob) close(err error) {
	if j.d == nil {
		return
	}
	if err != nil {
		C.itemvec_decoder_free(j.d)
	} else {
		returnTurboDecoder(j.d)
	}
	j.d = nil
}

// rgba decompresses the job into *dst as opaque RGBA, upright.
func (j *turboJob) rgba(dst *image.NRGBA) error {
	w, ht := j.w, j.h
	n := 4 * w * ht
	need := n
	if j.o != orientNormal {
		need = 2 * n // decode into the upper half, orient into the lower
	}
	buf := grow(dst.Pix, need)
	stored := buf[need-n:]

	cmyk := j.d.colorspace == C.TJCS_CMYK || j.d.colorspace == C.TJCS_YCCK
	format := C.int(C.TJPF_RGBA)
	if cmyk {
		format = C.TJPF_CMYK
	}
	rc := C.itemvec_decompress(j.d, j.src(), j.size(), (*C.uchar)(unsafe.Pointer(&stored[0])),
		C.int(w), C.int(4*w), C.int(ht), format, turboFlags)
	if rc != 0 {
		return j.failed()
	}
	if cmyk {
		adobeCMYKToRGBA(stored)
	}
	pix := buf[:n]
	if j.o != orientNormal {
		orientPix(pix, stored, w, ht, j.o)
		if j.o >= orientTranspose {
			w, ht = ht, w
		}
	}
	*dst = image.NRGBA{Pix: pix, Stride: 4 * w, Rect: image.Rect(0, 0, w, ht)}
	return nil
}

// planes decompresses the job, a YCbCr or grayscale JPEG, into yuv, as
// stored (the orientation is not applied).
func (j *turboJob) planes(yuv *yuvPlanes) error {
	ss := j.d.subsamp
	var hf, vf C.int
	C.itemvec_subsampling(ss, &hf, &vf)
	y := yuvPlanes{w: j.w, h: j.h, hf: int(hf), vf: int(vf), gray: ss == C.TJSAMP_GRAY}
	n := 1
	if !y.gray {
		n = 3
	}
	total := 0
	for i := range n {
		y.pw[i] = int(C.tjPlaneWidth(C.int(i), C.int(j.w), ss))
		y.ph[i] = int(C.tjPlaneHeight(C.int(i), C.int(j.h), ss))
		if y.pw[i] <= 0 || y.ph[i] <= 0 {
			return itemvec.Errorf(itemvec.KindInternal, "extract.decodeJPEGPrep",
				"libjpeg-turbo: no size for plane %d of a %d×%d image with subsampling %d", i, j.w, j.h, int(ss))
		}
		y.off[i], y.stride[i] = total, y.pw[i]
		total += y.pw[i] * y.ph[i]
	}
	y.buf = grow(yuv.buf, total)
	rc := C.itemvec_decompress_planes(j.d, j.src(), j.size(), (*C.uchar)(unsafe.Pointer(&y.buf[0])),
		C.int(y.off[0]), C.int(y.off[1]), C.int(y.off[2]), C.int(y.stride[0]), C.int(y.stride[1]), C.int(y.stride[2]),
		C.int(j.w), C.int(j.h), turboFlags)
	if rc != 0 {
		*yuv = yuvPlanes{buf: y.buf}
		return j.failed()
	}
	*yuv = y
	return nil
}

// turboCause is the error libjpeg-turbo reported for d's last failed call.
func turboCause(d *C.itemvec_decoder) error {
	kind := "error"
	if d.warning != 0 {
		kind = "warning"
	}
	return fmt.Errorf("libjpeg-turbo %s: %s", kind, C.GoString(&d.msg[0]))
}

// turboHeaderError classifies a header libjpeg-turbo refused the way
// DecodeImage does, which reads the header with image/jpeg: a header Go
// cannot read either is "truncated" or "corrupt JPEG header" as Go's error
// says; one Go reads (libjpeg reads on, to the first scan) is checked
// against lim first, then reported as a data error, as DecodeImage would
// report it when decoding the pixels. The cause is libjpeg-turbo's.
func turboHeaderError(data []byte, lim Limits, cause error) error {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return corrupt("JPEG", "header", len(data), cause, errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF))
	}
	if err := checkSize("JPEG", cfg.Width, cfg.Height, lim); err != nil {
		return err
	}
	return corrupt("JPEG", "data", len(data), cause, !hasJPEGEnd(data))
}

// adobeCMYKToRGBA converts, in place, the CMYK pixels libjpeg writes for a
// CMYK or YCCK JPEG to opaque RGB, the way DecodeImage does. libjpeg
// returns the stored values, which Adobe (whose files nearly all 4-channel
// JPEGs are) writes inverted, 255 meaning no ink; image/jpeg un-inverts
// them into an image.CMYK, and color.CMYKToRGB converts that.
func adobeCMYKToRGBA(pix []byte) {
	for i := 0; i+4 <= len(pix); i += 4 {
		p := (*[4]byte)(pix[i:])
		p[0], p[1], p[2] = color.CMYKToRGB(255-p[0], 255-p[1], 255-p[2], 255-p[3])
		p[3] = 0xFF
	}
}

// orientSteps says, for each EXIF orientation, where the pixel that ends
// up at the top left of the shown image is in the stored w×h image, and
// how far (in pixels of the stored image) one step right and one step
// down in the shown image move in the stored one. The same permutations
// as applyOrientation.
func orientSteps(o, w, h int) (start, dx, dy int) {
	switch o {
	case orientFlipH:
		return w - 1, -1, w
	case orientRotate180:
		return (h-1)*w + w - 1, -1, -w
	case orientFlipV:
		return (h - 1) * w, 1, -w
	case orientTranspose:
		return 0, w, 1
	case orientRotate90CW:
		return (h - 1) * w, -w, 1
	case orientTransverse:
		return (h-1)*w + w - 1, -w, -1
	case orientRotate90CC:
		return w - 1, w, -1
	}
	return 0, 1, w
}

// orientPix writes the stored w×h RGBA pixels src into dst the way
// orientation o says they are shown (h×w for orientations 5–8).
func orientPix(dst, src []byte, w, h, o int) {
	start, dx, dy := orientSteps(o, w, h)
	dw, dh := w, h
	if o >= orientTranspose {
		dw, dh = h, w
	}
	d := 0
	for y := range dh {
		s := start + y*dy
		for range dw {
			*(*[4]byte)(dst[d:]) = *(*[4]byte)(src[4*s:])
			d += 4
			s += dx
		}
	}
}
