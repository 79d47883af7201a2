package workers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
)

// TestBackfillThenPromote: enqueue → current space → a new spec → backfill
// (interrupted once, then resumed) → promote. A recommender that follows
// itemvec:promotions sees the switch only once the new space is complete.
func TestBackfillThenPromote(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	rdb := redistest.Start(t).Client()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	fast := func(c *Config, _ *pipelineParts) { c.PollInterval = 20 * time.Millisecond }
	old := newFixture(t, rdb, fast)
	if err := old.w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClientFromRedisClient(rdb)
	insp := asynq.NewInspectorFromRedisClient(rdb)
	const n = 200 // above zset-max-listpack-entries (128): ZSCAN pages only a hashtable-encoded ZSET
	if _, err := Enqueue(ctx, client, strings.NewReader(manifestOf("sku", n)), EnqueueConfig{Space: old.w.Space(), Batch: 4, Logger: quietLogger()}); err != nil {
		t.Fatal(err)
	}
	if err := waitDrained(ctx, insp, old.w.Config().Queue); err != nil {
		t.Fatal(err)
	}
	store := old.store
	if cur, _ := store.Current(ctx); cur != old.w.Space() {
		t.Fatalf("current %q, want the first worker's space", cur)
	}

	// A recommender follows the promotions stream.
	seen := make(chan map[string]any, 1)
	go func() {
		res, err := rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{storage.PromotionsKey, "0"}, Block: time.Minute}).Result()
		if err != nil || len(res) == 0 || len(res[0].Messages) == 0 {
			seen <- nil
			return
		}
		entry := res[0].Messages[0].Values
		space, _ := entry["space"].(string)
		count, _ := rdb.ZCard(ctx, storage.IndexKey(space)).Result()
		entry["count_when_seen"] = count
		seen <- entry
	}()

	// The model changes: a worker of a new spec, and a backfill into it.
	newer := newFixture(t, rdb, fast, func(_ *Config, p *pipelineParts) { p.fusion = otherSpec(t) })
	if err := newer.w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Promote(ctx, newer.w.Space(), storage.PromoteOptions{}); err == nil {
		t.Fatal("promoted an empty space over a full one")
	}
	cfg := BackfillConfig{From: old.w.Space(), Page: 40, Enqueue: EnqueueConfig{Space: newer.w.Space(), Batch: 4, Logger: quietLogger()}}
	stop, stopPages := context.WithCancel(ctx)
	pages := 0
	cfg.Progress = func(storage.BackfillState) {
		if pages++; pages == 2 {
			stopPages() // interrupted after two pages
		}
	}
	st, err := Backfill(stop, store, client, cfg)
	if !errors.Is(err, context.Canceled) || st.Done {
		t.Fatalf("interrupted backfill: %+v, %v", st, err)
	}
	cfg.Progress = nil
	if st, err = Backfill(ctx, store, client, cfg); err != nil || !st.Done || st.Enqueued < n || st.NoLine != 0 {
		t.Fatalf("resumed backfill: %+v, %v; want done with every item", st, err)
	}
	if err := waitDrained(ctx, insp, newer.w.Config().Queue); err != nil {
		t.Fatal(err)
	}
	if again, err := Backfill(ctx, store, client, cfg); err != nil || again != st {
		t.Errorf("a finished backfill ran again: %+v, %v", again, err)
	}
	if got := spaceIDs(t, store, newer.w.Space()); len(got) != n {
		t.Fatalf("the new space holds %d items, want %d", len(got), n)
	}
	res, err := store.Promote(ctx, newer.w.Space(), storage.PromoteOptions{})
	if err != nil || res.Items != n || res.Previous != old.w.Space() {
		t.Fatalf("promote after the backfill: %+v, %v", res, err)
	}
	entry := <-seen
	if entry == nil || entry["space"] != newer.w.Space() || entry["count_when_seen"] != int64(n) {
		t.Errorf("the recommender saw %v; want the new space with all %d items", entry, n)
	}
	items, err := store.Get(ctx, newer.w.Space(), "sku-000", "sku-199")
	if err != nil || items[0] == nil || items[1] == nil || items[0].SpecHash != otherSpec(t).Hash() {
		t.Errorf("new space items %+v, %v", items, err)
	}
}
