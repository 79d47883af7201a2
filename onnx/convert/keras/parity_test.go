package keras_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/onnx/convert/keras"
	"github.com/itemvec/itemvec/workers/modelspec"
)

const (
	// maxRelErr bounds ||onnx - tfjs|| / ||tfjs|| per photo.
	maxRelErr = 1e-4
	// maxBatchDiff bounds |batched - single| per value.
	maxBatchDiff = 1e-5
)

// convertDeps converts the nsfwjs model in .deps, checking that the result is
// the same bytes every time, and writes it to a temporary file.
func convertDeps(t *testing.T) (path string, model []byte, report *keras.Report) {
	t.Helper()
	dir := testdeps.Require(t, nsfwjsDir)[0]
	model, report, err := keras.ConvertDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := keras.ConvertDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(model, again) {
		t.Fatalf("two conversions gave different bytes (sha256 %s, %s)", sha256Hex(model), sha256Hex(again))
	}
	path = filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(path, model, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, model, report
}

// TestConvertNSFWJS checks the conversion itself: deterministic bytes, what
// was converted, and the sha256 the built-in model spec pins.
func TestConvertNSFWJS(t *testing.T) {
	_, model, r := convertDeps(t)
	sum := sha256Hex(model)
	t.Logf("ONNX model: %d bytes, sha256 %s", len(model), sum)
	t.Logf("report: %+v", *r)

	spec := modelspec.DefaultImage()
	if spec.SHA256 != sum {
		t.Errorf("converted model has sha256 %s, the model spec pins %s", sum, spec.SHA256)
	}
	if r.OutputLayer != "flatten_1" || r.PooledLayer != "out_relu" {
		t.Errorf("features taken at %q (pooling %q), want flatten_1 (pooling out_relu)", r.OutputLayer, r.PooledLayer)
	}
	// keras.applications.MobileNetV2(include_top=False) has 2,257,984
	// parameters, BatchNormalization moving statistics included.
	if r.Params != 2257984 {
		t.Errorf("converted %d parameters, want 2257984", r.Params)
	}
	if r.Features != spec.OutputDim || r.Input != [4]int{-1, 3, 224, 224} {
		t.Errorf("input %v, %d features; want [-1 3 224 224], %d", r.Input, r.Features, spec.OutputDim)
	}
	if r.FoldedBN != r.LayersByClass["BatchNormalization"] || r.FoldedBN != 52 {
		t.Errorf("folded %d of %d BatchNormalization layers, want all 52", r.FoldedBN, r.LayersByClass["BatchNormalization"])
	}

	// A model prepared earlier (make setup) must be this very conversion.
	prepared := filepath.Join(testdeps.Dir(t), "models", spec.File)
	if data, err := os.ReadFile(prepared); err == nil && sha256Hex(data) != sum {
		t.Errorf("%s has sha256 %s, a fresh conversion gives %s: rerun make setup", prepared, sha256Hex(data), sum)
	}
}

// TestParityWithTFJS runs the converted model with ONNX Runtime on the photos
// as the project's preprocessing prepares them and compares with the features
// TensorFlow.js computed from the same pixels with the original Keras model.
func TestParityWithTFJS(t *testing.T) {
	lib := testdeps.Require(t, filepath.Join("ort", onnx.ORTLibraryName))[0]
	modelPath, _, report := convertDeps(t)
	g := loadGolden(t)
	photos := preparePhotos(t)
	if g.Layer != report.OutputLayer {
		t.Fatalf("golden features come from layer %q, the ONNX model's from %q", g.Layer, report.OutputLayer)
	}
	if len(g.Photos) != len(photos) {
		t.Fatalf("golden has %d photos, the test prepares %d: regenerate with -update", len(g.Photos), len(photos))
	}

	ctx := context.Background()
	env, err := onnx.InitEnvironment(onnx.EnvConfig{LibraryPath: lib})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Close() })
	sess, err := onnx.NewSession(ctx, env, modelPath, onnx.SessionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	if err := modelspec.DefaultImage().CheckModel(sess); err != nil {
		t.Fatal(err)
	}
	dim := sess.OutputDim()
	t.Logf("ONNX Runtime %s, tfjs %s (%s backend), features from Keras layer %s",
		env.Version(), g.TFJSVersion, g.Backend, g.Layer)

	singles := make([][]float32, len(photos))
	var batch []float32
	for i, p := range photos {
		gp := g.Photos[i]
		if got := sha256Hex(p.RGB); gp.Name != p.Name || got != gp.InputSHA256 {
			t.Fatalf("%s: preprocessing drifted: Go's raw RGB input has sha256 %s, the golden (%s) was made from %s",
				p.Name, got, gp.Name, gp.InputSHA256)
		}
		out, err := sess.Run(ctx, p.Tensor, 1)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		if len(out) != dim || len(gp.Features) != dim {
			t.Fatalf("%s: ONNX gave %d features, golden has %d, want %d", p.Name, len(out), len(gp.Features), dim)
		}
		rel, maxAbs := compare(out, gp.Features)
		t.Logf("%-10s relative error %.3g, max abs diff %.3g (||tfjs|| %.4g)", p.Name, rel, maxAbs, norm(gp.Features))
		if rel > maxRelErr || math.IsNaN(rel) {
			t.Errorf("%s: ||onnx - tfjs|| / ||tfjs|| = %.3g, want <= %g (max abs diff %.3g)", p.Name, rel, maxRelErr, maxAbs)
		}
		singles[i] = out
		batch = append(batch, p.Tensor...)
	}

	out, err := sess.Run(ctx, batch, len(photos))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range photos {
		row := out[i*dim : (i+1)*dim]
		_, maxAbs := compare(row, singles[i])
		t.Logf("%-10s batch of %d vs single run: max abs diff %.3g", p.Name, len(photos), maxAbs)
		if !(maxAbs <= maxBatchDiff) {
			t.Errorf("%s: row %d of a batch of %d differs from the single run by %.3g, want <= %g", p.Name, i, len(photos), maxAbs, maxBatchDiff)
		}
	}
}

// compare returns ||got - want|| / ||want|| and max |got - want|.
func compare(got, want []float32) (rel, maxAbs float64) {
	var diff float64
	for i := range want {
		d := float64(got[i]) - float64(want[i])
		diff += d * d
		maxAbs = math.Max(maxAbs, math.Abs(d))
	}
	return math.Sqrt(diff) / norm(want), maxAbs
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}
