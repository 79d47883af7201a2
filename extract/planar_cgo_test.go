//go:build cgo && !itemvec_purego

package extract

import (
	"encoding/binary"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// decodePlanes decodes data into planes at the scale covering minW×minH,
// whatever decodeJPEGPrep would choose for it.
func decodePlanes(t testing.TB, data []byte, minW, minH int) *yuvPlanes {
	t.Helper()
	j, err := openTurbo(data, minW, minH, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var yuv yuvPlanes
	err = j.planes(&yuv)
	j.close(err)
	if err != nil {
		t.Fatal(err)
	}
	return &yuv
}

// planesReference is what tensorPlanes computes, the slow way, in
// float64 and with no folding of weights: every plane is read on the Y
// grid (Y pixel (x, y) takes chroma sample (x/hf, y/vf), as libjpeg's
// replicating upsampler does) and summed over the resampler's x and y
// taps at once; the sums go through libjpeg's YCbCr→RGB, are clamped to
// 0..255, rounded half up to levels and normalised; white around a padded
// picture.
func planesReference(src *yuvPlanes, spec ImageSpec) []float32 {
	spec = spec.WithDefaults()
	w, h := spec.Width, spec.Height
	out := make([]float32, spec.TensorSize())
	var r resampler
	chans := normLUT(&r.lut, spec)
	nchw := spec.Layout == LayoutNCHW
	fillWhite(out, &r.lut, nchw, 0, w*h)
	ax, ay := specAxes(image.Rect(0, 0, src.w, src.h), spec)
	if ax.n <= 0 || ay.n <= 0 {
		return out
	}
	filter := resampleFilters[spec.Filter]
	r.x.prepare(ax, filter, spec.Filter)
	r.y.prepare(ay, filter, spec.Filter)
	sample := func(k, x, y int) float64 {
		if k > 0 {
			x, y = x/src.hf, y/src.vf
		}
		return float64(src.buf[src.off[k]+y*src.stride[k]+x])
	}
	planes := 3
	if src.gray {
		planes = 1
	}
	for j := range ay.n {
		for i := range ax.n {
			var v [3]float64
			for k := range planes {
				for ty := range r.y.taps {
					wy := r.y.w[j*r.y.taps+ty] * r.y.inv[j]
					y := ay.origin + r.y.lo + r.y.start[j] + ty
					for tx := range r.x.taps {
						wx := r.x.w[i*r.x.taps+tx] * r.x.inv[i]
						v[k] += wy * wx * sample(k, ax.origin+r.x.lo+r.x.start[i]+tx, y)
					}
				}
			}
			rgb := [3]float64{v[0], v[0], v[0]}
			if !src.gray {
				cb, cr := v[1]-128, v[2]-128
				rgb = [3]float64{v[0] + 1.402*cr, v[0] - 0.34414*cb - 0.71414*cr, v[0] + 1.772*cb}
			}
			at := (ay.pos+j)*w + ax.pos + i
			for k, c := range chans {
				x := math.Floor(min(max(rgb[c], 0), 255) + 0.5)
				val := float32((x/float64(spec.Scale) - float64(spec.Mean[c])) / float64(spec.Std[c]))
				if nchw {
					out[k*w*h+at] = val
				} else {
					out[3*at+k] = val
				}
			}
		}
	}
	return out
}

// TestTensorPlanesMatchesReference: for every chroma subsampling
// libjpeg-turbo writes and grayscale, odd sizes, DCT scales 1/1 to 1/8,
// every resize mode, filter, layout and channel order, and a 1×1 target,
// the C planar resampler (weights folded onto the chroma planes,
// vertical pass first, eight rows per operation, transposes) is
// planesReference's result: the same levels, but where a sum lies within
// float32's error of a half level, which the two may round either way
// (a level apart; a few values in ten thousand, up to a few in a
// thousand where the scale is a ratio of small numbers and many sums
// fall exactly on a half level, as TestCResamplerMatchesResampler says).
func TestTensorPlanesMatchesReference(t *testing.T) {
	photo := scene(333, 257, 9)
	small := scene(97, 61, 4)
	type source struct {
		name       string
		data       []byte
		minW, minH int // the decode scale's cover: 0 = full size
	}
	var sources []source
	for _, ss := range []struct{ name, sample string }{
		{"4:4:4", "1x1"}, {"4:2:2", "2x1"}, {"4:2:0", "2x2"}, {"4:4:0", "1x2"}, {"4:1:1", "4x1"},
	} {
		sources = append(sources,
			source{ss.name + " 333x257", cjpeg(t, photo, "-quality", "90", "-sample", ss.sample), 0, 0},
			source{ss.name + " 97x61", cjpeg(t, small, "-quality", "90", "-sample", ss.sample), 0, 0},
			source{ss.name + " 333x257 at 1/2", cjpeg(t, photo, "-quality", "90", "-sample", ss.sample), 150, 120},
		)
	}
	sources = append(sources,
		source{"gray 333x257", cjpeg(t, photo, "-quality", "90", "-grayscale"), 0, 0},
		source{"gray 7x301", cjpeg(t, scene(7, 301, 2), "-quality", "90", "-grayscale"), 0, 0},
		source{"progressive 4:2:0 at 1/4", cjpeg(t, scene(1023, 767, 3), "-quality", "85", "-progressive"), 224, 180},
		source{"4:2:0 2001x1499 at 1/8", jpegOf(t, scene(2001, 1499, 5), 85), 224, 180},
		source{"4:2:0 1x1", jpegOf(t, scene(1, 1, 1), 85), 0, 0},
	)
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			t.Parallel()
			yuv := decodePlanes(t, src.data, src.minW, src.minH)
			var r resampler
			var worst float64
			over := 0
			specSweep(func(name string, spec ImageSpec) {
				got := make([]float32, spec.TensorSize())
				for i := range got {
					got[i] = -1e9 // a value C or border fails to write shows
				}
				r.tensorPlanes(yuv, spec, got)
				d := diffLevels(spec, got, planesReference(yuv, spec))
				if values := spec.TensorSize(); d.max > 1+1e-3 || d.over > max(2, values/200) {
					t.Errorf("%s: max difference %.4f levels, %d of %d values off by more than half a level; want ≤ 1 and ≤ 0.5 %%",
						name, d.max, d.over, values)
				}
				worst = max(worst, d.max)
				over += d.over
			})
			t.Logf("planes %dx%d, chroma 1 per %dx%d: max difference %.5f levels, %d values a level off", yuv.w, yuv.h, yuv.hf, yuv.vf, worst, over)
		})
	}
}

// TestPlanesMatchRGBAPath: on grayscale, where the two paths differ only
// by the RGBA path's rounding (a level after each of its two passes) and
// filters without negative lobes (whose first pass the RGBA path would
// also clamp), the planar path's tensor is the RGBA path's within 1 level.
func TestPlanesMatchRGBAPath(t *testing.T) {
	data := cjpeg(t, scene(333, 257, 9), "-quality", "90", "-grayscale")
	var yuv yuvPlanes
	var img, unused image.NRGBA
	if planar, err := decodeJPEGPrep(data, 0, 0, Limits{}, &unused, &yuv); err != nil || !planar {
		t.Fatalf("planar %v, error %v; want planes", planar, err)
	}
	if _, err := decodeJPEGInto(data, 0, 0, Limits{}, &img); err != nil {
		t.Fatal(err)
	}
	var r resampler
	for _, mode := range resizeModes {
		for _, filter := range []string{FilterLinear, FilterBox, FilterNearest} {
			spec := imagenet(224, 224)
			spec.Resize, spec.Filter = mode, filter
			spec = spec.WithDefaults()
			want := make([]float32, spec.TensorSize())
			r.tensorOpaqueNRGBA(&img, spec, want)
			got := make([]float32, spec.TensorSize())
			r.tensorPlanes(&yuv, spec, got)
			if d := diffLevels(spec, got, want); d.max > 1+1e-3 || d.mean > 0.3 {
				t.Errorf("%s/%s: max %.3f, mean %.4f levels apart, want ≤ 1 and ≤ 0.3", mode, filter, d.max, d.mean)
			}
		}
	}
}

// TestPlanesOnDecodedPhotos: on the sample catalog and the large photo
// set, the JPEGs the Preparer reads as planes give tensors close to the
// RGBA path's. The two differ by the RGBA path's rounding to levels and
// where a pixel's colour is out of the RGB gamut (JPEG ringing at a
// saturated edge): the RGBA path clamps it pixel by pixel, the planar
// path after averaging it with its neighbours, which can move a value by
// tens of levels there. What the model makes of it is checked by
// workers/modelspec's TestPreparerKeepsEmbeddings (cosine ≥ 0.995).
func TestPlanesOnDecodedPhotos(t *testing.T) {
	dirs := photoDirs(t)
	spec := imagenet(224, 224).WithDefaults()
	p, err := NewPreparer(spec, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var r resampler
	var worst, sum float64
	images, skipped := 0, 0
	for _, dir := range dirs {
		paths, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range paths {
			if ext := strings.ToLower(filepath.Ext(path)); ext != ".jpg" && ext != ".jpeg" {
				continue
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var yuv yuvPlanes
			var img, unused image.NRGBA
			planar, err := decodeJPEGPrep(data, p.minW, p.minH, p.lim, &unused, &yuv)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if !planar {
				skipped++
				continue
			}
			if _, err := decodeJPEGInto(data, p.minW, p.minH, p.lim, &img); err != nil {
				t.Fatal(err)
			}
			want := make([]float32, spec.TensorSize())
			r.tensorOpaqueNRGBA(&img, spec, want)
			got := make([]float32, spec.TensorSize())
			r.tensorPlanes(&yuv, spec, got)
			d := diffLevels(spec, got, want)
			if d.mean > 0.5 {
				t.Errorf("%s: mean difference %.4f levels, want ≤ 0.5", filepath.Base(path), d.mean)
			}
			worst, sum = max(worst, d.max), sum+d.mean
			images++
		}
	}
	if images < 20 {
		t.Fatalf("only %d JPEGs read as planes", images)
	}
	mean := sum / float64(images)
	if mean > 0.35 {
		t.Errorf("mean difference %.4f levels over %d JPEGs, want ≤ 0.35", mean, images)
	}
	t.Logf("%d JPEGs as planes (%d others through RGBA): mean %.4f levels, max %.3f", images, skipped, mean, worst)
}

// TestPreparerDecodePaths: Prepare writes an upright YCbCr or grayscale
// JPEG's tensor from its planes, and an EXIF-oriented or CMYK one's from
// libjpeg-turbo's RGBA pixels, bit for bit what each path gives.
func TestPreparerDecodePaths(t *testing.T) {
	spec := imagenet(224, 224)
	p, err := NewPreparer(spec, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	upright := jpegOf(t, scene(1024, 768, 5), 90)
	rotated := insertAfterSOI(upright, exifSegment(binary.BigEndian, orientationEntry(binary.BigEndian, 6)))
	tests := []struct {
		name   string
		data   []byte
		planar bool
	}{
		{"upright 4:2:0", upright, true},
		{"upright gray", jpegOf(t, toGray(scene(640, 480, 2)), 90), true},
		{"EXIF orientation 6", rotated, false},
		{"CMYK", readTestdata(t, "video-001.cmyk.crop.jpeg"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make([]float32, p.TensorSize())
			if err := p.Prepare(tt.data, got); err != nil {
				t.Fatal(err)
			}
			var img image.NRGBA
			var yuv yuvPlanes
			planar, err := decodeJPEGPrep(tt.data, p.minW, p.minH, p.lim, &img, &yuv)
			if err != nil {
				t.Fatal(err)
			}
			if planar != tt.planar {
				t.Fatalf("decoded into planes: %v, want %v", planar, tt.planar)
			}
			var r resampler
			want := make([]float32, p.TensorSize())
			if planar {
				r.tensorPlanes(&yuv, p.Spec(), want)
			} else {
				r.tensorOpaqueNRGBA(&img, p.Spec(), want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("value %d: Prepare gave %v, its path %v", i, got[i], want[i])
				}
			}
		})
	}
}

// BenchmarkDecodePaths times the two halves of the Preparer's JPEG path
// both ways on a catalog-sized photo: decode (planes, or RGBA pixels) and
// resample into the tensor.
func BenchmarkDecodePaths(b *testing.B) {
	data := jpegOf(b, scene(650, 540, 7), 90)
	p, err := NewPreparer(imagenet(224, 224), Limits{})
	if err != nil {
		b.Fatal(err)
	}
	yuv := decodePlanes(b, data, p.minW, p.minH)
	var img image.NRGBA
	if _, err := decodeJPEGInto(data, p.minW, p.minH, p.lim, &img); err != nil {
		b.Fatal(err)
	}
	dst := make([]float32, p.TensorSize())
	var r resampler
	var scratch image.NRGBA
	var planes yuvPlanes
	for _, bm := range []struct {
		name string
		run  func()
	}{
		{"decode/planes", func() { decodeJPEGPrep(data, p.minW, p.minH, p.lim, &scratch, &planes) }},
		{"decode/rgba", func() { decodeJPEGInto(data, p.minW, p.minH, p.lim, &scratch) }},
		{"resample/planes", func() { r.tensorPlanes(yuv, p.Spec(), dst) }},
		{"resample/rgba", func() { r.tensorOpaqueNRGBA(&img, p.Spec(), dst) }},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bm.run()
			}
		})
	}
}
