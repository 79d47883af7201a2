package faults_test

import (
	"math"
	"testing"
	"time"

	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/s3test"
	"github.com/itemvec/itemvec/workers"
	"github.com/itemvec/itemvec/workers/demo"
)

// TestCountersRefresh runs the sample catalog through the real models, S3
// server and redis-server, then enqueues it again with only its behaviour
// counters changed: every item is re-fused from its stored vector (a HEAD
// per image, no fetch, no inference), and the vectors equal what a full
// embed of the changed items gives.
func TestCountersRefresh(t *testing.T) {
	needDeps(t)
	_, rdb := startRedis(t, 0)
	ctx := t.Context()
	s3 := s3test.StartVersity(t)
	j := newJob(t, s3, 0)
	w := startWorker(t, rdb, s3.ReaderConfig(), "")
	queue := workers.QueueFor(w.Space())
	enqueue(t, rdb, queue, j.items)
	waitDrained(t, rdb, queue, 4*time.Minute)
	first := checkInvariant(t, rdb, w.Space(), dim, j.ids())
	decoded, inferred := w.Stats().Decode.Items(), w.Stats().Inference.Items()

	bumped := make([]workers.Item, len(j.items))
	for i, it := range j.items {
		bumped[i] = demo.BumpCounters(it)
	}
	enqueue(t, rdb, queue, bumped)
	waitDrained(t, rdb, queue, 4*time.Minute)
	after := checkInvariant(t, rdb, w.Space(), dim, j.ids())
	refreshed := w.Stats().Refresh.Items()
	t.Logf("REFRESH %d of %d published items re-fused from their stored vectors; decodes %d -> %d, image inferences %d -> %d",
		refreshed, first.Published, decoded, w.Stats().Decode.Items(), inferred, w.Stats().Inference.Items())
	if int(refreshed) != first.Published || after.Published != first.Published {
		t.Errorf("refreshed %d, published %d then %d; want every published item refreshed", refreshed, first.Published, after.Published)
	}
	if w.Stats().Inference.Items() != inferred || w.Stats().Decode.Items() != decoded {
		t.Errorf("the refresh decoded or ran the image model")
	}
	store := storage.NewVectorStore(rdb, storage.StoreConfig{Logger: quiet()})
	worst := 0.0
	for _, it := range bumped[:10] {
		got, err := store.Get(ctx, w.Space(), it.ID)
		if err != nil || got[0] == nil {
			t.Fatalf("%s: %v", it.ID, err)
		}
		full, err := w.Embed(ctx, it)
		if err != nil {
			t.Fatal(err)
		}
		if len(got[0].Vector) != len(full.Vector.Vector) {
			t.Fatalf("%s: stored vector has %d values, a full embed %d", it.ID, len(got[0].Vector), len(full.Vector.Vector))
		}
		for i, v := range full.Vector.Vector {
			worst = max(worst, math.Abs(float64(v-got[0].Vector[i])))
		}
	}
	t.Logf("REFRESH max |refreshed - full embed| over 10 items: %.2g", worst)
	if !(worst <= 1e-5) {
		t.Errorf("refreshed vectors differ from full embeds by %g", worst)
	}
}
