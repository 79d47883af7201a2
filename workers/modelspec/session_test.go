package modelspec

import (
	"path/filepath"
	"testing"

	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/onnx"
)

// The built-in specs against the models make setup builds, loaded in ONNX
// Runtime: what a worker checks at start-up.

func TestDefaultSpecsMatchTheirModels(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs ONNX Runtime and the models")
	}
	paths := testdeps.Require(t, "ort/libonnxruntime.so.1", "models/mobilenetv2_nsfwjs_gap.onnx", "models/use_lite.onnx", "models/use_lite_vocab.json")
	dir := filepath.Join(testdeps.Dir(t), "models")
	env, err := onnx.InitEnvironment(onnx.EnvConfig{LibraryPath: paths[0]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })

	img := DefaultImage()
	if err := img.VerifyFile(dir); err != nil {
		t.Fatal(err)
	}
	sess, err := onnx.NewSession(t.Context(), env, img.ModelPath(dir), onnx.SessionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	if err := img.CheckModel(sess); err != nil {
		t.Fatalf("CheckModel: %v", err)
	}
	img.Output = "embedding"
	assertConfig(t, img.CheckModel(sess))

	text := DefaultText()
	if err := text.VerifyFile(dir); err != nil {
		t.Fatal(err)
	}
	if err := text.VerifyTokenizer(dir); err != nil {
		t.Fatal(err)
	}
	ts, err := onnx.NewTextSession(t.Context(), env, text.ModelPath(dir), text.Text.TextSpec, onnx.SessionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ts.Close() })
	if err := text.CheckTextModel(ts); err != nil {
		t.Fatalf("CheckTextModel: %v", err)
	}
	text.OutputDim = 768
	assertConfig(t, text.CheckTextModel(ts))
}

func TestDefaultText(t *testing.T) {
	s := DefaultText()
	if err := s.Validate(); err != nil {
		t.Fatalf("built-in text spec is invalid: %v", err)
	}
	if s.ID != "use-lite@1" || s.OutputDim != 512 || s.Text.TokenizerKind != "use" || s.Text.Pooling != onnx.PoolingPooled || s.Text.MaxLength != 128 {
		t.Errorf("unexpected built-in text spec: %+v, text %+v", s, s.Text)
	}
	s.Text.MaxLength = 1
	if DefaultText().Text.MaxLength != 128 {
		t.Error("DefaultText returned shared state")
	}
}
