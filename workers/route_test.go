package workers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
)

// otherSpec is fusion spec v1 with another behaviour weight: another space.
func otherSpec(t *testing.T) *fusion.Spec {
	t.Helper()
	s := *fusion.DefaultSpec()
	s.ID = "itemvec-fusion-test-heavy-behavior"
	s.Blocks.Behavior.Weight = 2
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	return &s
}

func manifestOf(prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"id":"%s-%03d","images":["s3://b/red.jpg"],"behavior":{"price":%d}}`+"\n", prefix, i, 10+i)
	}
	return b.String()
}

// spaceIDs lists the ids of the items published in space.
func spaceIDs(t *testing.T, store *storage.VectorStore, space string) []string {
	t.Helper()
	var ids []string
	if err := store.ScanItems(t.Context(), space, func(v *storage.ItemVector) error {
		if v.SpecHash == "" {
			t.Errorf("item %s of space %s has no spec hash", v.ID, space)
		}
		ids = append(ids, v.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

// TestTwoSpacesOnOneRedis runs two workers of different fusion specs on one
// real redis-server, each on its default queue: items enqueued for a space
// land in that space only, the same manifest enqueued for both spaces is two
// sets of tasks, and a task put by hand on the wrong space's queue is moved
// to its own queue rather than embedded into the wrong space.
func TestTwoSpacesOnOneRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	rdb := redistest.Start(t).Client()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	fast := func(c *Config, _ *pipelineParts) { c.PollInterval = 20 * time.Millisecond }
	v1 := newFixture(t, rdb, fast)
	heavy := newFixture(t, rdb, fast, func(_ *Config, p *pipelineParts) { p.fusion = otherSpec(t) })
	if v1.w.Space() == heavy.w.Space() {
		t.Fatalf("both workers write %s", v1.w.Space())
	}
	if v1.w.Config().Queue != QueueFor(v1.w.Space()) || heavy.w.Config().Queue != QueueFor(heavy.w.Space()) {
		t.Fatalf("queues %q and %q, want the spaces' queues", v1.w.Config().Queue, heavy.w.Config().Queue)
	}
	for _, f := range []*fixture{v1, heavy} {
		if err := f.w.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	client := asynq.NewClientFromRedisClient(rdb)
	insp := asynq.NewInspectorFromRedisClient(rdb)
	enqueue := func(space, manifest string) *EnqueueSummary {
		t.Helper()
		sum, err := Enqueue(ctx, client, strings.NewReader(manifest), EnqueueConfig{Space: space, Batch: 4, Inspector: insp, Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	enqueue(v1.w.Space(), manifestOf("one", 10))
	enqueue(heavy.w.Space(), manifestOf("heavy", 7))
	// The same manifest for both spaces: a backfill is not deduplicated away.
	shared := manifestOf("shared", 6)
	a, b := enqueue(v1.w.Space(), shared), enqueue(heavy.w.Space(), shared)
	if a.Tasks != 2 || b.Tasks != 2 || b.KnownTasks != 0 {
		t.Errorf("shared manifest: %d and %d new tasks (%d known), want 2 and 2 (0 known)", a.Tasks, b.Tasks, b.KnownTasks)
	}
	if again := enqueue(heavy.w.Space(), shared); again.Tasks != 0 || again.KnownTasks != 2 {
		t.Errorf("the same manifest for the same space again: %d new, %d known tasks, want 0 and 2", again.Tasks, again.KnownTasks)
	}
	// A task of the heavy space put on v1's queue by hand.
	stray, _, err := NewEmbedTask(heavy.w.Space(), "", []Item{item("stray", "s3://b/blue.jpg")}, asynq.Queue(v1.w.Config().Queue))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.EnqueueContext(ctx, stray); err != nil {
		t.Fatal(err)
	}
	for _, f := range []*fixture{v1, heavy} {
		if err := waitDrained(ctx, insp, f.w.Config().Queue); err != nil {
			t.Fatal(err)
		}
	}
	// The stray task may have been moved after heavy's queue looked drained.
	if err := waitDrained(ctx, insp, heavy.w.Config().Queue); err != nil {
		t.Fatal(err)
	}
	want := func(prefixes ...string) []string {
		var ids []string
		for _, p := range prefixes {
			n := map[string]int{"one": 10, "heavy": 7, "shared": 6, "stray": 1}[p]
			if p == "stray" {
				ids = append(ids, "stray")
				continue
			}
			for i := range n {
				ids = append(ids, fmt.Sprintf("%s-%03d", p, i))
			}
		}
		slices.Sort(ids)
		return ids
	}
	store := v1.store
	deadline := time.Now().Add(30 * time.Second)
	for {
		gotV1, gotHeavy := spaceIDs(t, store, v1.w.Space()), spaceIDs(t, store, heavy.w.Space())
		okV1, okHeavy := slices.Equal(gotV1, want("one", "shared")), slices.Equal(gotHeavy, want("heavy", "shared", "stray"))
		if okV1 && okHeavy {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("space %s holds %v,\nwant %v;\nspace %s holds %v,\nwant %v",
				v1.w.Space(), gotV1, want("one", "shared"), heavy.w.Space(), gotHeavy, want("heavy", "shared", "stray"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
