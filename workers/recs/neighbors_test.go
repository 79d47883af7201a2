package recs_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
	"github.com/itemvec/itemvec/workers/recs"
)

// clustered returns n unit vectors of dim around a few centres (so that
// lists have clear winners and near-ties both), from seed.
func clustered(n, dim int, seed uint64) map[string][]float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	centres := make([][]float64, 6)
	for i := range centres {
		centres[i] = make([]float64, dim)
		for j := range centres[i] {
			centres[i][j] = r.NormFloat64()
		}
	}
	out := make(map[string][]float32, n)
	for i := range n {
		c := centres[r.IntN(len(centres))]
		v := make([]float32, dim)
		var s float64
		for j := range v {
			x := c[j] + 0.8*r.NormFloat64()
			v[j] = float32(x)
			s += x * x
		}
		for j := range v {
			v[j] = float32(float64(v[j]) / math.Sqrt(s))
		}
		out[fmt.Sprintf("sku-%04d", i)] = v
	}
	return out
}

// bruteForce is the reference: every other item by dot product (float64),
// best first, ties by id, cut at k.
func bruteForce(vecs map[string][]float32, id string, k int) []storage.Neighbor {
	var out []storage.Neighbor
	for other, v := range vecs {
		if other == id {
			continue
		}
		var s float64
		for j := range v {
			s += float64(v[j]) * float64(vecs[id][j])
		}
		out = append(out, storage.Neighbor{ID: other, Score: s})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID < out[j].ID
	})
	return out[:min(k, len(out))]
}

func publish(t *testing.T, s *storage.VectorStore, space string, vecs map[string][]float32, ids ...string) {
	t.Helper()
	if len(ids) == 0 {
		for id := range vecs {
			ids = append(ids, id)
		}
		slices.Sort(ids)
	}
	var items []storage.ItemVector
	for _, id := range ids {
		items = append(items, storage.ItemVector{ID: id, Vector: vecs[id], SpecID: "synthetic", SpecHash: "h", ContentHash: "c-" + id,
			Item: []byte(fmt.Sprintf(`{"id":%q,"text":{"title":"Product %s"}}`, id, id))})
	}
	for i := 0; i < len(items); i += 200 {
		if err := s.Publish(t.Context(), space, items[i:min(i+200, len(items))]); err != nil {
			t.Fatal(err)
		}
	}
}

// checkLists requires every item's stored list to be its exact top k: the
// same scores (within float32 rounding) and the same ids except where two
// neighbours tie within that rounding.
func checkLists(t *testing.T, s *storage.VectorStore, space string, vecs map[string][]float32, k int) {
	t.Helper()
	var ids []string
	for id := range vecs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	got, err := s.Neighbors(t.Context(), space, 0, ids...)
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for i, id := range ids {
		want := bruteForce(vecs, id, k)
		if len(got[i]) != len(want) {
			t.Errorf("%s: list of %d, want %d", id, len(got[i]), len(want))
			bad++
			continue
		}
		for r := range want {
			g, w := got[i][r], want[r]
			if math.Abs(g.Score-w.Score) > 1e-5 {
				t.Errorf("%s rank %d: %s %.6f, want %s %.6f", id, r, g.ID, g.Score, w.ID, w.Score)
				bad++
				break
			}
			if g.ID != w.ID && !(r+1 < len(want) && math.Abs(want[r+1].Score-w.Score) < 1e-5) && !(r > 0 && math.Abs(want[r-1].Score-w.Score) < 1e-5) {
				t.Errorf("%s rank %d: %s, want %s (score %.6f)", id, r, g.ID, w.ID, w.Score)
				bad++
				break
			}
		}
		if bad > 5 {
			t.Fatal("too many wrong lists")
		}
	}
}

// TestNeighborsExactAndIncremental: a full exact build equals brute force;
// after changing and adding items, the incremental build (which only reads
// the update stream since the last build) leaves every list equal to brute
// force over the new vectors, without a full rebuild; a trimmed stream
// gives a full one.
func TestNeighborsExactAndIncremental(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	rdb := redistest.Start(t).Client()
	ctx := t.Context()
	s := storage.NewVectorStore(rdb, storage.StoreConfig{})
	const space, k = "nb-test", 8
	vecs := clustered(400, 24, 1)
	publish(t, s, space, vecs)

	rep, err := recs.BuildNeighbors(ctx, s, recs.NeighborsConfig{Space: space, K: k})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Full || rep.Method != recs.MethodExact || rep.Items != 400 || rep.Published != 400 {
		t.Fatalf("first build: %+v", rep)
	}
	checkLists(t, s, space, vecs, k)

	// Nothing changed: nothing is written.
	rep, err = recs.BuildNeighbors(ctx, s, recs.NeighborsConfig{Space: space, K: k})
	if err != nil || rep.Full || rep.Changed != 0 || rep.Published != 0 {
		t.Fatalf("build without changes: %+v, %v", rep, err)
	}

	// Move 12 items to other places (some into other clusters), add 8.
	more := clustered(420, 24, 2)
	var changed []string
	for i := 0; i < 12; i++ {
		id := fmt.Sprintf("sku-%04d", i*31)
		vecs[id] = more[fmt.Sprintf("sku-%04d", i)]
		changed = append(changed, id)
	}
	for i := 0; i < 8; i++ {
		id := fmt.Sprintf("new-%02d", i)
		vecs[id] = more[fmt.Sprintf("sku-%04d", 400+i)]
		changed = append(changed, id)
	}
	publish(t, s, space, vecs, changed...)
	rep, err = recs.BuildNeighbors(ctx, s, recs.NeighborsConfig{Space: space, K: k})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Full || rep.Changed != 20 || rep.Items != 408 || rep.Updated == 0 || rep.Published >= 408 {
		t.Fatalf("incremental build: %+v", rep)
	}
	t.Logf("incremental: %d changed, %d other lists updated (%d rescanned), %d of %d lists written", rep.Changed, rep.Updated, rep.Rescanned, rep.Published, rep.Items)
	checkLists(t, s, space, vecs, k)

	// A trimmed stream: the build cannot know what it missed.
	publish(t, s, space, vecs, "sku-0001")
	if err := rdb.XTrimMaxLen(ctx, storage.StreamKey(space), 0).Err(); err != nil {
		t.Fatal(err)
	}
	publish(t, s, space, vecs, "sku-0002")
	rep, err = recs.BuildNeighbors(ctx, s, recs.NeighborsConfig{Space: space, K: k})
	if err != nil || !rep.Full {
		t.Fatalf("after trimming: %+v, %v; want a full build", rep, err)
	}
	checkLists(t, s, space, vecs, k)
	st, err := s.NeighborsState(ctx, space)
	if err != nil || st == nil || st.K != k || st.Items != 408 || st.Method != recs.MethodExact {
		t.Errorf("state %+v, %v", st, err)
	}
}

// TestNeighborsHNSW: a forced HNSW build writes full lists, measures its
// recall against exact search, and that recall is high on clustered data.
func TestNeighborsHNSW(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	rdb := redistest.Start(t).Client()
	s := storage.NewVectorStore(rdb, storage.StoreConfig{})
	vecs := clustered(1500, 32, 3)
	publish(t, s, "hnsw", vecs)
	rep, err := recs.BuildNeighbors(t.Context(), s, recs.NeighborsConfig{Space: "hnsw", K: 10, Method: recs.MethodHNSW})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("HNSW build of %d items: recall@10 %.4f, build %s", rep.Items, rep.Recall, rep.Build)
	if !rep.Full || rep.Method != recs.MethodHNSW || rep.Published != 1500 || rep.Recall < 0.9 || rep.Recall > 1 {
		t.Fatalf("HNSW build: %+v", rep)
	}
	lists, err := s.Neighbors(t.Context(), "hnsw", 0, "sku-0000", "sku-0999")
	if err != nil || len(lists[0]) != 10 || len(lists[1]) != 10 {
		t.Fatalf("lists %v, %v", lists, err)
	}
	// The scores stored are the exact dot products of the ids listed.
	for _, n := range lists[0] {
		var dot float64
		for j, x := range vecs["sku-0000"] {
			dot += float64(x) * float64(vecs[n.ID][j])
		}
		if math.Abs(dot-n.Score) > 1e-5 {
			t.Errorf("%s: stored %.6f, exact %.6f", n.ID, n.Score, dot)
		}
	}
}
