package keras_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itemvec/itemvec/extract"
	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/onnx/convert/keras"
	"github.com/itemvec/itemvec/workers/modelspec"
)

var update = flag.Bool("update", false,
	"regenerate testdata/tfjs/mobilenetv2_features.golden.json with TensorFlow.js (needs node and `npm ci` in testdata/tfjs)")

const (
	nsfwjsDir  = "nsfwjs/mobilenet_v2"
	goldenFile = "testdata/tfjs/mobilenetv2_features.golden.json"
)

// goldenPhotos are the real photos the golden holds features for, from
// .deps/photos/skimage. camera.png is grayscale, rocket.jpg a JPEG.
var goldenPhotos = []string{"astronaut.png", "camera.png", "chelsea.png", "coffee.png", "rocket.jpg"}

// golden is what testdata/tfjs/features.cjs writes.
type golden struct {
	TFJSVersion     string `json:"tfjs_version"`
	Backend         string `json:"backend"`
	ModelJSSHA256   string `json:"model_js_sha256"`
	WeightsJSSHA256 string `json:"weights_js_sha256"`
	Layer           string `json:"layer"`
	Input           struct {
		Height int    `json:"height"`
		Width  int    `json:"width"`
		Layout string `json:"layout"`
	} `json:"input"`
	Normalize struct {
		Scale float32    `json:"scale"`
		Mean  [3]float32 `json:"mean"`
		Std   [3]float32 `json:"std"`
	} `json:"normalize"`
	Photos []goldenPhoto `json:"photos"`
}

type goldenPhoto struct {
	Name        string    `json:"name"`
	InputSHA256 string    `json:"input_sha256"`
	Features    []float32 `json:"features"`
}

// preparedPhoto is one photo through the project's own preprocessing.
type preparedPhoto struct {
	Name   string
	RGB    []byte    // Fit's pixels, row-major RGB: what features.cjs reads
	Tensor []float32 // extract.PrepareImage's NCHW input for the ONNX model
}

// imageSpec is the preprocessing of the built-in MobileNetV2 model spec.
func imageSpec(t *testing.T) extract.ImageSpec {
	t.Helper()
	spec := modelspec.DefaultImage()
	if spec.Image == nil {
		t.Fatal("built-in model spec has no image section")
	}
	return spec.Image.WithDefaults()
}

// preparePhotos runs every golden photo through extract: DecodeImage and
// Fit for the raw pixels handed to TensorFlow.js, PrepareImage for the
// tensor handed to ONNX Runtime. It checks that the two agree, so both
// runtimes see exactly the same numbers.
func preparePhotos(t *testing.T) []preparedPhoto {
	t.Helper()
	rel := make([]string, len(goldenPhotos))
	for i, name := range goldenPhotos {
		rel[i] = filepath.Join("photos/skimage", name)
	}
	paths := testdeps.Require(t, rel...)
	spec := imageSpec(t)
	out := make([]preparedPhoto, len(paths))
	for i, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := extract.DecodeImage(data, extract.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rgb := rgbBytes(t, extract.Fit(img, spec))
		tensor, err := extract.PrepareImage(data, spec, extract.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		plane := spec.Width * spec.Height
		if len(tensor) != 3*plane {
			t.Fatalf("%s: PrepareImage gave %d floats, want %d", path, len(tensor), 3*plane)
		}
		for p := 0; p < plane; p++ {
			for c := 0; c < 3; c++ {
				want := (float32(rgb[3*p+c])/spec.Scale - spec.Mean[c]) / spec.Std[c]
				if got := tensor[c*plane+p]; got != want {
					t.Fatalf("%s: PrepareImage value (c=%d, pixel %d) = %v, but Fit's pixel %d normalises to %v",
						path, c, p, got, rgb[3*p+c], want)
				}
			}
		}
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		out[i] = preparedPhoto{Name: name, RGB: rgb, Tensor: tensor}
	}
	return out
}

// rgbBytes lays out an opaque NRGBA image as packed RGB.
func rgbBytes(t *testing.T, img *image.NRGBA) []byte {
	t.Helper()
	b := img.Bounds()
	out := make([]byte, 0, 3*b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			px := img.Pix[img.PixOffset(x, y):]
			if px[3] != 0xff {
				t.Fatalf("Fit returned a non-opaque pixel at (%d,%d)", x, y)
			}
			out = append(out, px[0], px[1], px[2])
		}
	}
	return out
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

var regenerate sync.Once

// loadGolden reads the committed golden, regenerating it first (once per
// test binary) under -update.
func loadGolden(t *testing.T) *golden {
	t.Helper()
	path := filepath.Join(testdeps.Root(t), goldenFile)
	if *update {
		var err error
		regenerate.Do(func() { err = writeGolden(t, path) })
		if err != nil {
			t.Fatalf("regenerate %s: %v", goldenFile, err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with go test ./onnx/convert/keras -run Golden -update)", err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("%s: %v", goldenFile, err)
	}
	return &g
}

// writeGolden writes the photos' raw pixels to a temporary directory and
// runs testdata/tfjs/features.cjs on them.
func writeGolden(t *testing.T, path string) error {
	t.Helper()
	modelDir := testdeps.Require(t, nsfwjsDir)[0]
	tfjsDir := filepath.Dir(path)
	if _, err := os.Stat(filepath.Join(tfjsDir, "node_modules", "@tensorflow", "tfjs")); err != nil {
		t.Fatalf("TensorFlow.js is not installed: run `npm ci` in %s (%v)", tfjsDir, err)
	}
	in := t.TempDir()
	for _, p := range preparePhotos(t) {
		if err := os.WriteFile(filepath.Join(in, p.Name+".rgb"), p.RGB, 0o644); err != nil {
			return err
		}
	}
	spec := imageSpec(t)
	triple := func(v [3]float32) string {
		s := make([]string, 3)
		for i, x := range v {
			s[i] = strconv.FormatFloat(float64(x), 'g', -1, 32)
		}
		return strings.Join(s, ",")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "features.cjs",
		"--model-dir", modelDir,
		"--scale", strconv.FormatFloat(float64(spec.Scale), 'g', -1, 32),
		"--mean", triple(spec.Mean),
		"--std", triple(spec.Std),
		in, path)
	cmd.Dir = tfjsDir
	out, err := cmd.CombinedOutput()
	t.Logf("node features.cjs:\n%s", out)
	return err
}

// TestGolden checks that the committed TensorFlow.js golden was made from
// the model files in .deps and from exactly the pixels the project's
// preprocessing produces today.
func TestGolden(t *testing.T) {
	modelDir := testdeps.Require(t, nsfwjsDir)[0]
	g := loadGolden(t)
	photos := preparePhotos(t)
	spec := imageSpec(t)

	for _, f := range []struct{ file, want string }{
		{keras.NSFWJSModelFile, g.ModelJSSHA256},
		{keras.NSFWJSWeightsFile, g.WeightsJSSHA256},
	} {
		data, err := os.ReadFile(filepath.Join(modelDir, f.file))
		if err != nil {
			t.Fatal(err)
		}
		if got := sha256Hex(data); got != f.want {
			t.Errorf("%s has sha256 %s, the golden was made from %s: regenerate with -update", f.file, got, f.want)
		}
	}
	if g.Input.Width != spec.Width || g.Input.Height != spec.Height ||
		g.Normalize.Scale != spec.Scale || g.Normalize.Mean != spec.Mean || g.Normalize.Std != spec.Std {
		t.Errorf("golden input %+v normalised %+v, model spec wants %dx%d scale %v mean %v std %v: regenerate with -update",
			g.Input, g.Normalize, spec.Width, spec.Height, spec.Scale, spec.Mean, spec.Std)
	}
	if g.Backend != "cpu" || g.TFJSVersion == "" {
		t.Errorf("golden made with tfjs %q on backend %q, want the pure JS cpu backend", g.TFJSVersion, g.Backend)
	}
	if len(g.Photos) != len(photos) {
		t.Fatalf("golden has %d photos, the test prepares %d: regenerate with -update", len(g.Photos), len(photos))
	}
	for i, p := range photos {
		gp := g.Photos[i]
		if gp.Name != p.Name {
			t.Errorf("golden photo %d is %q, want %q", i, gp.Name, p.Name)
		}
		if got := sha256Hex(p.RGB); got != gp.InputSHA256 {
			t.Errorf("%s: preprocessing drifted: Go's raw RGB input has sha256 %s, the golden was made from %s", p.Name, got, gp.InputSHA256)
		}
		if dim := modelspec.DefaultImage().OutputDim; len(gp.Features) != dim {
			t.Errorf("%s: golden has %d features, want %d", p.Name, len(gp.Features), dim)
		}
	}
	t.Logf("golden: tfjs %s (%s backend), layer %s, %d photos", g.TFJSVersion, g.Backend, g.Layer, len(g.Photos))
}
