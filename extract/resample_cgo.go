//go:build cgo && !itemvec_purego

package extract

/*
#cgo CFLAGS: -O2
#cgo noescape itemvec_resample
#cgo nocallback itemvec_resample
#include <stdint.h>
#include <string.h>

// Four floats (a pixel's R, G, B and A) or four ints, in one SSE/NEON
// register: GCC's vector extensions, so the same code vectorises on amd64
// and arm64 whatever -O level's vectoriser allows.
typedef float itemvec_v4f __attribute__((vector_size(16)));
typedef int32_t itemvec_v4i __attribute__((vector_size(16)));
typedef uint8_t itemvec_v16b __attribute__((vector_size(16)));
typedef uint16_t itemvec_v8h __attribute__((vector_size(16)));

// itemvec_resample_geom is the geometry of one resample; the arrays come
// with it as arguments.
typedef struct {
	intptr_t stride;          // source bytes per row
	int xn, xtaps, xspan;     // along x: outputs, taps per output, source pixels read
	int yn, ytaps;            // along y: outputs, taps per output
	int nchw;                 // the tensor's layout: NCHW (1) or NHWC (0)
	int chans[3];             // output channel k holds RGB channel chans[k]
	intptr_t plane;           // pixels per channel plane of the tensor
	intptr_t width;           // pixels per tensor row
	intptr_t at;              // the first output pixel's index in the tensor
} itemvec_resample_geom;

// itemvec_levels rounds four sums half up to levels 0..255, as imaging's
// clamp does (truncating x+0.5 after clamping it is the same thing).
static inline itemvec_v4i itemvec_levels(itemvec_v4f x) {
	const itemvec_v4f zero = {0, 0, 0, 0}, top = {255, 255, 255, 255};
	x += 0.5f;
	itemvec_v4i lo = x < zero, hi = x > top;
	itemvec_v4i bits = (itemvec_v4i)x & ~lo;
	bits = (bits & ~hi) | ((itemvec_v4i)top & hi);
	return __builtin_convertvector((itemvec_v4f)bits, itemvec_v4i);
}

// itemvec_hpass resamples one source row (line: xspan pixels as float
// RGBA) along x into row (xn pixels of levels, as floats). Four outputs
// go at a time so that their chains of additions overlap.
static inline __attribute__((always_inline)) void itemvec_hpass(const itemvec_resample_geom *g, const itemvec_v4f *line, const intptr_t *start,
			  const float *w, itemvec_v4f *row) {
	const int n = g->xn, taps = g->xtaps;
	int j = 0;
	for (; j + 4 <= n; j += 4) {
		const itemvec_v4f *p0 = line + start[j], *p1 = line + start[j + 1];
		const itemvec_v4f *p2 = line + start[j + 2], *p3 = line + start[j + 3];
		const float *w0 = w + j * taps, *w1 = w0 + taps, *w2 = w1 + taps, *w3 = w2 + taps;
		itemvec_v4f s0 = p0[0] * w0[0], s1 = p1[0] * w1[0], s2 = p2[0] * w2[0], s3 = p3[0] * w3[0];
		for (int i = 1; i < taps; i++) {
			s0 += p0[i] * w0[i];
			s1 += p1[i] * w1[i];
			s2 += p2[i] * w2[i];
			s3 += p3[i] * w3[i];
		}
		row[j] = __builtin_convertvector(itemvec_levels(s0), itemvec_v4f);
		row[j + 1] = __builtin_convertvector(itemvec_levels(s1), itemvec_v4f);
		row[j + 2] = __builtin_convertvector(itemvec_levels(s2), itemvec_v4f);
		row[j + 3] = __builtin_convertvector(itemvec_levels(s3), itemvec_v4f);
	}
	for (; j < n; j++) {
		const itemvec_v4f *p = line + start[j];
		const float *wj = w + j * taps;
		itemvec_v4f s = p[0] * wj[0];
		for (int i = 1; i < taps; i++) {
			s += p[i] * wj[i];
		}
		row[j] = __builtin_convertvector(itemvec_levels(s), itemvec_v4f);
	}
}

// itemvec_row_floats converts n RGBA pixels to floats, four at a time by
// interleaving their bytes with zeros (punpcklbw/punpcklwd, or NEON's
// zip; a plain conversion compiles to one byte at a time).
static inline __attribute__((always_inline)) void itemvec_row_floats(itemvec_v4f *line, const uint8_t *src, int n) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const itemvec_v16b zb = {0};
	const itemvec_v8h zh = {0};
	const itemvec_v16b blo = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23};
	const itemvec_v16b bhi = {8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
	const itemvec_v8h hlo = {0, 8, 1, 9, 2, 10, 3, 11}, hhi = {4, 12, 5, 13, 6, 14, 7, 15};
	int k = 0;
	for (; k + 4 <= n; k += 4) {
		itemvec_v16b b;
		memcpy(&b, src + 4 * k, 16);
		const itemvec_v8h lo = (itemvec_v8h)__builtin_shuffle(b, zb, blo);
		const itemvec_v8h hi = (itemvec_v8h)__builtin_shuffle(b, zb, bhi);
		line[k] = __builtin_convertvector((itemvec_v4i)__builtin_shuffle(lo, zh, hlo), itemvec_v4f);
		line[k + 1] = __builtin_convertvector((itemvec_v4i)__builtin_shuffle(lo, zh, hhi), itemvec_v4f);
		line[k + 2] = __builtin_convertvector((itemvec_v4i)__builtin_shuffle(hi, zh, hlo), itemvec_v4f);
		line[k + 3] = __builtin_convertvector((itemvec_v4i)__builtin_shuffle(hi, zh, hhi), itemvec_v4f);
	}
#else
	int k = 0;
#endif
	for (; k < n; k++) {
		const uint8_t *p = src + 4 * k;
		line[k] = (itemvec_v4f){p[0], p[1], p[2], p[3]};
	}
}

// itemvec_weights sets out[j*taps+i] to w[j*taps+i]·inv[j], the weight
// and the normalisation of output j in one float.
static inline __attribute__((always_inline)) void itemvec_weights(float *out, const double *w, const double *inv, int n, int taps) {
	for (int j = 0; j < n; j++) {
		for (int i = 0; i < taps; i++) {
			out[j * taps + i] = (float)(w[j * taps + i] * inv[j]);
		}
	}
}

// itemvec_v8f is two pixels' floats: the vertical pass goes two pixels
// per operation (one AVX register; two SSE ones on the baseline), each lane
// the same sum in the same order as one pixel at a time.
typedef float itemvec_v8f __attribute__((vector_size(32), aligned(16)));

// itemvec_vrow adds the rows ra·wa (and rb·wb when rb is not NULL) into
// acc, n pixels, or with first sets acc to ra·wa.
static inline __attribute__((always_inline)) void itemvec_vrow(itemvec_v4f *acc, const itemvec_v4f *ra, float wa,
								const itemvec_v4f *rb, float wb, int n, int first) {
	itemvec_v8f *a8 = (itemvec_v8f *)acc;
	const itemvec_v8f *ra8 = (const itemvec_v8f *)ra, *rb8 = (const itemvec_v8f *)rb;
	const int pairs = n / 2;
	if (first) {
		for (int i = 0; i < pairs; i++) {
			a8[i] = ra8[i] * wa;
		}
		if (n & 1) {
			acc[n - 1] = ra[n - 1] * wa;
		}
	} else if (rb != NULL) {
		for (int i = 0; i < pairs; i++) {
			a8[i] = a8[i] + ra8[i] * wa + rb8[i] * wb;
		}
		if (n & 1) {
			acc[n - 1] = acc[n - 1] + ra[n - 1] * wa + rb[n - 1] * wb;
		}
	} else {
		for (int i = 0; i < pairs; i++) {
			a8[i] += ra8[i] * wa;
		}
		if (n & 1) {
			acc[n - 1] += ra[n - 1] * wa;
		}
	}
}

// ITEMVEC_CLONES compiles itemvec_resample twice on amd64 with GCC, for
// AVX2 and for the baseline, and picks one when the program loads (an
// ifunc): the same operations in the same order,
// so the same floats (the avx2 target has no FMA to contract a*b+c into), in
// fewer instructions where the CPU has AVX2.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ITEMVEC_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define ITEMVEC_CLONES
#endif

static intptr_t itemvec_round4(intptr_t n) { return (n + 3) & ~(intptr_t)3; }

// itemvec_resample_scratch is how many floats itemvec_resample's scratch
// needs for g.
static intptr_t itemvec_resample_scratch(itemvec_resample_geom g) {
	return 4 + itemvec_round4((intptr_t)g.xn * g.xtaps) + itemvec_round4((intptr_t)g.yn * g.ytaps) +
	       4 * ((intptr_t)g.xspan + (intptr_t)g.ytaps * g.xn + g.xn);
}

// itemvec_resample is resampler.tensor's two passes for opaque RGBA
// pixels (pix: the first pixel any output reads), in float32: each source
// row an output row needs goes through the horizontal pass into a ring of
// ytaps rows of levels, and each output row sums its rows of the ring,
// rounds them to levels and writes them through lut (3×256 floats, one
// table per output channel) into dst. The weights are resampler's (w,
// each times its output's inv); scratch has itemvec_resample_scratch(g)
// floats.
ITEMVEC_CLONES static void itemvec_resample(itemvec_resample_geom g, const uint8_t *pix, const intptr_t *xstart, const double *xw,
			     const double *xinv, const intptr_t *ystart, const intptr_t *yfirst, const intptr_t *ylast,
			     const double *yw, const double *yinv, const float *lut, float *scratch, float *dst) {
	float *base = (float *)(((uintptr_t)scratch + 15) & ~(uintptr_t)15);
	float *wx = base;
	float *wy = wx + itemvec_round4((intptr_t)g.xn * g.xtaps);
	itemvec_v4f *line = (itemvec_v4f *)(wy + itemvec_round4((intptr_t)g.yn * g.ytaps));
	itemvec_v4f *ring = line + g.xspan;
	itemvec_v4f *acc = ring + (intptr_t)g.ytaps * g.xn;
	itemvec_weights(wx, xw, xinv, g.xn, g.xtaps);
	itemvec_weights(wy, yw, yinv, g.yn, g.ytaps);

	const float *l0 = lut + 256 * 0, *l1 = lut + 256 * 1, *l2 = lut + 256 * 2;
	const int c0 = g.chans[0], c1 = g.chans[1], c2 = g.chans[2];
	intptr_t next = 0; // the next source row to resample
	for (int j = 0; j < g.yn; j++) {
		const intptr_t s = ystart[j], first = s + yfirst[j], last = s + ylast[j];
		for (intptr_t u = first > next ? first : next; u < last; u++) {
			itemvec_row_floats(line, pix + u * g.stride, g.xspan);
			itemvec_hpass(&g, line, xstart, wx, ring + (u % g.ytaps) * g.xn);
		}
		if (last > next) {
			next = last;
		}

		const float *wj = wy + (intptr_t)j * g.ytaps; // tap i weighs row s+i
		const itemvec_v4f *r0 = ring + (first % g.ytaps) * g.xn;
		const float w0 = wj[first - s];
		itemvec_vrow(acc, r0, w0, NULL, 0, g.xn, 1);
		intptr_t u = first + 1;
		for (; u + 1 < last; u += 2) {
			const itemvec_v4f *ra = ring + (u % g.ytaps) * g.xn, *rb = ring + ((u + 1) % g.ytaps) * g.xn;
			const float wa = wj[u - s], wb = wj[u + 1 - s];
			itemvec_vrow(acc, ra, wa, rb, wb, g.xn, 0);
		}
		if (u < last) {
			const itemvec_v4f *ra = ring + (u % g.ytaps) * g.xn;
			const float wa = wj[u - s];
			itemvec_vrow(acc, ra, wa, NULL, 0, g.xn, 0);
		}

		const intptr_t at = g.at + (intptr_t)j * g.width;
		if (g.nchw) {
			float *d0 = dst + at, *d1 = d0 + g.plane, *d2 = d1 + g.plane;
			for (int i = 0; i < g.xn; i++) {
				const itemvec_v4i v = itemvec_levels(acc[i]);
				d0[i] = l0[v[c0]];
				d1[i] = l1[v[c1]];
				d2[i] = l2[v[c2]];
			}
		} else {
			float *d = dst + 3 * at;
			for (int i = 0; i < g.xn; i++) {
				const itemvec_v4i v = itemvec_levels(acc[i]);
				d[3 * i] = l0[v[c0]];
				d[3 * i + 1] = l1[v[c1]];
				d[3 * i + 2] = l2[v[c2]];
			}
		}
	}
}
*/
import "C"

import (
	"image"
	"sync"
	"unsafe"
)

// cResampleScratch is one call's working memory for the C resampler: the
// weights as floats, a source row, the ring of the horizontal pass and
// one output row's sums.
type cResampleScratch struct {
	buf []float32
}

// cResampleScratches pools cResampleScratch, so that a steady stream of
// images of similar sizes allocates nothing.
var cResampleScratches = sync.Pool{New: func() any { return new(cResampleScratch) }}

// tensorOpaqueNRGBA is r.tensor for an opaque *image.NRGBA (the
// libjpeg-turbo decoder's output) with the resampling in C: the same
// crop or pad, the same weights (r's, computed in Go) and the same order
// of passes with rounding to a level between them, but in float32
// arithmetic with each output's normalisation folded into its weights.
// So a value can differ from r.tensor's by a level where a sum falls
// within float32's error of a half level. Alpha is not read: every pixel
// is taken as opaque. The scratch is pooled; a call allocates nothing in
// steady state.
func (r *resampler) tensorOpaqueNRGBA(src *image.NRGBA, spec ImageSpec, dst []float32) {
	b := src.Bounds()
	if b.Empty() {
		r.tensor(src, spec, dst)
		return
	}
	w, h := spec.Width, spec.Height
	ax, ay := specAxes(b, spec)
	if ax.n <= 0 || ay.n <= 0 {
		r.tensor(src, spec, dst)
		return
	}
	dst = dst[:spec.TensorSize()]
	chans := normLUT(&r.lut, spec)
	nchw := spec.Layout == LayoutNCHW
	filter := resampleFilters[spec.Filter]
	r.x.prepare(ax, filter, spec.Filter)
	r.y.prepare(ay, filter, spec.Filter)

	g := C.itemvec_resample_geom{
		stride: C.intptr_t(src.Stride),
		xn:     C.int(ax.n), xtaps: C.int(r.x.taps), xspan: C.int(r.x.hi - r.x.lo),
		yn: C.int(ay.n), ytaps: C.int(r.y.taps),
		chans: [3]C.int{C.int(chans[0]), C.int(chans[1]), C.int(chans[2])},
		plane: C.intptr_t(w * h), width: C.intptr_t(w), at: C.intptr_t(ay.pos*w + ax.pos),
	}
	if nchw {
		g.nchw = 1
	}
	// The bytes C reads, sliced here so that a geometry that overran the
	// pixels would panic in Go instead.
	from := src.PixOffset(ax.origin+r.x.lo, ay.origin+r.y.lo)
	to := src.PixOffset(ax.origin+r.x.hi-1, ay.origin+r.y.hi-1) + 4
	pix := src.Pix[from:to]

	s := cResampleScratches.Get().(*cResampleScratch)
	defer cResampleScratches.Put(s)
	s.buf = grow(s.buf, int(C.itemvec_resample_scratch(g)))

	C.itemvec_resample(g, (*C.uint8_t)(&pix[0]),
		(*C.intptr_t)(unsafe.Pointer(&r.x.start[0])), (*C.double)(&r.x.w[0]), (*C.double)(&r.x.inv[0]),
		(*C.intptr_t)(unsafe.Pointer(&r.y.start[0])), (*C.intptr_t)(unsafe.Pointer(&r.y.first[0])),
		(*C.intptr_t)(unsafe.Pointer(&r.y.last[0])), (*C.double)(&r.y.w[0]), (*C.double)(&r.y.inv[0]),
		(*C.float)(&r.lut[0][0]), (*C.float)(&s.buf[0]), (*C.float)(&dst[0]))
	border(dst, &r.lut, nchw, w, h, ax, ay)
}
