package extract

import (
	"image"
	"image/color"
	"math"

	"github.com/disintegration/imaging"
)

// resampler holds the scratch of one goroutine's resampling (filter
// weights, the horizontal pass's rows, a row-conversion buffer). The zero
// value is ready; reuse it for the next image to avoid allocating.
type resampler struct {
	x, y axisWeights
	line []float64 // one source row as opaque RGB: three planes of x.hi-x.lo values
	ring []float64 // the last y.taps rows of the horizontal pass: three planes of x.n levels each
	acc  []float64 // one output row's sums, planar like a ring row
	lut  [3][256]float32
}

// tensor writes src resized to spec.Width×spec.Height the way Fit does
// (spec.Resize: center-crop = crop the centred source rectangle with the
// target aspect ratio, exactly as imaging.Fill's cropAndResize computes
// it, then resample; stretch = resample the whole image; pad = scale to
// fit inside, centre on white, same nw/nh rounding as fit.go's pad) with
// spec.Filter, and normalised as Tensor does ((p/Scale-Mean[c])/Std[c],
// spec.Layout, spec.ChannelOrder), into dst[:spec.TensorSize()]. spec has
// passed Validate and WithDefaults.
//
// It is one separable pass from the source pixels into dst, with no
// intermediate image, doing imaging v1.6.2's arithmetic along each axis
// whose size changes: float64, the weights of precomputeWeights (or
// resizeNearest's pixel choice), each sum taken in the same order, and
// the same clamping and rounding to a level. So:
//
//   - each source row an output row needs is converted to RGB floats,
//     resampled along x into the levels imaging's intermediate image
//     would hold, and kept in a ring of as many rows as the vertical
//     filter reaches;
//   - each output row sums its rows of the ring, rounds to a level and
//     goes through Tensor's lookup table straight into dst, in the
//     spec's layout and channel order.
//
// For opaque pixels the floats are those of Tensor(Fit(src, spec)), bit
// for bit on amd64 (a compiler that fuses multiply-adds may fuse imaging's
// and these differently, which can move a value by a level), and the
// scratch is a few rows however large the source is.
// Small sources (a side under 100 px) are cut to Fit's centred band and
// resized before they are cropped, as imaging.Fill's resizeAndCrop does;
// only the kept part of the resized image is computed.
//
// One difference from the old path: translucent pixels are composited
// onto white before resampling, where Fit resamples alpha-weighted colour
// and Tensor composites after. DecodeImage's output is always opaque, so
// this matters only for other callers.
//
// The fast paths are *image.NRGBA, *image.RGBA, *image.YCbCr (every
// subsample ratio, converted as color.YCbCrToRGB and imaging's scanner
// do) and *image.Gray; any other image goes through At and
// color.NRGBAModel, which may allocate. Nothing else allocates once the
// scratch has grown to the sizes at hand, and the weights are recomputed
// only when the source or target size, the crop or the filter changes.
func (r *resampler) tensor(src image.Image, spec ImageSpec, dst []float32) {
	w, h := spec.Width, spec.Height
	dst = dst[:spec.TensorSize()]
	chans := normLUT(&r.lut, spec)
	nchw := spec.Layout == LayoutNCHW

	b := src.Bounds()
	if b.Empty() {
		fillWhite(dst, &r.lut, nchw, 0, w*h)
		return
	}
	ax, ay := specAxes(b, spec)
	if ax.n <= 0 || ay.n <= 0 {
		fillWhite(dst, &r.lut, nchw, 0, w*h)
		return
	}
	filter := resampleFilters[spec.Filter]
	r.x.prepare(ax, filter, spec.Filter)
	r.y.prepare(ay, filter, spec.Filter)

	stride := 3 * ax.n
	ys := &r.y
	slots := ys.taps
	r.ring = grow(r.ring, slots*stride)
	r.acc = grow(r.acc, stride)
	r.line = grow(r.line, 3*(r.x.hi-r.x.lo))
	acc := r.acc[:stride]
	next := 0 // the next source row to resample, counted from ys.lo
	for j := range ay.n {
		s := ys.start[j]
		for u := max(next, s); u < s+slots; u++ {
			r.sourceRow(src, ax.origin+r.x.lo, ay.origin+ys.lo+u)
			r.x.resampleRow(r.ringRow(u, stride), r.line)
		}
		next = max(next, s+slots)
		ws := ys.w[j*slots : j*slots+slots]
		i, last := ys.first[j], ys.last[j]
		scaleRow(acc, r.ringRow(s+i, stride), ws[i])
		for i++; i+1 < last; i += 2 {
			addScaledRows(acc, r.ringRow(s+i, stride), r.ringRow(s+i+1, stride), ws[i], ws[i+1])
		}
		if i < last {
			addScaledRow(acc, r.ringRow(s+i, stride), ws[i])
		}
		r.writeRow(dst, acc, ys.inv[j], chans, nchw, w, h, (ay.pos+j)*w+ax.pos)
	}
	border(dst, &r.lut, nchw, w, h, ax, ay)
}

// ringRow is the slot of r.ring that holds row u (counted from y.lo) of
// the horizontal pass.
// specAxes are the source rows and columns spec.Resize maps onto the
// spec.Width×spec.Height output for source bounds b.
func specAxes(b image.Rectangle, spec ImageSpec) (ax, ay axis) {
	w, h := spec.Width, spec.Height
	switch spec.Resize {
	case ResizeStretch:
		return resizeAxis(b.Min.X, b.Dx(), w), resizeAxis(b.Min.Y, b.Dy(), h)
	case ResizePad:
		return padAxes(b, w, h)
	default:
		return centerCropAxes(b, w, h)
	}
}

func (r *resampler) ringRow(u, stride int) []float64 {
	slot := u % r.y.taps
	return r.ring[slot*stride : slot*stride+stride]
}

// scaleRow sets acc to row·wt: the first term of imaging's sums, 0 + x.
func scaleRow(acc, row []float64, wt float64) {
	row = row[:len(acc)]
	for i := range acc {
		acc[i] = row[i] * wt
	}
}

// addScaledRow adds row·wt to acc.
func addScaledRow(acc, row []float64, wt float64) {
	row = row[:len(acc)]
	for i := range acc {
		acc[i] += row[i] * wt
	}
}

// addScaledRows adds row0·w0, then row1·w1, to acc.
func addScaledRows(acc, row0, row1 []float64, w0, w1 float64) {
	row0, row1 = row0[:len(acc)], row1[:len(acc)]
	for i := range acc {
		acc[i] = acc[i] + row0[i]*w0 + row1[i]*w1
	}
}

// writeRow writes one output row, the planar RGB sums in acc times inv
// as levels through r.lut, into dst from pixel at on.
func (r *resampler) writeRow(dst []float32, acc []float64, inv float64, chans [3]int, nchw bool, w, h, at int) {
	n := len(acc) / 3
	if nchw {
		plane := w * h
		for k, c := range chans {
			l := &r.lut[k]
			a := acc[c*n : c*n+n]
			d := dst[k*plane+at : k*plane+at+n]
			d = d[:len(a)]
			for i, v := range a {
				d[i] = l[clampLevel(v*inv)]
			}
		}
		return
	}
	a0, a1, a2 := acc[chans[0]*n:chans[0]*n+n], acc[chans[1]*n:chans[1]*n+n], acc[chans[2]*n:chans[2]*n+n]
	a1, a2 = a1[:len(a0)], a2[:len(a0)]
	d := dst[3*at : 3*at+3*n]
	l0, l1, l2 := &r.lut[0], &r.lut[1], &r.lut[2]
	for i := range a0 {
		o := d[3*i : 3*i+3 : 3*i+3]
		o[0] = l0[clampLevel(a0[i]*inv)]
		o[1] = l1[clampLevel(a1[i]*inv)]
		o[2] = l2[clampLevel(a2[i]*inv)]
	}
}

// resampleRow resamples one source row along the axis: line holds three
// planes of aw.hi-aw.lo values, row gets three planes of len(aw.start)
// levels. Outputs go two at a time, each with its own sums, so that the
// two chains of additions overlap.
func (aw *axisWeights) resampleRow(row, line []float64) {
	n, taps := len(aw.start), aw.taps
	m := aw.hi - aw.lo
	lr, lg, lb := line[:m], line[m:2*m], line[2*m:3*m]
	or, og, ob := row[:n], row[n:2*n], row[2*n:3*n]
	j := 0
	for ; j+1 < n; j += 2 {
		w0 := aw.w[j*taps : j*taps+taps]
		w1 := aw.w[j*taps+taps : j*taps+2*taps]
		s0, s1 := aw.start[j], aw.start[j+1]
		r0, g0, b0 := lr[s0:s0+taps], lg[s0:s0+taps], lb[s0:s0+taps]
		r1, g1, b1 := lr[s1:s1+taps], lg[s1:s1+taps], lb[s1:s1+taps]
		w1 = w1[:len(w0)]
		r0, g0, b0 = r0[:len(w0)], g0[:len(w0)], b0[:len(w0)]
		r1, g1, b1 = r1[:len(w0)], g1[:len(w0)], b1[:len(w0)]
		var sr0, sg0, sb0, sr1, sg1, sb1 float64
		for i, wt := range w0 {
			sr0 += r0[i] * wt
			sg0 += g0[i] * wt
			sb0 += b0[i] * wt
			sr1 += r1[i] * w1[i]
			sg1 += g1[i] * w1[i]
			sb1 += b1[i] * w1[i]
		}
		i0, i1 := aw.inv[j], aw.inv[j+1]
		or[j], og[j], ob[j] = level(sr0*i0), level(sg0*i0), level(sb0*i0)
		or[j+1], og[j+1], ob[j+1] = level(sr1*i1), level(sg1*i1), level(sb1*i1)
	}
	if j < n {
		ws := aw.w[j*taps : j*taps+taps]
		s := aw.start[j]
		r, g, b := lr[s:s+taps], lg[s:s+taps], lb[s:s+taps]
		r, g, b = r[:len(ws)], g[:len(ws)], b[:len(ws)]
		var sr, sg, sb float64
		for i, wt := range ws {
			sr += r[i] * wt
			sg += g[i] * wt
			sb += b[i] * wt
		}
		inv := aw.inv[j]
		or[j], og[j], ob[j] = level(sr*inv), level(sg*inv), level(sb*inv)
	}
}

// sourceRow converts the pixels of source row y from column x0 on into
// r.line, opaque (composited onto white), as three planes of R, G and B.
func (r *resampler) sourceRow(src image.Image, x0, y int) {
	n := len(r.line) / 3
	lr, lg, lb := r.line[:n], r.line[n:2*n], r.line[2*n:3*n]
	lg, lb = lg[:len(lr)], lb[:len(lr)]
	switch m := src.(type) {
	case *image.NRGBA:
		i := m.PixOffset(x0, y)
		p := m.Pix[i : i+4*n]
		for k := range lr {
			q := p[4*k : 4*k+4 : 4*k+4]
			cr, cg, cb := q[0], q[1], q[2]
			if a := q[3]; a != 0xFF {
				cr, cg, cb = overWhite(cr, a), overWhite(cg, a), overWhite(cb, a)
			}
			lr[k], lg[k], lb[k] = float64(cr), float64(cg), float64(cb)
		}
	case *image.RGBA:
		i := m.PixOffset(x0, y)
		p := m.Pix[i : i+4*n]
		for k := range lr {
			q := p[4*k : 4*k+4 : 4*k+4]
			// Premultiplied colour over white is c + (1-α)·255.
			t := 0xFF - uint32(q[3])
			lr[k] = float64(min(uint32(q[0])+t, 0xFF))
			lg[k] = float64(min(uint32(q[1])+t, 0xFF))
			lb[k] = float64(min(uint32(q[2])+t, 0xFF))
		}
	case *image.YCbCr:
		ycbcrRow(lr, lg, lb, m, x0, y)
	case *image.Gray:
		i := m.PixOffset(x0, y)
		p := m.Pix[i : i+n]
		for k, v := range p {
			lr[k], lg[k], lb[k] = float64(v), float64(v), float64(v)
		}
	default:
		for k := range lr {
			c := color.NRGBAModel.Convert(src.At(x0+k, y)).(color.NRGBA)
			if c.A != 0xFF {
				c.R, c.G, c.B = overWhite(c.R, c.A), overWhite(c.G, c.A), overWhite(c.B, c.A)
			}
			lr[k], lg[k], lb[k] = float64(c.R), float64(c.G), float64(c.B)
		}
	}
}

// ycbcrRow converts the len(lr) pixels of row y of m from column x0 on to
// RGB planes, indexing the chroma planes as m.COffset does.
func ycbcrRow(lr, lg, lb []float64, m *image.YCbCr, x0, y int) {
	n := len(lr)
	yi := m.YOffset(x0, y)
	ys := m.Y[yi : yi+n]
	var crow int // the chroma row's offset
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio410:
		crow = (y/2 - m.Rect.Min.Y/2) * m.CStride
	default:
		crow = (y - m.Rect.Min.Y) * m.CStride
	}
	put := func(k int, yy, cb, cr uint8) {
		r, g, b := color.YCbCrToRGB(yy, cb, cr)
		lr[k], lg[k], lb[k] = float64(r), float64(g), float64(b)
	}
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio440:
		ci := crow + x0 - m.Rect.Min.X
		cb, cr := m.Cb[ci:ci+n], m.Cr[ci:ci+n]
		for k, yy := range ys {
			put(k, yy, cb[k], cr[k])
		}
	case image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420:
		base := crow - m.Rect.Min.X/2
		for k, yy := range ys {
			ci := base + (x0+k)/2
			put(k, yy, m.Cb[ci], m.Cr[ci])
		}
	case image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410:
		base := crow - m.Rect.Min.X/4
		for k, yy := range ys {
			ci := base + (x0+k)/4
			put(k, yy, m.Cb[ci], m.Cr[ci])
		}
	default:
		for k, yy := range ys {
			ci := m.COffset(x0+k, y)
			put(k, yy, m.Cb[ci], m.Cr[ci])
		}
	}
}

// axis is how one axis of the tensor comes from the source, in the steps
// imaging takes: a window of the source (the crop) is resized to total
// pixels, of which n from off on are kept and land at pos in the tensor.
type axis struct {
	origin, length int // the window, in source coordinates
	total          int
	off, n         int
	pos            int
}

// resizeAxis is imaging.Resize of the window of length pixels from origin
// on to n pixels.
func resizeAxis(origin, length, n int) axis {
	return axis{origin: origin, length: length, total: n, n: n}
}

// centre narrows the window to its centred n pixels, as imaging's
// CropAnchor with Center does.
func (a axis) centre(n int) axis {
	n = min(n, a.length)
	a.origin += (a.length - n) / 2
	a.length = n
	return a
}

// centerCropAxes is fit.go's centerCrop: a small source is first cut to a
// centred band, then imaging.Fill.
func centerCropAxes(b image.Rectangle, w, h int) (axis, axis) {
	sw, sh := b.Dx(), b.Dy()
	ax, ay := axis{origin: b.Min.X, length: sw}, axis{origin: b.Min.Y, length: sh}
	if sw < 100 || sh < 100 {
		scale := math.Max(float64(w)/float64(sw), float64(h)/float64(sh))
		keepW := int(math.Ceil(maxOvershoot * float64(w) / scale))
		keepH := int(math.Ceil(maxOvershoot * float64(h) / scale))
		if keepW < sw || keepH < sh {
			ax, ay = ax.centre(max(keepW, 1)), ay.centre(max(keepH, 1))
		}
	}
	return fillAxes(ax, ay, w, h)
}

// fillAxes is imaging.Fill with the Center anchor on the window ax×ay.
func fillAxes(ax, ay axis, w, h int) (axis, axis) {
	sw, sh := ax.length, ay.length
	srcAspect := float64(sw) / float64(sh)
	dstAspect := float64(w) / float64(h)
	if sw >= 100 && sh >= 100 {
		// cropAndResize
		if srcAspect < dstAspect {
			cropH := float64(sw) * float64(h) / float64(w)
			ay = ay.centre(int(math.Max(1, cropH) + 0.5))
		} else {
			cropW := float64(sh) * float64(w) / float64(h)
			ax = ax.centre(int(math.Max(1, cropW) + 0.5))
		}
		return resizeAxis(ax.origin, ax.length, w), resizeAxis(ay.origin, ay.length, h)
	}
	// resizeAndCrop: resize to cover w×h, keeping the aspect ratio, then
	// keep the centred w×h.
	tw, th := w, h
	if srcAspect < dstAspect {
		th = int(math.Max(1, math.Floor(float64(w)*float64(sh)/float64(sw)+0.5)))
	} else {
		tw = int(math.Max(1, math.Floor(float64(h)*float64(sw)/float64(sh)+0.5)))
	}
	return cropResized(ax, tw, w), cropResized(ay, th, h)
}

// cropResized is the window a resized to total pixels, of which the
// centred n are kept.
func cropResized(a axis, total, n int) axis {
	a.total = total
	a.off = max((total-n)/2, 0)
	a.n = min(n, total-a.off)
	return a
}

// padAxes is fit.go's pad: scale to fit inside w×h and centre on white
// as imaging.PasteCenter does.
func padAxes(b image.Rectangle, w, h int) (axis, axis) {
	sw, sh := float64(b.Dx()), float64(b.Dy())
	scale := math.Min(float64(w)/sw, float64(h)/sh)
	nw := min(max(int(math.Round(sw*scale)), 1), w)
	nh := min(max(int(math.Round(sh*scale)), 1), h)
	ax, ay := resizeAxis(b.Min.X, b.Dx(), nw), resizeAxis(b.Min.Y, b.Dy(), nh)
	ax.pos, ay.pos = w/2-nw/2, h/2-nh/2
	return ax, ay
}

// axisWeights are the filter taps of one axis, as imaging's resize
// loops use them, padded to the same number of taps for every output.
// Output pixel j sums the taps source pixels from start[j] on (counted
// from lo, the first source pixel any output reads, relative to the
// window), pixel start[j]+i times w[j*taps+i] (its normalised weight
// times 255, the opaque alpha imaging weights colour by), and multiplies
// the sum by inv[j], one over the weights' sum. Only taps first[j] ≤ i <
// last[j] can be non-zero; adding the zero ones changes no sum. Starts
// never decrease from one output to the next.
type axisWeights struct {
	key         weightsKey
	lo, hi      int
	taps        int
	start       []int
	first, last []int
	w           []float64
	inv         []float64
	raw         []float64 // the weights before padding
}

// weightsKey is what axisWeights depend on.
type weightsKey struct {
	filter                string
	length, total, off, n int
}

// prepare computes the weights for a with filter (called name in the
// spec), unless they are already the ones in aw.
func (aw *axisWeights) prepare(a axis, filter imaging.ResampleFilter, name string) {
	key := weightsKey{name, a.length, a.total, a.off, a.n}
	if aw.key == key {
		return
	}
	n := a.n
	aw.start, aw.first, aw.last, aw.inv = grow(aw.start, n), grow(aw.first, n), grow(aw.last, n), grow(aw.inv, n)
	if filter.Support <= 0 || a.total == a.length {
		// resizeNearest, or an axis imaging.Resize leaves alone (where
		// the kernel would give the same pixel, with a tiny weight on its
		// neighbours for Lanczos): one pixel each, which comes out as it
		// went in.
		aw.taps = 1
		aw.w = grow(aw.w, n)
		d := float64(a.length) / float64(a.total)
		for j := range n {
			u := a.off + j
			if filter.Support <= 0 {
				u = int((float64(u) + 0.5) * d)
			}
			aw.start[j], aw.first[j], aw.last[j], aw.w[j], aw.inv[j] = u, 0, 1, 0xFF, 1.0/0xFF
		}
	} else {
		aw.precompute(a, filter)
	}
	aw.lo, aw.hi = aw.start[0], aw.start[n-1]+aw.taps
	for j := range n {
		aw.start[j] -= aw.lo
	}
	aw.key = key
}

// precompute is imaging's precomputeWeights for the outputs a.off to
// a.off+a.n of a resize from a.length to a.total pixels.
func (aw *axisWeights) precompute(a axis, filter imaging.ResampleFilter) {
	du := float64(a.length) / float64(a.total)
	scale := max(du, 1)
	ru := math.Ceil(scale * filter.Support)
	stride := min(int(2*ru)+1, a.length)
	aw.raw = grow(aw.raw, a.n*stride)
	// First imaging's weights for each output, from its begin on, into
	// raw; start holds begin, first and last delimit the non-zero weights
	// (as source pixels, for now).
	for j := range a.n {
		fu := (float64(a.off+j)+0.5)*du - 0.5
		begin := max(int(math.Ceil(fu-ru)), 0)
		end := min(int(math.Floor(fu+ru)), a.length-1)
		ws := aw.raw[j*stride : j*stride+end-begin+1]
		var sum float64
		first, last := end+1, begin
		for i := range ws {
			k := filter.Kernel((float64(begin+i) - fu) / scale)
			ws[i] = k
			if k != 0 {
				sum += k
				first, last = min(first, begin+i), begin+i+1
			}
		}
		var alpha float64 // imaging's sum of the alpha-weighted weights
		for i, k := range ws {
			if sum != 0 {
				k /= sum
			}
			ws[i] = 0xFF * k
			if k != 0 {
				alpha += ws[i]
			}
		}
		inv := 1 / alpha
		if first >= last {
			// No weight at all (no filter here gets this far): one zero
			// weight, and a sum of zero.
			first, last, inv = begin, begin+1, 0
		}
		aw.start[j], aw.first[j], aw.last[j], aw.inv[j] = begin, first, last, inv
	}
	// Trimming the zero weights can make the first non-zero pixel step
	// back (a kernel zero at ±1, upscaling); widen over zero weights, which
	// stay within each output's begin..end, so that it never does. Then
	// every output reads taps pixels, from a start that never decreases.
	for j := a.n - 2; j >= 0; j-- {
		aw.first[j] = min(aw.first[j], aw.first[j+1])
	}
	for j := 1; j < a.n; j++ {
		aw.last[j] = max(aw.last[j], aw.last[j-1])
	}
	taps := 1
	for j := range a.n {
		taps = max(taps, aw.last[j]-aw.first[j])
	}
	aw.taps = taps
	aw.w = grow(aw.w, a.n*taps)
	for j := range a.n {
		begin, first, last := aw.start[j], aw.first[j], aw.last[j]
		start := min(first, a.length-taps)
		ws := aw.w[j*taps : j*taps+taps]
		clear(ws)
		copy(ws[first-start:last-start], aw.raw[j*stride+first-begin:j*stride+last-begin])
		aw.start[j], aw.first[j], aw.last[j] = start, first-start, last-start
	}
}

// border writes white around the ax×ay picture.
func border(dst []float32, lut *[3][256]float32, nchw bool, w, h int, ax, ay axis) {
	if ax.pos == 0 && ay.pos == 0 && ax.n == w && ay.n == h {
		return
	}
	fillWhite(dst, lut, nchw, 0, ay.pos*w)
	for j := range ay.n {
		at := (ay.pos + j) * w
		fillWhite(dst, lut, nchw, at, at+ax.pos)
		fillWhite(dst, lut, nchw, at+ax.pos+ax.n, at+w)
	}
	fillWhite(dst, lut, nchw, (ay.pos+ay.n)*w, w*h)
}

// fillWhite writes a white pixel's normalised values to pixels from to to
// of dst.
func fillWhite(dst []float32, lut *[3][256]float32, nchw bool, from, to int) {
	if nchw {
		plane := len(dst) / 3
		for k := range 3 {
			v := lut[k][0xFF]
			p := dst[k*plane+from : k*plane+to]
			for i := range p {
				p[i] = v
			}
		}
		return
	}
	p := dst[3*from : 3*to]
	for i := 0; i+3 <= len(p); i += 3 {
		p[i], p[i+1], p[i+2] = lut[0][0xFF], lut[1][0xFF], lut[2][0xFF]
	}
}

// normLUT fills Tensor's lookup table: lut[k][p] is the normalised value
// of level p in output channel k, which holds RGB channel chans[k].
func normLUT(lut *[3][256]float32, spec ImageSpec) (chans [3]int) {
	chans = [3]int{0, 1, 2}
	if spec.ChannelOrder == ChannelsBGR {
		chans = [3]int{2, 1, 0}
	}
	for k, c := range chans {
		for p := range 256 {
			lut[k][p] = (float32(p)/spec.Scale - spec.Mean[c]) / spec.Std[c]
		}
	}
	return chans
}

// clampLevel is imaging's clamp: x rounded half up to a level 0..255.
func clampLevel(x float64) uint8 {
	return uint8(min(max(int64(x+0.5), 0), 0xFF))
}

// level is clampLevel as a float64, the form the vertical pass reads.
func level(x float64) float64 {
	return float64(min(max(int64(x+0.5), 0), 0xFF))
}

// grow returns s with room for at least n elements, reusing its array
// when it is large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
