package workers_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
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

// mapObjects serves objects from memory.
type mapObjects map[string][]byte

func (m mapObjects) Get(_ context.Context, uri string) ([]byte, error) {
	if b, ok := m[uri]; ok {
		return b, nil
	}
	return nil, os.ErrNotExist
}

// TestImageSessionsEmbedAlike: a worker whose image model runs as three
// sessions behind one micro-batcher (batches of 2, so that concurrent
// items spread over the sessions) gives every item the image embedding a
// one-session worker gives it: rows reach their own callers whichever
// session ran them.
func TestImageSessionsEmbedAlike(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs ONNX Runtime and the models")
	}
	paths := testdeps.Require(t, "ort/libonnxruntime.so.1", "models/mobilenetv2_nsfwjs_gap.onnx", "catalog/images")
	files, err := filepath.Glob(filepath.Join(paths[2], "*.jpg"))
	if err != nil || len(files) < 12 {
		t.Fatalf("catalog images: %d (%v), want at least 12", len(files), err)
	}
	objects := mapObjects{}
	var items []workers.Item
	for i, f := range files[:12] {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		uri := "s3://catalog/" + filepath.Base(f)
		objects[uri] = b
		items = append(items, workers.Item{ID: fmt.Sprintf("sku-%02d", i), Images: []string{uri}})
	}
	ctx := t.Context()
	open := func(sessions, threads int) *workers.Worker {
		w, err := workers.New(ctx, workers.Config{Objects: objects, Models: workers.ModelConfig{
			Text: workers.TextModelNone, ImageSessions: sessions, Threads: threads, MaxBatch: 2, MaxWait: 20 * time.Millisecond,
		}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = w.Close() })
		if n, th := w.ImageSessions(); n != sessions || th != threads {
			t.Fatalf("ImageSessions() = %d × %d threads, want %d × %d", n, th, sessions, threads)
		}
		return w
	}
	embedAll := func(w *workers.Worker) [][]float32 {
		out := make([][]float32, len(items))
		var wg sync.WaitGroup
		for i, it := range items {
			wg.Go(func() {
				e, err := w.Embed(ctx, it)
				if err != nil {
					t.Errorf("%s: %v", it.ID, err)
					return
				}
				out[i] = e.Image
			})
		}
		wg.Wait()
		return out
	}
	want, got := embedAll(open(1, 1)), embedAll(open(3, 1))
	for i := range items {
		if len(got[i]) == 0 || len(got[i]) != len(want[i]) {
			t.Fatalf("%s: %d values, want %d", items[i].ID, len(got[i]), len(want[i]))
		}
		for j := range want[i] {
			if d := math.Abs(float64(got[i][j] - want[i][j])); d > 1e-5 {
				t.Fatalf("%s: value %d is %v with 3 sessions, %v with one", items[i].ID, j, got[i][j], want[i][j])
			}
		}
	}
	// The items are different photos: a row given to the wrong caller
	// would show.
	if slices.Equal(want[0], want[1]) {
		t.Fatal("two different photos embed alike: the check above proves nothing")
	}

	b, err := open(3, 1).BenchImageModel(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b.Batches < 9 || b.PerSecond <= 0 {
		t.Errorf("BenchImageModel over 3 sessions: %d batches, %.1f/s; want at least 3 per session", b.Batches, b.PerSecond)
	}
}
