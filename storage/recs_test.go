package storage_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec/storage"
)

// testScanVectors: every published item comes back once with its exact
// vector (float32 and float16 spaces), across batch boundaries, with its
// manifest line on request.
func testScanVectors(t *testing.T, rdb redis.UniversalClient) {
	ctx := t.Context()
	for _, enc := range []string{storage.EncodingFloat32, storage.EncodingFloat16} {
		t.Run(enc, func(t *testing.T) {
			s := storage.NewVectorStore(rdb, storage.StoreConfig{Encoding: enc})
			space := "scan-" + enc
			want := map[string][]float32{}
			var items []storage.ItemVector
			for i := range 23 {
				id := fmt.Sprintf("sku-%02d", i)
				v := []float32{float32(i), 0.5, -float32(i) / 4}
				want[id] = v
				it := item(id, v...)
				it.Item = []byte(fmt.Sprintf(`{"id":%q}`, id))
				items = append(items, it)
			}
			if err := s.Publish(ctx, space, items); err != nil {
				t.Fatal(err)
			}
			for _, batch := range []int{1, 5, 23, 100} {
				got := map[string][]float32{}
				var calls int
				err := s.ScanVectors(ctx, space, storage.ScanVectorsOptions{Batch: batch, WithItems: true}, func(b *storage.VectorBatch) error {
					calls++
					if len(b.IDs) > batch || len(b.Vectors) != len(b.IDs) || len(b.Items) != len(b.IDs) {
						t.Fatalf("batch of %d ids, %d vectors, %d items; limit %d", len(b.IDs), len(b.Vectors), len(b.Items), batch)
					}
					for i, id := range b.IDs {
						if _, dup := got[id]; dup {
							t.Errorf("batch %d: %s seen twice", batch, id)
						}
						got[id] = slices.Clone(b.Vectors[i])
						if b.Dim != 3 || !slices.Equal(b.Data[i*3:i*3+3], b.Vectors[i]) {
							t.Errorf("%s: Data/Dim (%d) disagree with Vectors", id, b.Dim)
						}
						if string(b.Items[i]) != fmt.Sprintf(`{"id":%q}`, id) {
							t.Errorf("%s: item line %s", id, b.Items[i])
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("batch %d: scanned %d items, want %d", batch, len(got), len(want))
				}
				if calls < (len(want)+batch-1)/batch {
					t.Errorf("batch %d: %d callbacks for %d items", batch, calls, len(want))
				}
				for id, v := range want {
					if !slices.Equal(got[id], v) { // the values are exact in float16 too
						t.Errorf("batch %d: %s = %v, want %v", batch, id, got[id], v)
					}
				}
			}
		})
	}
}

// testNeighbors: lists come back best first and cut at k, a new publish
// replaces the old list entirely, an empty list deletes it, and the build
// state round-trips.
func testNeighbors(t *testing.T, rdb redis.UniversalClient) {
	ctx := t.Context()
	s := newStore(rdb)
	lists := []storage.NeighborList{
		{ID: "a", Neighbors: []storage.Neighbor{{ID: "b", Score: 0.9}, {ID: "c", Score: 0.5}, {ID: "d", Score: 0.7}}},
		{ID: "b", Neighbors: []storage.Neighbor{{ID: "a", Score: 0.9}}},
	}
	if err := s.PublishNeighbors(ctx, "nb", lists); err != nil {
		t.Fatal(err)
	}
	got, err := s.Neighbors(ctx, "nb", 2, "a", "b", "zz")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]storage.Neighbor{{{ID: "b", Score: 0.9}, {ID: "d", Score: 0.7}}, {{ID: "a", Score: 0.9}}, nil}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Neighbors = %v, want %v", got, want)
	}
	if err := s.PublishNeighbors(ctx, "nb", []storage.NeighborList{{ID: "a", Neighbors: []storage.Neighbor{{ID: "e", Score: 0.1}}}, {ID: "b"}}); err != nil {
		t.Fatal(err)
	}
	got, err = s.Neighbors(ctx, "nb", 0, "a", "b")
	if err != nil {
		t.Fatalf("Neighbors after replacing: %v, want no error", err)
	}
	if fmt.Sprint(got) != fmt.Sprint([][]storage.Neighbor{{{ID: "e", Score: 0.1}}, nil}) {
		t.Errorf("after replacing: %v", got)
	}
	if n, err := rdb.Exists(ctx, storage.SimilarKey("nb", "b")).Result(); err != nil {
		t.Errorf("EXISTS %s: %v, want no error", storage.SimilarKey("nb", "b"), err)
	} else if n != 0 {
		t.Errorf("an empty list left key %s, want it deleted", storage.SimilarKey("nb", "b"))
	}
	if st, err := s.NeighborsState(ctx, "nb"); st != nil || err != nil {
		t.Errorf("state before any save: %+v, %v", st, err)
	}
	st := storage.NeighborsState{K: 20, Method: "hnsw", StreamID: "17-3", Items: 2, Recall: 0.97, BuiltAt: t0}
	if err := s.SaveNeighborsState(ctx, "nb", st); err != nil {
		t.Fatal(err)
	}
	back, err := s.NeighborsState(ctx, "nb")
	if err != nil || back == nil || *back != st {
		t.Errorf("state %+v, %v; want %+v", back, err, st)
	}
}

// testUpdatesAfter: entries after an id come oldest first; an id older
// than the first kept entry is reported as trimmed.
func testUpdatesAfter(t *testing.T, rdb redis.UniversalClient) {
	ctx := t.Context()
	s := storage.NewVectorStore(rdb, storage.StoreConfig{})
	if last, err := s.LastUpdate(ctx, "up"); err != nil || last != "0" {
		t.Fatalf("LastUpdate of an empty space: %q, %v", last, err)
	}
	for i := range 5 {
		if err := s.Publish(ctx, "up", []storage.ItemVector{item(fmt.Sprint("i", i), 1, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	all, trimmed, err := s.UpdatesAfter(ctx, "up", "0", 100)
	if err != nil || trimmed || len(all) != 5 || all[0].ID != "i0" || all[4].ID != "i4" || all[2].Op != "upsert" {
		t.Fatalf("all updates: %+v, trimmed %v, %v", all, trimmed, err)
	}
	rest, trimmed, err := s.UpdatesAfter(ctx, "up", all[1].StreamID, 100)
	if err != nil || trimmed || len(rest) != 3 || rest[0].ID != "i2" {
		t.Errorf("after the second: %+v, trimmed %v, %v", rest, trimmed, err)
	}
	last, err := s.LastUpdate(ctx, "up")
	if err != nil {
		t.Fatalf("LastUpdate: %v, want no error", err)
	}
	if last != all[4].StreamID {
		t.Errorf("LastUpdate %q, want %q", last, all[4].StreamID)
	}
	if err := rdb.XTrimMaxLen(ctx, storage.StreamKey("up"), 2).Err(); err != nil {
		t.Fatal(err)
	}
	if _, trimmed, err := s.UpdatesAfter(ctx, "up", all[0].StreamID, 100); err != nil {
		t.Errorf("reading after a trimmed entry: %v, want no error", err)
	} else if !trimmed {
		t.Error("reading after a trimmed entry did not report trimming")
	}
	if _, trimmed, err := s.UpdatesAfter(ctx, "up", all[3].StreamID, 100); err != nil {
		t.Errorf("reading after a kept entry: %v, want no error", err)
	} else if trimmed {
		t.Error("reading after a kept entry reported trimming")
	}
}

// testUsers: a user vector round-trips field by field, is indexed and
// announced, and a missing user is nil.
func testUsers(t *testing.T, rdb redis.UniversalClient) {
	ctx := t.Context()
	s := storage.NewVectorStore(rdb, storage.StoreConfig{})
	u := storage.UserVector{User: "u-1", Vector: []float32{0.6, 0.8}, Sum: []float32{3, 4}, Ref: t0,
		SpecID: "itemvec-users-v1", SpecHash: "abc", Events: 7, Devices: map[string]int{"mobile": 4, "pc": 3},
		Excluded: []string{"sku-2"}, Last: t0, UpdatedAt: t0.Add(time.Second)}
	if err := s.PublishUsers(ctx, "us", []storage.UserVector{u}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Users(ctx, "us", "u-1", "nobody")
	if err != nil || len(got) != 2 || got[0] == nil || got[1] != nil {
		t.Fatalf("Users: %+v, %v", got, err)
	}
	if fmt.Sprintf("%+v", *got[0]) != fmt.Sprintf("%+v", u) {
		t.Errorf("round trip\n got %+v\nwant %+v", *got[0], u)
	}
	if n, _ := rdb.ZCard(ctx, storage.UserIndexKey("us")).Result(); n != 1 {
		t.Errorf("user index holds %d users", n)
	}
	entries, err := s.ReadStream(ctx, storage.UserStreamKey("us"), "0", 10)
	if err != nil || len(entries) != 1 || entries[0].Fields["user"] != "u-1" || entries[0].Fields["events"] != "7" {
		t.Errorf("user stream: %+v, %v", entries, err)
	}
	if err := s.PublishUsers(ctx, "us", []storage.UserVector{{User: "u-2", Vector: []float32{1}, Sum: []float32{1, 2}}}); err == nil {
		t.Error("a sum of another length was accepted")
	}
}
