package catalog

import (
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/disintegration/imaging"
)

// LargeSides are the long sides, in pixels, of the large photo set: real
// product photos are 1000–2000 px.
var LargeSides = []int{1000, 2000}

// LargeMinSide is the shortest long side a source photo needs to be in the
// large set: photos are scaled down to 1000 px or up to 2000 px, never
// from less than this.
const LargeMinSide = 1000

// PrepareLarge writes the large photo set that itemvec bench runs on
// besides the sample catalog: every JPEG under photosDir whose long side is
// at least LargeMinSide, re-encoded (baseline, quality 90) at each of
// LargeSides as <name>-<side>.jpg in outDir. make setup then adds a
// progressive copy of each (jpegtran -progressive), so the set holds
// baseline and progressive photos of 1000 and 2000 px. The 2000 px
// photos are upscaled with Lanczos from sources of 1000–1411 px: they
// decode like real photos of that size but hold less fine detail. It
// returns the files written.
func PrepareLarge(photosDir, outDir string) ([]string, error) {
	var sources []string
	err := filepath.WalkDir(photosDir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := strings.ToLower(filepath.Ext(path)); !d.IsDir() && (ext == ".jpg" || ext == ".jpeg") {
			sources = append(sources, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(sources)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	var written []string
	for _, src := range sources {
		img, err := imaging.Open(src)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		b := img.Bounds()
		if max(b.Dx(), b.Dy()) < LargeMinSide {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(src), filepath.Ext(src))
		for _, side := range LargeSides {
			data, err := encodeJPEG(scaleLongSide(img, side), qualityProduct)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", src, err)
			}
			out := filepath.Join(outDir, fmt.Sprintf("%s-%d.jpg", name, side))
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return nil, err
			}
			written = append(written, out)
		}
	}
	if len(written) == 0 {
		return nil, fmt.Errorf("no JPEG of %d px or more under %s", LargeMinSide, photosDir)
	}
	return written, nil
}

// scaleLongSide resizes img so that its longer side is side pixels.
func scaleLongSide(img image.Image, side int) image.Image {
	b := img.Bounds()
	if max(b.Dx(), b.Dy()) == side {
		return img
	}
	f := float64(side) / float64(max(b.Dx(), b.Dy()))
	w := max(1, int(math.Round(float64(b.Dx())*f)))
	h := max(1, int(math.Round(float64(b.Dy())*f)))
	return imaging.Resize(img, w, h, imaging.Lanczos)
}
