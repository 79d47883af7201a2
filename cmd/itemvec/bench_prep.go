//go:build !worker

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/extract"
	"github.com/itemvec/itemvec/internal/cputime"
	"github.com/itemvec/itemvec/workers/modelspec"
)

// prepResult is one decode+prep measurement over a set of images.
type prepResult struct {
	images      int
	wall, cpu   time.Duration // per image, best round
	allocs      float64       // per image
	allocBytes  float64       // per image
	rounds      int
	description string
}

func (r prepResult) perSecond() float64 { return float64(time.Second) / float64(r.wall) }

// benchPrep times decode + prep alone over every image in dir on one
// goroutine (locked to one thread), with itemvec's Preparer and with the
// previous path (Go's decoders, imaging's Fill, Tensor), and, when the C
// reference (make bench-ref) is built, libjpeg-turbo in C on the same
// JPEGs.
func benchPrep(w io.Writer, dir string, minFor time.Duration) error {
	files, data, err := readImages(dir)
	if err != nil {
		return err
	}
	spec := modelspec.DefaultImage().Image.WithDefaults()
	prep, err := extract.NewPreparer(spec, extract.Limits{})
	if err != nil {
		return err
	}
	dst := make([]float32, prep.TensorSize())
	decoder := "Go image/jpeg (pure-Go build)"
	if extract.TurboJPEG() {
		decoder = "libjpeg-turbo at a reduced DCT scale"
	}
	cur, err := timePrep(data, minFor, func(b []byte) error { return prep.Prepare(b, dst) })
	if err != nil {
		return err
	}
	cur.description = "itemvec Preparer (" + decoder + ", fused resample into the tensor)"
	old, err := timePrep(data, minFor, func(b []byte) error {
		img, err := extract.DecodeImage(b, extract.Limits{})
		if err != nil {
			return err
		}
		extract.Tensor(extract.Fit(img, spec), spec, make([]float32, spec.TensorSize()))
		return nil
	})
	if err != nil {
		return err
	}
	old.description = "previous path (Go decoders at full size, imaging Fill, Tensor)"

	fmt.Fprintf(w, "\nitemvec bench --prep %s: %d images → %d×%d %s, one goroutine, best of %d rounds\n",
		dir, len(data), spec.Width, spec.Height, spec.Layout, cur.rounds)
	fmt.Fprintf(w, "decode+prep: %.1f images/s (%.3f ms/image wall, %.3f ms/image cpu, %.1f allocs/image, %.1f KB/image)\n",
		cur.perSecond(), ms(cur.wall), ms(cur.cpu), cur.allocs, cur.allocBytes/1024)
	fmt.Fprintf(w, "  %s\n", cur.description)
	fmt.Fprintf(w, "previous:    %.1f images/s (%.3f ms/image wall, %.3f ms/image cpu, %.1f allocs/image, %.1f KB/image)\n",
		old.perSecond(), ms(old.wall), ms(old.cpu), old.allocs, old.allocBytes/1024)
	fmt.Fprintf(w, "  %s\n", old.description)
	fmt.Fprintf(w, "  speed-up: %.2f×\n", float64(old.wall)/float64(cur.wall))

	ref := filepath.Join(itemvec.DepsDir(), "bin", "turboref")
	var jpegs []string
	var jpegData [][]byte
	for i, f := range files {
		if bytes.HasPrefix(data[i], []byte{0xFF, 0xD8}) {
			jpegs, jpegData = append(jpegs, f), append(jpegData, data[i])
		}
	}
	if _, err := os.Stat(ref); err != nil || len(jpegs) == 0 {
		fmt.Fprintf(w, "C reference: not run (%s missing: make bench-ref builds it; or no JPEG in %s)\n", ref, dir)
		return nil
	}
	cj, err := timePrep(jpegData, minFor, func(b []byte) error { return prep.Prepare(b, dst) })
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "C reference (libjpeg-turbo scaled decode + box resize + normalise, one thread) on the %d JPEGs; itemvec on them: %.3f ms/image wall, %.3f ms/image cpu\n",
		len(jpegs), ms(cj.wall), ms(cj.cpu))
	margin := prep.DecodeMargin()
	for _, c := range []struct {
		what   string
		margin float64
	}{
		{fmt.Sprintf("decoded to cover %.0f× the input, as itemvec does", margin), margin},
		{"decoded to cover the input only (1×)", 1},
	} {
		cWall, cCPU, err := runTurboRef(ref, spec, c.margin, jpegs)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  C, %-45s: %.3f ms/image wall, %.3f ms/image cpu; itemvec / C: %.2f× (wall), %.2f× (cpu)\n",
			c.what, ms(cWall), ms(cCPU), float64(cj.wall)/float64(cWall), float64(cj.cpu)/float64(cCPU))
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// readImages reads every file under dir whose bytes look like an image
// the worker takes, in name order.
func readImages(dir string) ([]string, [][]byte, error) {
	var files []string
	var data [][]byte
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".jpg", ".jpeg", ".png", ".gif", ".webp":
		default:
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files, data = append(files, path), append(data, b)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("no .jpg, .png, .gif or .webp file under %s", dir)
	}
	return files, data, nil
}

// timePrep runs prep over every image, once to warm up and then in rounds
// for at least minFor (and at least 3 rounds), on one locked thread with
// GOMAXPROCS 1 (cpu is the process's CPU time, garbage collection
// included), and
// returns the best round per image with the allocations of all rounds.
func timePrep(images [][]byte, minFor time.Duration, prep func([]byte) error) (prepResult, error) {
	// One core: imaging's Fill (the previous path) would otherwise spread
	// each resize over goroutines that the thread's CPU clock misses.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, b := range images {
		if err := prep(b); err != nil {
			return prepResult{}, err
		}
	}
	res := prepResult{images: len(images)}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	best := time.Duration(-1)
	start := time.Now()
	for res.rounds < 3 || time.Since(start) < minFor {
		t0, c0 := time.Now(), cputime.Process()
		for _, b := range images {
			if err := prep(b); err != nil {
				return prepResult{}, err
			}
		}
		wall, cpu := time.Since(t0), cputime.Process()-c0
		if best < 0 || wall < best {
			best = wall
			res.wall, res.cpu = wall/time.Duration(len(images)), cpu/time.Duration(len(images))
		}
		res.rounds++
	}
	runtime.ReadMemStats(&after)
	n := float64(res.rounds * len(images))
	res.allocs = float64(after.Mallocs-before.Mallocs) / n
	res.allocBytes = float64(after.TotalAlloc-before.TotalAlloc) / n
	return res, nil
}

var turboRefLine = regexp.MustCompile(`best round ([0-9.]+) ms/image wall, ([0-9.]+) ms/image cpu`)

// runTurboRef runs the C reference on files and returns its best round's
// wall and CPU time per image.
// The C program decodes at the scale that covers margin × the input, then
// box-resizes to the input size.
func runTurboRef(ref string, spec extract.ImageSpec, margin float64, files []string) (wall, cpu time.Duration, err error) {
	args := []string{"-w", strconv.Itoa(spec.Width), "-h", strconv.Itoa(spec.Height), "-rounds", "5"}
	if margin != 1 {
		// itemvec's decode: the margin and libjpeg's simple chroma upsampling.
		args = append(args, "-margin", strconv.FormatFloat(margin, 'f', -1, 64), "-fastupsample")
	}
	args = slices.Concat(args, files)
	out, err := exec.Command(ref, args...).CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w: %s", ref, err, out)
	}
	m := turboRefLine.FindSubmatch(out)
	if m == nil {
		return 0, 0, fmt.Errorf("%s printed no summary line: %s", ref, out)
	}
	w, _ := strconv.ParseFloat(string(m[1]), 64)
	c, _ := strconv.ParseFloat(string(m[2]), 64)
	return time.Duration(w * float64(time.Millisecond)), time.Duration(c * float64(time.Millisecond)), nil
}
