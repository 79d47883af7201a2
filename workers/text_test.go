package workers_test

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/workers"
)

// TestUSELiteLeavesOutTextItCannotRead: the built-in English-only model gets
// English product texts; a Chinese text, which it would turn into nearly the
// same vector as every other Chinese text, is left out with a warning, and
// the product keeps its other blocks. It runs through Worker.Embed, the
// pipeline every task runs.
func TestUSELiteLeavesOutTextItCannotRead(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs ONNX Runtime and the models")
	}
	testdeps.Require(t, "ort/libonnxruntime.so.1", "models/mobilenetv2_nsfwjs_gap.onnx", "models/use_lite.onnx", "models/use_lite_vocab.json")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()
	w, err := workers.New(ctx, workers.Config{Logger: log, Models: workers.ModelConfig{MaxBatch: 4, MaxWait: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	b := &fusion.Behavior{Price: 20, Rating: 4}
	embed := func(title, desc string) *workers.Embedding {
		t.Helper()
		e, err := w.Embed(ctx, workers.Item{ID: "x", Text: &workers.Text{Title: title, Description: desc}, Behavior: b})
		if err != nil {
			t.Fatalf("%q: %v", title, err)
		}
		return e
	}

	en := embed("Stainless steel espresso machine", "15 bar pump, milk frother")
	if len(en.Text.Vector) != 512 || en.Text.LeftOut != "" || !slices.Contains(en.Vector.Modalities, fusion.BlockText) {
		t.Fatalf("English text: %d values, left out %q, modalities %v", len(en.Text.Vector), en.Text.LeftOut, en.Vector.Modalities)
	}
	if logs.Len() != 0 {
		t.Errorf("warning for an English text: %s", logs.String())
	}
	zh := embed("不锈钢意式咖啡机", "15巴泵压，带奶泡器")
	if zh.Text.Vector != nil || zh.Text.LeftOut == "" || slices.Contains(zh.Vector.Modalities, fusion.BlockText) {
		t.Fatalf("Chinese text: got %d values, left out %q, modalities %v; want it left out", len(zh.Text.Vector), zh.Text.LeftOut, zh.Vector.Modalities)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "unknown_share=") ||
		!strings.Contains(logs.String(), "multilingual") {
		t.Errorf("no actionable warning for the Chinese text: %q", logs.String())
	}
	none := embed("   ", "")
	if none.Text.Vector != nil || none.Text.Text != "" || slices.Contains(none.Vector.Modalities, fusion.BlockText) {
		t.Errorf("blank text: %+v", none.Text)
	}
}
