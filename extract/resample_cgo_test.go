//go:build cgo && !itemvec_purego

package extract

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/itemvec/itemvec/internal/testdeps"
)

// cDiff compares the C resampler with resampler.tensor on img for spec
// and returns how far they differ, in levels.
func cDiff(r, rc *resampler, img *image.NRGBA, spec ImageSpec) tensorDiff {
	spec = spec.WithDefaults()
	want := make([]float32, spec.TensorSize())
	r.tensor(img, spec, want)
	got := make([]float32, spec.TensorSize())
	for i := range got {
		got[i] = -1e9 // a value C or border fails to write shows
	}
	rc.tensorOpaqueNRGBA(img, spec, got)
	return diffLevels(spec, got, want)
}

// specSweep calls f with every target size (224×224, 225×127, 1×1) ×
// resize mode × filter, the layout and channel order turning over from one
// call to the next, defaults applied; name says which.
func specSweep(f func(name string, spec ImageSpec)) {
	n := 0
	for _, target := range [][2]int{{224, 224}, {225, 127}, {1, 1}} {
		for _, mode := range resizeModes {
			for _, filter := range filterNames {
				lo := layoutOrders[n%len(layoutOrders)]
				n++
				spec := imagenet(target[0], target[1])
				spec.Resize, spec.Filter, spec.Layout, spec.ChannelOrder = mode, filter, lo[0], lo[1]
				f(fmt.Sprintf("%dx%d/%s/%s/%s/%s", target[0], target[1], mode, filter, lo[0], lo[1]), spec.WithDefaults())
			}
		}
	}
}

// TestCResamplerMatchesResampler: over every resize mode, filter,
// layout and channel order, odd sizes, one-pixel images and sub-images,
// the C resampler is within a level of resample.go, and identical where
// float32 cannot round differently (nearest neighbour: one weight of 1).
// A few values in a hundred may be a level off where the scale is a
// ratio of small numbers (640x480's 480→224 is 15/7): the weights are
// then multiples of 1/28 or so, many sums fall exactly on a half level,
// and which way such a tie rounds is down to each arithmetic's own
// rounding error (643x479, with no such ratio, has a few in ten thousand).
func TestCResamplerMatchesResampler(t *testing.T) {
	m := scene(333, 257, 9)
	sources := []struct {
		name string
		img  *image.NRGBA
	}{
		{"1x1", scene(1, 1, 1)},
		{"1x300", scene(1, 300, 2)},
		{"300x1", scene(300, 1, 3)},
		{"7x301", scene(7, 301, 4)},
		{"97x203", scene(97, 203, 5)},
		{"224x224", scene(224, 224, 6)},
		{"225x127", scene(225, 127, 7)},
		{"640x480", scene(640, 480, 8)},
		{"643x479", scene(643, 479, 8)},
		{"1023x767", scene(1023, 767, 10)},
		{"2000x300", scene(2000, 300, 11)},
		{"sub(11,13)-(320,250)", m.SubImage(image.Rect(11, 13, 320, 250)).(*image.NRGBA)},
		{"sub(0,1)-(1,2)", m.SubImage(image.Rect(0, 1, 1, 2)).(*image.NRGBA)},
	}
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			t.Parallel()
			var r, rc resampler
			var worst tensorDiff
			specSweep(func(name string, spec ImageSpec) {
				d := cDiff(&r, &rc, src.img, spec)
				switch {
				case spec.Filter == FilterNearest && d.max != 0:
					t.Errorf("%s: max difference %.3f levels, want identical", name, d.max)
				case d.max > 1+1e-3:
					t.Errorf("%s: max difference %.3f levels (mean %.5f), want ≤ 1", name, d.max, d.mean)
				case d.mean > 0.05:
					t.Errorf("%s: mean difference %.5f levels, want ≤ 0.05", name, d.mean)
				}
				worst.max, worst.mean = max(worst.max, d.max), max(worst.mean, d.mean)
				worst.over += d.over
			})
			t.Logf("worst case: max %.3f, mean %.5f levels; %d values off by more than half a level", worst.max, worst.mean, worst.over)
		})
	}
}

// TestCResamplerOnDecodedPhotos: on the sample catalog and the large
// photo set as the Preparer decodes them (libjpeg-turbo at its DCT scale),
// the C resampler stays within a level of resample.go, and the mean
// difference is a small fraction of one.
func TestCResamplerOnDecodedPhotos(t *testing.T) {
	dirs := photoDirs(t)
	spec := imagenet(224, 224).WithDefaults()
	p, err := NewPreparer(spec, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			paths, err := filepath.Glob(filepath.Join(dir, "*"))
			if err != nil {
				t.Fatal(err)
			}
			var r, rc resampler
			var img image.NRGBA
			var worst, sum float64
			images, over := 0, 0
			for _, path := range paths {
				if ext := strings.ToLower(filepath.Ext(path)); ext != ".jpg" && ext != ".jpeg" {
					continue
				}
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := decodeJPEGInto(data, p.minW, p.minH, p.lim, &img); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				d := cDiff(&r, &rc, &img, spec)
				if d.max > 1+1e-3 {
					t.Errorf("%s: max difference %.3f levels, want ≤ 1", filepath.Base(path), d.max)
				}
				worst, sum, over = max(worst, d.max), sum+d.mean, over+d.over
				images++
			}
			if images < 10 {
				t.Fatalf("only %d JPEGs under %s", images, dir)
			}
			mean := sum / float64(images)
			if mean > 0.005 {
				t.Errorf("mean difference %.5f levels, want ≤ 0.005", mean)
			}
			t.Logf("%d JPEGs: max %.3f levels, mean %.6f levels; %d of %d values off by more than half a level",
				images, worst, mean, over, images*spec.TensorSize())
		})
	}
}

// TestCResamplerSteadyStateAllocatesNothing: once their scratch is
// pooled, a call of either C resampler (RGBA pixels, JPEG planes)
// allocates nothing, for every resize mode.
func TestCResamplerSteadyStateAllocatesNothing(t *testing.T) {
	src := scene(800, 600, 3)
	yuv := decodePlanes(t, jpegOf(t, src, 90), 0, 0)
	for _, path := range []struct {
		name   string
		tensor func(*resampler, ImageSpec, []float32)
	}{
		{"rgba", func(r *resampler, spec ImageSpec, dst []float32) { r.tensorOpaqueNRGBA(src, spec, dst) }},
		{"planes", func(r *resampler, spec ImageSpec, dst []float32) { r.tensorPlanes(yuv, spec, dst) }},
	} {
		for _, mode := range resizeModes {
			spec := imagenet(224, 224)
			spec.Resize = mode
			spec = spec.WithDefaults()
			dst := make([]float32, spec.TensorSize())
			var r resampler
			path.tensor(&r, spec, dst)
			if allocs := testing.AllocsPerRun(20, func() { path.tensor(&r, spec, dst) }); allocs != 0 {
				t.Errorf("%s/%s: %v allocations per call in steady state, want 0", path.name, mode, allocs)
			}
		}
	}
}

func BenchmarkCResampleTensor(b *testing.B) {
	for _, size := range [][2]int{{640, 480}, {400, 300}} {
		src := photoLike(size[0], size[1])
		spec := benchSpec()
		dst := make([]float32, spec.TensorSize())
		for _, path := range []struct {
			name   string
			tensor func(*resampler)
		}{
			{"go", func(r *resampler) { r.tensor(src, spec, dst) }},
			{"c", func(r *resampler) { r.tensorOpaqueNRGBA(src, spec, dst) }},
		} {
			b.Run(fmt.Sprintf("%s/%dx%d", path.name, size[0], size[1]), func(b *testing.B) {
				b.ReportAllocs()
				var r resampler
				for b.Loop() {
					path.tensor(&r)
				}
			})
		}
	}
}

// photoDirs are the folders of the sample catalog's images and of the large
// photo set (make setup-test).
func photoDirs(t *testing.T) []string {
	t.Helper()
	dirs := testdeps.Require(t, "catalog/images", "large/.stamp")
	dirs[1] = filepath.Dir(dirs[1])
	return dirs
}
