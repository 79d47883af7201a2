package storage_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
)

func testMeta(space string) storage.SpaceMeta {
	return storage.SpaceMeta{Space: space, SpecID: "spec", SpecHash: "h-" + space, Spec: json.RawMessage(`{"id":"spec"}`), Dim: 5,
		Blocks: []storage.SpaceBlock{{Name: "image", Offset: 0, Dim: 3, Model: "img@1"}, {Name: "text", Offset: 3, Dim: 0},
			{Name: "behavior", Offset: 3, Dim: 2}},
		BehaviorFeatures: []string{"log_price", "rating"}, ImageModel: "img@1", TextModel: "none"}
}

// TestSpacesAsObjects runs on a real redis-server: a space's meta, its
// conflicts, the layout-cut blocks and float16 storage, the counts, and
// promotion's refusals and announcements.
func TestSpacesAsObjects(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	rdb := redistest.Start(t).Client()
	ctx := t.Context()
	f32 := storage.NewVectorStore(rdb, storage.StoreConfig{})
	f16 := storage.NewVectorStore(rdb, storage.StoreConfig{Encoding: storage.EncodingFloat16})

	if err := f32.RegisterSpace(ctx, testMeta("old")); err != nil {
		t.Fatal(err)
	}
	m16 := testMeta("new")
	m16.Encoding = storage.EncodingFloat16
	if err := f16.RegisterSpace(ctx, m16); err != nil {
		t.Fatal(err)
	}
	got, err := f32.Space(ctx, "new")
	if err != nil || got == nil || got.Encoding != storage.EncodingFloat16 || got.Dim != 5 || len(got.Blocks) != 3 ||
		got.Blocks[2] != (storage.SpaceBlock{Name: "behavior", Offset: 3, Dim: 2}) || got.CreatedAt.IsZero() {
		t.Fatalf("meta %+v, %v", got, err)
	}
	for _, tc := range []struct {
		name string
		edit func(*storage.SpaceMeta)
		want string
	}{
		{"another encoding", func(m *storage.SpaceMeta) { m.Encoding = storage.EncodingFloat32 }, "--vector-encoding float16"},
		{"block copies", func(m *storage.SpaceMeta) { m.BlockCopies = true }, "--block-copies=false"},
		{"another spec hash", func(m *storage.SpaceMeta) { m.SpecHash = "other" }, "spec hash"},
	} {
		m := testMeta("new")
		m.Encoding = storage.EncodingFloat16
		tc.edit(&m)
		if err := f32.RegisterSpace(ctx, m); itemvec.KindOf(err) != itemvec.KindConfig || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a config error naming %q", tc.name, err, tc.want)
		}
	}

	vec := []float32{0.5, 0.25, -0.5, 0.5, -0.4375}
	publish := func(s *storage.VectorStore, space string, n int) {
		t.Helper()
		var items []storage.ItemVector
		for i := range n {
			items = append(items, storage.ItemVector{ID: fmt.Sprintf("sku-%d", i), Vector: vec, SpecID: "spec", SpecHash: "h-" + space,
				ContentHash: "c", MediaHash: "m-1", Warnings: []string{"unknown_device: x"},
				Blocks: map[string][]float32{"image": vec[:3], "behavior": vec[3:]}})
		}
		if err := s.Publish(ctx, space, items); err != nil {
			t.Fatal(err)
		}
	}
	publish(f32, "old", 4)
	publish(f16, "new", 2)
	for _, s := range []string{"old", "new"} {
		fields, err := rdb.HKeys(ctx, storage.ItemKey(s, "sku-0")).Result()
		if err != nil {
			t.Fatalf("space %s: HKEYS of sku-0: %v, want no error", s, err)
		}
		if strings.Contains(strings.Join(fields, ","), "vec:") {
			t.Errorf("space %s: block copies written without BlockCopies: %v", s, fields)
		}
	}
	raw, err := rdb.HGet(ctx, storage.ItemKey("new", "sku-0"), "vec").Bytes()
	if err != nil {
		t.Fatalf("HGET vec of new/sku-0: %v, want the float16 vector", err)
	}
	if len(raw) != 10 {
		t.Errorf("float16 vec is %d bytes, want 10", len(raw))
	}
	for _, space := range []string{"old", "new"} {
		items, err := f32.Get(ctx, space, "sku-0")
		if err != nil || items[0] == nil {
			t.Fatal(err)
		}
		it := items[0]
		for i, want := range vec { // every value is exact in float16
			if math.Abs(float64(it.Vector[i]-want)) > 0 {
				t.Errorf("space %s: vec %v, want %v", space, it.Vector, vec)
				break
			}
		}
		if len(it.Blocks["image"]) != 3 || it.Blocks["behavior"][1] != vec[4] || it.MediaHash != "m-1" || len(it.Warnings) != 1 {
			t.Errorf("space %s: item %+v", space, it)
		}
	}
	states, err := f32.States(ctx, "old", "sku-0", "nope")
	if err != nil || states[0].MediaHash != "m-1" || states[0].ContentHash != "c" || states[1] != (storage.ItemState{}) {
		t.Errorf("states %+v, %v", states, err)
	}
	if err := f32.RecordFailures(ctx, "old", []storage.Failure{{ID: "bad", Kind: "fetch_unavailable", Reason: "r",
		Item: json.RawMessage(`{"id":"bad"}`)}}); err != nil {
		t.Fatal(err)
	}
	if fails, err := f32.Failures(ctx, "old", 0); err != nil || len(fails) != 1 || string(fails[0].Item) != `{"id":"bad"}` {
		t.Errorf("failures %+v, %v", fails, err)
	}

	// Promotion.
	if _, err := f32.Promote(ctx, "bogus-space", storage.PromoteOptions{}); itemvec.KindOf(err) != itemvec.KindNotFound {
		t.Errorf("promote a space that does not exist: %v", err)
	}
	if cur, _ := f32.Current(ctx); cur != "" {
		t.Errorf("a refused promotion set current to %q", cur)
	}
	if res, err := f32.Promote(ctx, "old", storage.PromoteOptions{}); err != nil || res.Items != 4 || res.Previous != "" {
		t.Fatalf("promote old: %+v, %v", res, err)
	}
	if _, err := f32.Promote(ctx, "new", storage.PromoteOptions{}); itemvec.KindOf(err) != itemvec.KindConfig ||
		!strings.Contains(err.Error(), "holds 2 items, the current space old holds 4") {
		t.Errorf("promote a space with fewer items: %v", err)
	}
	if res, err := f32.Promote(ctx, "new", storage.PromoteOptions{Force: true}); err != nil || res.Previous != "old" {
		t.Errorf("promote --force: %+v, %v", res, err)
	}
	msgs, err := rdb.XRange(ctx, storage.PromotionsKey, "-", "+").Result()
	if err != nil || len(msgs) != 2 || msgs[1].Values["space"] != "new" || msgs[1].Values["previous"] != "old" || msgs[1].Values["items"] != "2" {
		t.Errorf("promotions stream %+v, %v", msgs, err)
	}
	spaces, err := f32.Spaces(ctx)
	if err != nil || len(spaces) != 2 {
		t.Fatalf("spaces %+v, %v", spaces, err)
	}
	for _, sp := range spaces {
		want := map[string][3]int64{"old": {4, 1, 4}, "new": {2, 0, 2}}[sp.Name]
		if [3]int64{sp.Items, sp.Failed, sp.Warnings} != want || sp.Current != (sp.Name == "new") || sp.Meta == nil {
			t.Errorf("space %+v, want items/failed/warnings %v", sp, want)
		}
	}
}

// TestDropSpace deletes a space of 300 items (above the ZSET listpack
// limit), failures and streams in rounds of 64, leaves other spaces alone,
// and refuses the current space.
func TestDropSpace(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	rdb := redistest.Start(t).Client()
	ctx := t.Context()
	s := storage.NewVectorStore(rdb, storage.StoreConfig{})
	for _, sp := range []string{"gone", "kept"} {
		if err := s.RegisterSpace(ctx, testMeta(sp)); err != nil {
			t.Fatal(err)
		}
		var items []storage.ItemVector
		for i := range 300 {
			items = append(items, storage.ItemVector{ID: fmt.Sprintf("sku-%d", i), Vector: []float32{1, 0, 0, 0, 0}, SpecID: "spec", SpecHash: "h", ContentHash: "c"})
		}
		if err := s.Publish(ctx, sp, items); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordFailures(ctx, sp, []storage.Failure{{ID: "bad-1", Kind: "decode_corrupt", Reason: "r"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetCurrent(ctx, "kept"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DropSpace(ctx, "kept", storage.DropOptions{}); itemvec.KindOf(err) != itemvec.KindConfig {
		t.Errorf("dropping the current space: %v", err)
	}
	rounds := 0
	n, err := s.DropSpace(ctx, "gone", storage.DropOptions{Batch: 64, Progress: func(int64) { rounds++ }})
	if err != nil {
		t.Fatal(err)
	}
	// 300 items, 1 failure record, the failure index, the item index (removed
	// by its last ZREM, not counted), the update stream, the meta.
	if n != 300+1+1+1+1 || rounds < 300/64 {
		t.Errorf("deleted %d keys in %d rounds", n, rounds)
	}
	if left, err := rdb.Keys(ctx, "itemvec:gone:*").Result(); err != nil {
		t.Errorf("KEYS itemvec:gone:*: %v, want no error", err)
	} else if len(left) != 0 {
		t.Errorf("left behind: %v, want no keys", left)
	}
	if kept, err := rdb.ZCard(ctx, storage.IndexKey("kept")).Result(); err != nil {
		t.Errorf("ZCARD of the index of kept: %v, want no error", err)
	} else if kept != 300 {
		t.Errorf("the other space lost items: %d left, want 300", kept)
	}
}
