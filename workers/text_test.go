package workers_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/workers"
)

// TestUSELiteLeavesOutTextItCannotRead: the built-in English-only model gets
// English product texts; a Chinese text, which it would turn into nearly the
// same vector as every other Chinese text, is left out with a warning.
func TestUSELiteLeavesOutTextItCannotRead(t *testing.T) {
	testdeps.Require(t, "models/use_lite.onnx", "models/use_lite_vocab.json")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()
	m, err := workers.OpenTextModelSpec(ctx, onnx.DefaultTextSpec(), workers.EncoderConfig{
		Device: onnx.DeviceCPU, MaxBatch: 4, MaxWait: time.Millisecond, Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	en, err := m.EmbedText(ctx, &workers.Text{Title: "Stainless steel espresso machine", Description: "15 bar pump, milk frother"})
	if err != nil || len(en) != 512 {
		t.Fatalf("English text: %d values, %v", len(en), err)
	}
	if logs.Len() != 0 {
		t.Errorf("warning for an English text: %s", logs.String())
	}
	zh, err := m.EmbedText(ctx, &workers.Text{Title: "不锈钢意式咖啡机", Description: "15巴泵压，带奶泡器"})
	if err != nil || zh != nil {
		t.Fatalf("Chinese text: got %d values, %v; want it left out", len(zh), err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "unknown_share=") ||
		!strings.Contains(logs.String(), "multilingual") {
		t.Errorf("no actionable warning for the Chinese text: %q", logs.String())
	}
	none, err := m.EmbedText(ctx, &workers.Text{Title: "   "})
	if err != nil || none != nil {
		t.Errorf("blank text: %v, %v", none, err)
	}
}
