package modelspec

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/itemvec/itemvec/extract"
	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/onnx"
)

// TestPreparerKeepsEmbeddings runs the built-in MobileNetV2 on the tensors
// of the worker's Preparer (libjpeg-turbo at a reduced DCT scale, fused
// resample) and of the reference path (DecodeImage at full size → Fit →
// Tensor, which the TensorFlow.js parity test checks), for the tfjs parity
// photos, the sample catalog and the large photo set (1000–2000 px,
// baseline and progressive). Every image's embeddings must have cosine ≥
// 0.995; the min and mean per set are logged.
func TestPreparerKeepsEmbeddings(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs ONNX Runtime, the model and the photos")
	}
	paths := testdeps.Require(t, "ort/libonnxruntime.so.1", "models/mobilenetv2_nsfwjs_gap.onnx", "catalog/manifest.jsonl", "large/.stamp")
	deps := testdeps.Dir(t)
	env, err := onnx.InitEnvironment(onnx.EnvConfig{LibraryPath: paths[0]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	img := DefaultImage()
	sess, err := onnx.NewSession(t.Context(), env, img.ModelPath(filepath.Join(deps, "models")), onnx.SessionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	spec := img.Image.WithDefaults()
	prep, err := extract.NewPreparer(spec, extract.Limits{})
	if err != nil {
		t.Fatal(err)
	}

	glob := func(patterns ...string) []string {
		var out []string
		for _, p := range patterns {
			m, err := filepath.Glob(filepath.Join(deps, p))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, m...)
		}
		return out
	}
	sets := []struct {
		name  string
		files []string
	}{
		{"tfjs parity photos", glob("photos/skimage/astronaut.png", "photos/skimage/camera.png", "photos/skimage/chelsea.png",
			"photos/skimage/coffee.png", "photos/skimage/rocket.jpg")},
		{"sample catalog", glob("catalog/images/*")},
		{"large photos", glob("large/*.jpg")},
	}
	embed := func(tensor []float32) []float32 {
		t.Helper()
		out, err := sess.Run(t.Context(), tensor, 1)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, set := range sets {
		if len(set.files) < 5 {
			t.Fatalf("%s: only %d files", set.name, len(set.files))
		}
		minCos, sum, worst := 1.0, 0.0, ""
		cur := make([]float32, prep.TensorSize())
		for _, path := range set.files {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := extract.PrepareImage(data, spec, extract.Limits{})
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if err := prep.Prepare(data, cur); err != nil {
				t.Fatalf("%s: Preparer: %v", path, err)
			}
			c := cosine(embed(ref), embed(cur))
			sum += c
			if c < minCos || math.IsNaN(c) {
				minCos, worst = c, filepath.Base(path)
			}
		}
		msg := fmt.Sprintf("%s (%d images): embedding cosine, Preparer vs reference path: min %.5f (%s), mean %.5f",
			set.name, len(set.files), minCos, worst, sum/float64(len(set.files)))
		t.Log(msg)
		if !(minCos >= 0.995) {
			t.Errorf("%s; want min ≥ 0.995", msg)
		}
	}
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}
