package storage_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
)

// TestSpacesListing: a later registration keeps the creation time, Spaces
// lists the current space even without a meta (Meta nil, items counted) and
// orders by creation time, not name.
func TestSpacesListing(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	rdb := redistest.Start(t).Client()
	ctx := t.Context()
	s := storage.NewVectorStore(rdb, storage.StoreConfig{})

	if err := s.RegisterSpace(ctx, testMeta("b-first")); err != nil {
		t.Fatal(err)
	}
	first, err := s.Space(ctx, "b-first")
	if err != nil || first == nil {
		t.Fatal(first, err)
	}
	time.Sleep(5 * time.Millisecond)
	if err := s.RegisterSpace(ctx, testMeta("a-second")); err != nil {
		t.Fatal(err)
	}
	if err := s.RegisterSpace(ctx, testMeta("b-first")); err != nil {
		t.Fatalf("registering the same space again: %v", err)
	}
	again, err := s.Space(ctx, "b-first")
	if err != nil || !again.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("created_at %v after a second registration, want %v kept (%v)", again.CreatedAt, first.CreatedAt, err)
	}
	if m, err := s.Space(ctx, "never"); m != nil || err != nil {
		t.Errorf("Space of an unknown space: %+v, %v; want nil, nil", m, err)
	}

	// A space from before metas: items only, and current.
	if err := s.Publish(ctx, "legacy", []storage.ItemVector{{ID: "sku-1", Vector: []float32{1, 0}, SpecID: "spec", SpecHash: "h", ContentHash: "c"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCurrent(ctx, "legacy"); err != nil {
		t.Fatal(err)
	}
	spaces, err := s.Spaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sp := range spaces {
		names = append(names, sp.Name)
	}
	if want := []string{"legacy", "b-first", "a-second"}; !slices.Equal(names, want) {
		t.Fatalf("spaces %v, want %v (no meta first, then by creation time)", names, want)
	}
	if l := spaces[0]; l.Meta != nil || !l.Current || l.Items != 1 {
		t.Errorf("legacy space %+v, want no meta, current, 1 item", l)
	}
}

// TestPromoteAgainIsANoOp: promoting the current space writes no
// announcement.
func TestPromoteAgainIsANoOp(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	rdb := redistest.Start(t).Client()
	ctx := t.Context()
	s := storage.NewVectorStore(rdb, storage.StoreConfig{})
	if err := s.RegisterSpace(ctx, testMeta("v1")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Promote(ctx, "v1", storage.PromoteOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Promote(ctx, "v1", storage.PromoteOptions{})
	if err != nil || res.Previous != "v1" || res.Space != "v1" {
		t.Errorf("promote the current space: %+v, %v", res, err)
	}
	if n, err := rdb.XLen(ctx, storage.PromotionsKey).Result(); err != nil || n != 1 {
		t.Errorf("%d promotion entries (%v), want 1", n, err)
	}
	if _, err := s.Promote(ctx, "bad*name", storage.PromoteOptions{}); itemvec.KindOf(err) != itemvec.KindBadInput {
		t.Errorf("promote a malformed space name: %v", err)
	}
}

// TestBlocksCutFromVec: without block copies, Get returns blocks equal to
// the slices of vec the meta gives, for the modalities the item has, in
// both encodings; an item of a space without meta gets no blocks.
func TestBlocksCutFromVec(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	rdb := redistest.Start(t).Client()
	ctx := t.Context()
	vec := []float32{0.5, 0.25, -0.5, 0.5, -0.4375}
	for _, enc := range []string{storage.EncodingFloat32, storage.EncodingFloat16} {
		t.Run(enc, func(t *testing.T) {
			space := "cut-" + enc
			s := storage.NewVectorStore(rdb, storage.StoreConfig{Encoding: enc})
			m := testMeta(space)
			m.Encoding = enc
			if err := s.RegisterSpace(ctx, m); err != nil {
				t.Fatal(err)
			}
			if err := s.Publish(ctx, space, []storage.ItemVector{
				{ID: "both", Vector: vec, SpecID: "spec", SpecHash: m.SpecHash, ContentHash: "c",
					Blocks: map[string][]float32{"image": vec[:3], "behavior": vec[3:]}},
				{ID: "no-image", Vector: vec, SpecID: "spec", SpecHash: m.SpecHash, ContentHash: "c",
					Blocks: map[string][]float32{"behavior": vec[3:]}},
			}); err != nil {
				t.Fatal(err)
			}
			// A fresh store: the layout comes from Redis, not from a cache.
			items, err := storage.NewVectorStore(rdb, storage.StoreConfig{}).Get(ctx, space, "both", "no-image")
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				it   *storage.ItemVector
				want map[string][]float32
			}{
				{items[0], map[string][]float32{"image": vec[:3], "behavior": vec[3:]}},
				{items[1], map[string][]float32{"behavior": vec[3:]}},
			} {
				if len(tc.it.Blocks) != len(tc.want) {
					t.Errorf("%s: blocks %v, want %v", tc.it.ID, tc.it.Blocks, tc.want)
				}
				for name, w := range tc.want {
					if !slices.Equal(tc.it.Blocks[name], w) {
						t.Errorf("%s: block %s %v, want %v", tc.it.ID, name, tc.it.Blocks[name], w)
					}
				}
			}
		})
	}
	s := storage.NewVectorStore(rdb, storage.StoreConfig{})
	if err := s.Publish(ctx, "no-meta", []storage.ItemVector{{ID: "x", Vector: vec, SpecID: "spec", SpecHash: "h", ContentHash: "c",
		Blocks: map[string][]float32{"image": vec[:3]}}}); err != nil {
		t.Fatal(err)
	}
	if items, err := s.Get(ctx, "no-meta", "x"); err != nil || items[0].Blocks != nil || !slices.Equal(items[0].Modalities, []string{"image"}) {
		t.Errorf("no meta, no copies: %+v, %v; want no blocks, modalities kept", items[0], err)
	}
}

// TestDropSpaceInSmallBatches drops a space of 20 indexed items, one item
// from before the index, a key of the untagged layout and failure records
// in rounds of 3: a dry run counts what the drop then deletes, progress
// grows round by round, the meta goes last, nothing is left, another space
// is untouched.
func TestDropSpaceInSmallBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	rdb := redistest.Start(t).Client()
	ctx := t.Context()
	s := storage.NewVectorStore(rdb, storage.StoreConfig{})
	fill := func(space string) {
		t.Helper()
		if err := s.RegisterSpace(ctx, testMeta(space)); err != nil {
			t.Fatal(err)
		}
		var items []storage.ItemVector
		for i := range 21 {
			items = append(items, storage.ItemVector{ID: fmt.Sprintf("sku-%02d", i), Vector: []float32{1, 0, 0, 0, 0}, SpecID: "spec", SpecHash: "h", ContentHash: "c"})
		}
		if err := s.Publish(ctx, space, items); err != nil {
			t.Fatal(err)
		}
		var fails []storage.Failure
		for i := range 4 { // ids of no published item
			fails = append(fails, storage.Failure{ID: fmt.Sprintf("bad-%d", i), Kind: "decode_corrupt", Reason: "r"})
		}
		if err := s.RecordFailures(ctx, space, fails); err != nil {
			t.Fatal(err)
		}
	}
	fill("gone")
	fill("kept")
	// sku-20 as if published before the index; a key of the untagged layout.
	if err := rdb.ZRem(ctx, storage.IndexKey("gone"), "sku-20").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.HSet(ctx, "itemvec:gone:item:legacy", "vec", "x").Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCurrent(ctx, "kept"); err != nil {
		t.Fatal(err)
	}
	before, err := rdb.Keys(ctx, "itemvec:kept:*").Result()
	if err != nil || len(before) == 0 {
		t.Fatalf("keys of kept before the drop: %v, %v; want the filled space's keys", before, err)
	}

	for _, dry := range []bool{false, true} {
		if _, err := s.DropSpace(ctx, "kept", storage.DropOptions{DryRun: dry}); itemvec.KindOf(err) != itemvec.KindConfig {
			t.Errorf("dropping the current space (dry run %v): %v", dry, err)
		}
	}
	would, err := s.DropSpace(ctx, "gone", storage.DropOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	// 21 items, the legacy key, 4 failure records, the failure index, the
	// update stream, the meta.
	const want = 21 + 1 + 4 + 1 + 1 + 1
	if would != want {
		t.Errorf("dry run counts %d keys, want %d", would, want)
	}
	if n, err := rdb.Exists(ctx, storage.MetaKey("gone"), storage.IndexKey("gone")).Result(); err != nil {
		t.Fatalf("EXISTS after the dry run: %v, want no error", err)
	} else if n != 2 {
		t.Fatalf("the dry run deleted keys: %d of the meta and the index left, want 2", n)
	}

	var progress []int64
	var metaThere []bool
	n, err := s.DropSpace(ctx, "gone", storage.DropOptions{Batch: 3, Progress: func(d int64) {
		progress = append(progress, d)
		e, err := rdb.Exists(ctx, storage.MetaKey("gone")).Result()
		if err != nil {
			t.Errorf("progress %d: EXISTS of the meta: %v, want no error", d, err)
		}
		metaThere = append(metaThere, e == 1)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Errorf("deleted %d keys, want %d", n, want)
	}
	// 20 indexed items in rounds of 3 ids (7 rounds), 8 more keys in rounds
	// of 3 (3 rounds), the meta (1 round).
	if len(progress) != 7+3+1 || !slices.IsSorted(progress) || progress[len(progress)-1] != n {
		t.Errorf("progress %v", progress)
	}
	for i, there := range metaThere {
		if last := i == len(metaThere)-1; there == last {
			t.Errorf("round %d of %d: meta present %v", i+1, len(metaThere), there)
		}
	}
	if left, err := rdb.Keys(ctx, "itemvec:gone:*").Result(); err != nil {
		t.Errorf("KEYS itemvec:gone:*: %v, want no error", err)
	} else if len(left) != 0 {
		t.Errorf("left behind: %v, want no keys", left)
	}
	after, err := rdb.Keys(ctx, "itemvec:kept:*").Result()
	if err != nil {
		t.Fatalf("keys of kept after the drop: %v, want no error", err)
	}
	slices.Sort(before)
	slices.Sort(after)
	if !slices.Equal(before, after) {
		t.Errorf("the other space changed: %d keys before, %d after", len(before), len(after))
	}
	if again, err := s.DropSpace(ctx, "gone", storage.DropOptions{}); err != nil || again != 0 {
		t.Errorf("dropping a dropped space: %d, %v", again, err)
	}
}
