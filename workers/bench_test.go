package workers_test

import (
	"context"
	"testing"
	"time"

	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/workers"
)

// TestBenchTextModelOn: the raw text benchmark runs on exactly the texts
// the pipeline would embed (a Chinese text USE Lite leaves out and an
// empty one are not counted), and side by side with the image model.
// It asserts what was run, never how fast.
func TestBenchTextModelOn(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs ONNX Runtime and the models")
	}
	testdeps.Require(t, "ort/libonnxruntime.so.1", "models/mobilenetv2_nsfwjs_gap.onnx", "models/use_lite.onnx", "models/use_lite_vocab.json")
	ctx := context.Background()
	w, err := workers.New(ctx, workers.Config{Models: workers.ModelConfig{MaxBatch: 2, MaxWait: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	texts := []*workers.Text{
		{Title: "Stainless steel espresso machine", Description: "15 bar pump, milk frother"},
		{Title: "Oak desk"},
		{Title: "不锈钢意式咖啡机", Description: "15巴泵压，带奶泡器"},
		{Title: "  "},
		nil,
		{Title: "Linen shirt", Description: "long sleeves, relaxed fit, washed linen in four colours"},
	}
	b, err := w.BenchTextModelOn(ctx, texts, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b.Texts != 3 || b.Batches < 3 || b.PerSecond <= 0 || b.MeanTokens < 3 {
		t.Errorf("BenchTextModelOn: %d texts, %d batches, %.1f/s, mean %.1f tokens; want the 3 embeddable texts run", b.Texts, b.Batches, b.PerSecond, b.MeanTokens)
	}
	img, txt, err := w.BenchModelsTogether(ctx, texts, 0)
	if err != nil {
		t.Fatal(err)
	}
	if img.Batches < 3 || img.PerSecond <= 0 || txt.Texts != 3 || txt.Batches < 3 {
		t.Errorf("BenchModelsTogether: image %+v, text %+v", img, txt)
	}
	if _, err := w.BenchTextModelOn(ctx, texts[2:5], 0); err == nil {
		t.Error("BenchTextModelOn on texts none of which would be embedded: no error")
	}
}
