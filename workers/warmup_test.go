package workers_test

import (
	"context"
	"slices"
	"testing"

	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/storage/redistest"
	"github.com/itemvec/itemvec/workers"
)

// TestWarmUp: WarmUp runs every image session once at the batch size the
// micro-batcher fills (and the text model once), outside the batchers; it
// does so once; and Start warms a cold worker before it takes tasks.
func TestWarmUp(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs ONNX Runtime, the models and redis-server")
	}
	testdeps.Require(t, "ort/libonnxruntime.so.1", "models/mobilenetv2_nsfwjs_gap.onnx", "models/use_lite.onnx")
	ctx := context.Background()
	rdb := redistest.Start(t).Client()
	for _, tt := range []struct {
		name      string
		text      string
		sessions  int
		textRuns  int
		imageRuns int
	}{
		{"image only, two sessions", workers.TextModelNone, 2, 0, 2},
		{"image and text", workers.TextModelUSELite, 1, 1, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := workers.Config{Redis: rdb, Models: workers.ModelConfig{Text: tt.text, Device: onnx.DeviceCPU, MaxBatch: 4, ImageSessions: tt.sessions}}
			w, err := workers.New(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			got, err := w.WarmUp(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got.ImageRuns != tt.imageRuns || !slices.Equal(got.ImageSizes, []int{4}) || got.TextRuns != tt.textRuns || got.Elapsed <= 0 {
				t.Errorf("WarmUp = %+v; want %d image runs at batch 4, %d text runs, a duration", got, tt.imageRuns, tt.textRuns)
			}
			if s := w.Stats(); s.ImageBatches.Batches() != 0 || s.TextBatches.Batches() != 0 {
				t.Errorf("the warm-up went through the micro-batchers: %d image, %d text batches counted",
					s.ImageBatches.Batches(), s.TextBatches.Batches())
			}
			if again, err := w.WarmUp(ctx); err != nil || again.ImageRuns != 0 || again.TextRuns != 0 {
				t.Errorf("second WarmUp = %+v, %v; want nothing run", again, err)
			}
		})
	}

	// Start warms a cold worker: an explicit WarmUp after it has nothing to do.
	w, err := workers.New(ctx, workers.Config{Redis: rdb, Models: workers.ModelConfig{Text: workers.TextModelNone, Device: onnx.DeviceCPU, MaxBatch: 4}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := w.WarmUp(ctx); err != nil || got.ImageRuns != 0 {
		t.Errorf("WarmUp after Start = %+v, %v; want nothing left to run", got, err)
	}
	// A cancelled warm-up leaves the worker cold; the next call warms it.
	cold, err := workers.New(ctx, workers.Config{Models: workers.ModelConfig{Text: workers.TextModelNone, Device: onnx.DeviceCPU, MaxBatch: 4, ImageSessions: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer cold.Close()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := cold.WarmUp(cancelled); err == nil {
		t.Error("WarmUp with a cancelled context succeeded")
	}
	if got, err := cold.WarmUp(ctx); err != nil || got.ImageRuns != 1 {
		t.Errorf("WarmUp after a cancelled one = %+v, %v; want the image session run once", got, err)
	}
}
