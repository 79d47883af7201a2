//go:build cgo && !itemvec_purego

package extract

/*
#cgo CFLAGS: -O2
#cgo noescape itemvec_resample
#cgo nocallback itemvec_resample
#cgo noescape itemvec_resample_planes
#cgo nocallback itemvec_resample_planes
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

// itemvec_plane_geom is how one plane of a yuvPlanes is resampled: pix
// (an offset into the buffer) is the first byte any output reads, stride
// the bytes per row, span the columns the vertical pass reads. Output
// column i sums xtaps samples of a row from column starts[xstart+i], times
// weights[xw+i*xtaps+t]; output row j sums ytaps rows from row
// starts[ystart+j], times weights[yw+j*ytaps+t]. The weights are final:
// each output's normalisation is in them.
typedef struct {
	intptr_t pix, stride;
	int span, xtaps, ytaps;
	intptr_t xstart, xw, ystart, yw;
} itemvec_plane_geom;

// itemvec_planes_geom is one planar resample: nplanes (1: Y, 3: Y, Cb,
// Cr) planes, each resampled to xn×yn, converted to RGB and written
// normalised (scale·v+bias per output channel k, which holds RGB channel
// chans[k]) into the tensor at at, as itemvec_resample_geom says.
typedef struct {
	itemvec_plane_geom p[3];
	int nplanes, xn, yn, nchw;
	int chans[3];
	float scale[3], bias[3];
	intptr_t plane, width, at;
} itemvec_planes_geom;

typedef uint64_t itemvec_v2q __attribute__((vector_size(16)));
typedef int32_t itemvec_v8i __attribute__((vector_size(32), aligned(16)));

// itemvec_load8 adds eight bytes from p, as floats, times w to *acc (or
// sets *acc to them with first). The bytes go through one register,
// widened by a shuffle with zeros and a conversion (pmovzxbw/pmovzxwd
// with AVX2, punpck* on the baseline); a plain conversion of eight bytes
// compiles to one byte at a time. No vector is returned: the baseline ABI
// would pass it in memory.
static inline __attribute__((always_inline)) void itemvec_load8(itemvec_v8f *acc, const uint8_t *p, float w, int first) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t x;
	memcpy(&x, p, 8);
	const itemvec_v2q q = {x, 0};
	const itemvec_v16b zb = {0};
	const itemvec_v16b blo = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23};
	const itemvec_v8h h = (itemvec_v8h)__builtin_shuffle((itemvec_v16b)q, zb, blo);
	const itemvec_v8f v = __builtin_convertvector(__builtin_convertvector(h, itemvec_v8i), itemvec_v8f);
#else
	const itemvec_v8f v = {p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]};
#endif
	if (first) {
		*acc = v * w;
	} else {
		*acc += v * w;
	}
}

// itemvec_transpose8 transposes the 8×8 floats m (row i in m[i]), with
// the unpack, shuffle and lane-permute steps AVX has instructions for.
static inline __attribute__((always_inline)) void itemvec_transpose8(itemvec_v8f *m) {
	const itemvec_v8i lo = {0, 8, 1, 9, 4, 12, 5, 13}, hi = {2, 10, 3, 11, 6, 14, 7, 15};
	const itemvec_v8i s44 = {0, 1, 8, 9, 4, 5, 12, 13}, see = {2, 3, 10, 11, 6, 7, 14, 15};
	const itemvec_v8i p20 = {0, 1, 2, 3, 8, 9, 10, 11}, p31 = {4, 5, 6, 7, 12, 13, 14, 15};
	itemvec_v8f t[8], u[8];
	for (int i = 0; i < 4; i++) {
		t[2 * i] = __builtin_shuffle(m[2 * i], m[2 * i + 1], lo);
		t[2 * i + 1] = __builtin_shuffle(m[2 * i], m[2 * i + 1], hi);
	}
	for (int i = 0; i < 2; i++) {
		u[4 * i] = __builtin_shuffle(t[4 * i], t[4 * i + 2], s44);
		u[4 * i + 1] = __builtin_shuffle(t[4 * i], t[4 * i + 2], see);
		u[4 * i + 2] = __builtin_shuffle(t[4 * i + 1], t[4 * i + 3], s44);
		u[4 * i + 3] = __builtin_shuffle(t[4 * i + 1], t[4 * i + 3], see);
	}
	for (int i = 0; i < 4; i++) {
		m[i] = __builtin_shuffle(u[i], u[i + 4], p20);
		m[i + 4] = __builtin_shuffle(u[i], u[i + 4], p31);
	}
}

// itemvec_plane_vpass resamples output rows j0 to j0+n-1 (n ≤ 8) of
// plane p vertically: column x of output row j0+r, its taps rows from
// starts[ystart+j] on weighed by its weights, goes to lane r of rows[x]
// (lanes n to 7 are zero). Eight columns of the eight rows at a time,
// every tap summed in a register, then transposed into place.
static inline __attribute__((always_inline)) void itemvec_plane_vpass(const itemvec_plane_geom *p, const uint8_t *buf,
								      const int32_t *starts, const float *weights, int j0, int n,
								      itemvec_v8f *rows) {
	const uint8_t *src[8];
	const float *w[8];
	for (int r = 0; r < n; r++) {
		src[r] = buf + p->pix + starts[p->ystart + j0 + r] * p->stride;
		w[r] = weights + p->yw + (intptr_t)(j0 + r) * p->ytaps;
	}
	const int taps = p->ytaps, span = p->span;
	const intptr_t stride = p->stride;
	int x = 0;
	for (; x + 8 <= span; x += 8) {
		// The taps outside, the rows inside: eight independent sums in
		// flight instead of one chain of additions per row.
		itemvec_v8f acc[8] = {{0}};
		if (n == 8) {
#pragma GCC unroll 8
			for (int r = 0; r < 8; r++) {
				itemvec_load8(&acc[r], src[r] + x, w[r][0], 1);
			}
			for (int t = 1; t < taps; t++) {
#pragma GCC unroll 8
				for (int r = 0; r < 8; r++) {
					itemvec_load8(&acc[r], src[r] + t * stride + x, w[r][t], 0);
				}
			}
		} else {
			for (int r = 0; r < n; r++) {
				itemvec_load8(&acc[r], src[r] + x, w[r][0], 1);
				for (int t = 1; t < taps; t++) {
					itemvec_load8(&acc[r], src[r] + t * stride + x, w[r][t], 0);
				}
			}
		}
		itemvec_transpose8(acc);
		for (int q = 0; q < 8; q++) {
			rows[x + q] = acc[q];
		}
	}
	for (; x < span; x++) {
		itemvec_v8f col = {0};
		for (int r = 0; r < n; r++) {
			float acc = src[r][x] * w[r][0];
			for (int t = 1; t < taps; t++) {
				acc += src[r][t * stride + x] * w[r][t];
			}
			col[r] = acc;
		}
		rows[x] = col;
	}
}

// itemvec_plane_hpass resamples eight output rows (the lanes of rows)
// horizontally: output i sums the taps columns from start[i] on, weighed
// by w, all eight rows in one register.
static inline __attribute__((always_inline)) void itemvec_plane_hpass(const itemvec_v8f *rows, const int32_t *start,
								      const float *w, int taps, int n, itemvec_v8f *out) {
	int i = 0;
	for (; i + 4 <= n; i += 4) { // four outputs, four chains of additions in flight
		const itemvec_v8f *p0 = rows + start[i], *p1 = rows + start[i + 1], *p2 = rows + start[i + 2], *p3 = rows + start[i + 3];
		const float *w0 = w + (intptr_t)i * taps, *w1 = w0 + taps, *w2 = w1 + taps, *w3 = w2 + taps;
		itemvec_v8f a0 = p0[0] * w0[0], a1 = p1[0] * w1[0], a2 = p2[0] * w2[0], a3 = p3[0] * w3[0];
		for (int t = 1; t < taps; t++) {
			a0 += p0[t] * w0[t];
			a1 += p1[t] * w1[t];
			a2 += p2[t] * w2[t];
			a3 += p3[t] * w3[t];
		}
		out[i] = a0;
		out[i + 1] = a1;
		out[i + 2] = a2;
		out[i + 3] = a3;
	}
	for (; i < n; i++) {
		const itemvec_v8f *p = rows + start[i];
		const float *wi = w + (intptr_t)i * taps;
		itemvec_v8f acc = p[0] * wi[0];
		for (int t = 1; t < taps; t++) {
			acc += p[t] * wi[t];
		}
		out[i] = acc;
	}
}

// itemvec_clamp255 clamps eight floats to 0..255, in place.
static inline __attribute__((always_inline)) void itemvec_clamp255(itemvec_v8f *v) {
	const itemvec_v8f zero = {0}, top = {255, 255, 255, 255, 255, 255, 255, 255};
	const itemvec_v8i lo = *v < zero, hi = *v > top;
	itemvec_v8i bits = (itemvec_v8i)*v & ~lo;
	bits = (bits & ~hi) | ((itemvec_v8i)top & hi);
	*v = (itemvec_v8f)bits;
}

// itemvec_planes_pixel sets v[k][q] to output channel k of column i of
// the eight rows in out (per plane, xn columns of eight rows): Y, Cb and
// Cr to RGB as libjpeg does (JFIF: full range, its constants), clamped to
// 0..255, rounded to a level, normalised.
static inline __attribute__((always_inline)) void itemvec_planes_pixel(const itemvec_planes_geom *g, const itemvec_v8f *out,
								       int i, itemvec_v8f v[3][8], int q) {
	const itemvec_v8f half = {128, 128, 128, 128, 128, 128, 128, 128};
	itemvec_v8f rgb[3];
	if (g->nplanes == 3) {
		const itemvec_v8f y = out[i], cb = out[g->xn + i] - half, cr = out[2 * g->xn + i] - half;
		rgb[0] = y + 1.40200f * cr;
		rgb[1] = y - 0.34414f * cb - 0.71414f * cr;
		rgb[2] = y + 1.77200f * cb;
	} else {
		rgb[0] = rgb[1] = rgb[2] = out[i];
	}
	for (int k = 0; k < 3; k++) {
		// Clamped, then rounded half up to a level, as imaging's and
		// libjpeg's 8-bit output are: MobileNetV2 tells a tensor of levels
		// from one between them (catalog cosine min 0.99830 unrounded,
		// 0.99861 rounded).
		itemvec_clamp255(&rgb[k]);
		rgb[k] = __builtin_convertvector(__builtin_convertvector(rgb[k] + 0.5f, itemvec_v8i), itemvec_v8f);
	}
	for (int k = 0; k < 3; k++) {
		v[k][q] = rgb[g->chans[k]] * g->scale[k] + g->bias[k];
	}
}

// itemvec_planes_wide is the widest span of g's planes: the columns of
// the vertical pass's buffer.
static inline int itemvec_planes_wide(const itemvec_planes_geom *g) {
	int wide = 0;
	for (int k = 0; k < g->nplanes; k++) {
		wide = g->p[k].span > wide ? g->p[k].span : wide;
	}
	return wide;
}

// itemvec_resample_planes resamples the planes of g eight output rows at
// a time: each plane's rows vertically, straight from its bytes, into a
// buffer that holds the eight rows as the lanes of each column, then
// horizontally, eight rows per operation; then it converts the Y, Cb and
// Cr sums to RGB as libjpeg does (JFIF: full range, its constants),
// clamps and rounds them to levels and writes them normalised, in float32
// with no rounding between the passes. scratch holds
// itemvec_planes_scratch(g) floats.
ITEMVEC_CLONES static void itemvec_resample_planes(itemvec_planes_geom g, const uint8_t *buf, const int32_t *starts,
						   const float *weights, float *scratch, float *dst) {
	const int wide = itemvec_planes_wide(&g);
	itemvec_v8f *rows = (itemvec_v8f *)(((uintptr_t)scratch + 15) & ~(uintptr_t)15);
	itemvec_v8f *out = rows + wide; // per plane, xn columns of eight rows
	for (int j0 = 0; j0 < g.yn; j0 += 8) {
		const int n = g.yn - j0 < 8 ? g.yn - j0 : 8;
		for (int k = 0; k < g.nplanes; k++) {
			const itemvec_plane_geom *p = &g.p[k];
			itemvec_plane_vpass(p, buf, starts, weights, j0, n, rows);
			itemvec_plane_hpass(rows, starts + p->xstart, weights + p->xw, p->xtaps, g.xn, out + (intptr_t)k * g.xn);
		}
		int i = 0;
		if (g.nchw) {
			// Eight columns at a time: their values, transposed into
			// eight rows of eight, one store each.
			for (; i + 8 <= g.xn; i += 8) {
				itemvec_v8f v[3][8];
				for (int q = 0; q < 8; q++) {
					itemvec_planes_pixel(&g, out, i + q, v, q);
				}
				for (int k = 0; k < 3; k++) {
					itemvec_transpose8(v[k]);
					for (int r = 0; r < n; r++) {
						memcpy(dst + k * g.plane + g.at + (intptr_t)(j0 + r) * g.width + i, &v[k][r], sizeof v[k][r]);
					}
				}
			}
		}
		for (; i < g.xn; i++) {
			itemvec_v8f v[3][8];
			itemvec_planes_pixel(&g, out, i, v, 0);
			for (int k = 0; k < 3; k++) {
				for (int r = 0; r < n; r++) {
					const intptr_t at = g.at + (intptr_t)(j0 + r) * g.width + i;
					if (g.nchw) {
						dst[k * g.plane + at] = v[k][0][r];
					} else {
						dst[3 * at + k] = v[k][0][r];
					}
				}
			}
		}
	}
}

// itemvec_planes_scratch is how many floats itemvec_resample_planes's
// scratch needs for g.
static intptr_t itemvec_planes_scratch(itemvec_planes_geom g) {
	const int wide = itemvec_planes_wide(&g);
	return 4 + 8 * ((intptr_t)wide + 3 * (intptr_t)g.xn);
}
*/
import "C"

import (
	"image"
	"slices"
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

// planarScratch is one call's working memory for tensorPlanes: every
// plane's starts and weights, and the C side's rows.
type planarScratch struct {
	starts  []int32
	weights []float32
	work    []float32
}

var planarScratches = sync.Pool{New: func() any { return new(planarScratch) }}

// planeAxis is one axis of one plane, as itemvec_plane_geom has it: the
// first sample read (lo), how many are read (span), taps per output,
// and where its starts and weights are in the scratch.
type planeAxis struct {
	lo, span, taps int
	start, w       int
}

// axis turns aw (prepared for an axis whose window starts at origin, in
// Y samples) into the weights of a plane with one sample per f Y samples
// and length samples: Y sample u reads plane sample u/f, as libjpeg's
// replicating upsampler does, so output i weighs plane sample c by the
// sum of aw's weights of the Y samples that read c. With f = 1 these are
// aw's own taps. The weights include aw's normalisation.
func (s *planarScratch) axis(aw *axisWeights, origin, f, length int) planeAxis {
	n, base := len(aw.start), origin+aw.lo
	taps := 1
	for j := range n {
		u := base + aw.start[j]
		taps = max(taps, (u+aw.taps-1)/f-u/f+1)
	}
	taps = min(taps, length)
	pa := planeAxis{taps: taps, start: len(s.starts), w: len(s.weights)}
	first := func(j int) int { return max(min((base+aw.start[j])/f, length-taps), 0) }
	pa.lo = first(0)
	s.weights = slices.Grow(s.weights, n*taps)[:pa.w+n*taps]
	clear(s.weights[pa.w:])
	for j := range n {
		c0 := first(j)
		s.starts = append(s.starts, int32(c0-pa.lo))
		ws := s.weights[pa.w+j*taps : pa.w+j*taps+taps]
		u := base + aw.start[j]
		for t, wt := range aw.w[j*aw.taps : j*aw.taps+aw.taps] {
			ws[(u+t)/f-c0] += float32(wt * aw.inv[j])
		}
		pa.span = max(pa.span, c0+taps-pa.lo)
	}
	return pa
}

// plane is the geometry of plane k of src read along x and y.
func planeGeom(src *yuvPlanes, k int, x, y planeAxis) C.itemvec_plane_geom {
	stride := src.stride[k]
	// The bytes C reads, checked here so that a geometry that overran the
	// plane would panic in Go instead.
	if x.lo+x.span > src.pw[k] || y.lo+y.span > src.ph[k] {
		panic("extract: planar resample reads outside its plane")
	}
	pix := src.off[k] + y.lo*stride + x.lo
	_ = src.buf[pix+(y.span-1)*stride+x.span-1]
	return C.itemvec_plane_geom{
		pix: C.intptr_t(pix), stride: C.intptr_t(stride),
		span: C.int(x.span), xtaps: C.int(x.taps), ytaps: C.int(y.taps),
		xstart: C.intptr_t(x.start), xw: C.intptr_t(x.w), ystart: C.intptr_t(y.start), yw: C.intptr_t(y.w),
	}
}

// tensorPlanes is r.tensor for a JPEG's planes (decodeJPEGPrep's): the
// same crop or pad and the same filter weights, computed for the Y plane
// and folded onto the chroma planes (see planarScratch.axis), so that the
// picture is the one libjpeg's replicating upsampler would give; each
// plane is resampled on its own, vertically first, and the Y, Cb and Cr
// sums are converted to RGB at the output pixels and rounded to levels,
// in float32 with no rounding between the passes. So the colour conversion runs on
// the tensor's pixels instead of the decoded image's, and the chroma
// planes are read at their own resolution: a fraction of the work of the
// RGB path. The scratch is pooled; a call allocates nothing in steady
// state.
func (r *resampler) tensorPlanes(src *yuvPlanes, spec ImageSpec, dst []float32) {
	w, h := spec.Width, spec.Height
	dst = dst[:spec.TensorSize()]
	chans := normLUT(&r.lut, spec)
	nchw := spec.Layout == LayoutNCHW
	b := image.Rect(0, 0, src.w, src.h)
	ax, ay := specAxes(b, spec)
	if b.Empty() || ax.n <= 0 || ay.n <= 0 {
		fillWhite(dst, &r.lut, nchw, 0, w*h)
		return
	}
	filter := resampleFilters[spec.Filter]
	r.x.prepare(ax, filter, spec.Filter)
	r.y.prepare(ay, filter, spec.Filter)

	s := planarScratches.Get().(*planarScratch)
	defer planarScratches.Put(s)
	s.starts, s.weights = s.starts[:0], s.weights[:0]
	g := C.itemvec_planes_geom{
		nplanes: 1, xn: C.int(ax.n), yn: C.int(ay.n),
		chans: [3]C.int{C.int(chans[0]), C.int(chans[1]), C.int(chans[2])},
		plane: C.intptr_t(w * h), width: C.intptr_t(w), at: C.intptr_t(ay.pos*w + ax.pos),
	}
	if nchw {
		g.nchw = 1
	}
	for k, c := range chans {
		g.scale[k] = C.float(1 / (spec.Scale * spec.Std[c]))
		g.bias[k] = C.float(-spec.Mean[c] / spec.Std[c])
	}
	x, y := s.axis(&r.x, ax.origin, 1, src.w), s.axis(&r.y, ay.origin, 1, src.h)
	g.p[0] = planeGeom(src, 0, x, y)
	if !src.gray {
		cx := s.axis(&r.x, ax.origin, src.hf, (src.w+src.hf-1)/src.hf)
		cy := s.axis(&r.y, ay.origin, src.vf, (src.h+src.vf-1)/src.vf)
		g.p[1], g.p[2] = planeGeom(src, 1, cx, cy), planeGeom(src, 2, cx, cy)
		g.nplanes = 3
	}
	s.work = grow(s.work, int(C.itemvec_planes_scratch(g)))
	C.itemvec_resample_planes(g, (*C.uint8_t)(&src.buf[0]), (*C.int32_t)(&s.starts[0]), (*C.float)(&s.weights[0]),
		(*C.float)(&s.work[0]), (*C.float)(&dst[0]))
	border(dst, &r.lut, nchw, w, h, ax, ay)
}
