package workers

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
)

// TestWorkerOnCluster runs enqueue, two workers of different specs, their
// sweeps, a refresh, failure records and a backfill on a real 3-master
// Redis Cluster, reached with a client made from comma-separated URLs as
// --redis takes them.
func TestWorkerOnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	c := redistest.StartCluster(t, 3)
	rdb, err := storage.NewRedisClient(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	fast := func(c *Config, _ *pipelineParts) {
		c.PollInterval, c.SweepInterval = 20*time.Millisecond, 100*time.Millisecond
	}
	v1 := newFixture(t, rdb, fast)
	heavy := newFixture(t, rdb, fast, func(_ *Config, p *pipelineParts) { p.fusion = otherSpec(t) })
	for _, f := range []*fixture{v1, heavy} {
		if err := f.w.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	client := asynq.NewClientFromRedisClient(rdb)
	insp := asynq.NewInspectorFromRedisClient(rdb)
	const n = 150
	m := manifestOf("sku", n) + `{"id":"broken","images":["s3://b/bad.jpg"]}` + "\n"
	if _, err := Enqueue(ctx, client, strings.NewReader(m), EnqueueConfig{Space: v1.w.Space(), Batch: 8, Inspector: insp, Logger: quietLogger()}); err != nil {
		t.Fatal(err)
	}
	if err := waitDrained(ctx, insp, v1.w.Config().Queue); err != nil {
		t.Fatal(err)
	}
	store := v1.store
	if got := spaceIDs(t, store, v1.w.Space()); len(got) != n || slices.Contains(got, "broken") {
		t.Fatalf("space holds %d items (scanned over every master), want %d", len(got), n)
	}
	fails, err := store.Failures(ctx, v1.w.Space(), 0)
	if err != nil || len(fails) != 1 || fails[0].ID != "broken" || fails[0].Kind != "decode_corrupt" {
		t.Fatalf("failures %+v, %v", fails, err)
	}
	if msgs, err := rdb.XLen(ctx, storage.StreamKey(v1.w.Space())).Result(); err != nil || msgs != n {
		t.Errorf("update stream holds %d entries, %v; want %d", msgs, err, n)
	}
	// Backfill into the other space, then promote it.
	st, err := Backfill(ctx, store, client, BackfillConfig{From: v1.w.Space(), Page: 50,
		Enqueue: EnqueueConfig{Space: heavy.w.Space(), Batch: 8, Logger: quietLogger()}})
	if err != nil || st.Enqueued != n {
		t.Fatalf("backfill %+v, %v", st, err)
	}
	if err := waitDrained(ctx, insp, heavy.w.Config().Queue); err != nil {
		t.Fatal(err)
	}
	if res, err := store.Promote(ctx, heavy.w.Space(), storage.PromoteOptions{}); err != nil || res.Items != n {
		t.Fatalf("promote: %+v, %v", res, err)
	}
	spaces, err := store.Spaces(ctx)
	if err != nil || len(spaces) != 2 {
		t.Fatalf("spaces %+v, %v", spaces, err)
	}
}
