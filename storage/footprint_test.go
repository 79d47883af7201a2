package storage_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
)

// v2Dim is the length of vec in the built-in v2 space (1280 image + 512
// text + 31 behaviour).
const v2Dim = 1823

// TestFootprint measures, on a real redis-server, the memory of one item of
// the v2 space (MEMORY USAGE of its hash) with block copies, without
// (the default), and as float16, and checks the order.
func TestFootprint(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	rdb := redistest.Start(t).Client()
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(7, 8))
	vec := unit(rng, v2Dim)
	blocks := map[string][]float32{"image": vec[:1280], "text": vec[1280:1792], "behavior": vec[1792:]}
	var sizes []int64
	for _, cfg := range []storage.StoreConfig{{BlockCopies: true}, {}, {Encoding: storage.EncodingFloat16}} {
		space := fmt.Sprintf("fp-%s-%v", cfg.Encoding, cfg.BlockCopies)
		s := storage.NewVectorStore(rdb, cfg)
		if err := s.Publish(ctx, space, []storage.ItemVector{{ID: "sku-000123", Vector: vec, Blocks: blocks, SpecID: "itemvec-fusion-v2",
			SpecHash: strings64 + "d408b43b0", ContentHash: "0123456789abcdef0123456789abcdef", MediaHash: "0123456789abcdef0123456789abcdef"}}); err != nil {
			t.Fatal(err)
		}
		n, err := rdb.MemoryUsage(ctx, storage.ItemKey(space, "sku-000123"), 0).Result()
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, n)
	}
	t.Logf("FOOTPRINT bytes per item (v2, dim %d; the item hash only): float32 + block copies %d, float32 %d, float16 %d",
		v2Dim, sizes[0], sizes[1], sizes[2])
	if !(sizes[0] > sizes[1] && sizes[1] > sizes[2]) || sizes[2] > sizes[0]/3 {
		t.Errorf("sizes %v: want block copies > float32 > float16, float16 under a third of the first", sizes)
	}
}

var strings64 = "0000000000000000000000000000000000000000000000000000000" // 55 digits: a spec hash is 64

// TestFloat16RetrievalAgreement: top-10 neighbours by dot product from
// float16-stored vectors against float32 ones, over 5,000 clustered unit
// vectors of the v2 dimension (fixed seed), 200 queries.
func TestFloat16RetrievalAgreement(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const n, clusters, queries, k = 5000, 250, 200, 10
	centres := make([][]float32, clusters)
	for i := range centres {
		centres[i] = unit(rng, v2Dim)
	}
	f32 := make([][]float32, n)
	f16 := make([][]float32, n)
	worst := 0.0
	for i := range f32 {
		c := centres[rng.IntN(clusters)]
		v := make([]float32, v2Dim)
		noise := unit(rng, v2Dim)
		for j := range v {
			v[j] = c[j] + 0.6*noise[j]
		}
		f32[i] = normalize(v)
		h, err := storage.DecodeVectorEncoding(storage.EncodeVectorEncoding(f32[i], storage.EncodingFloat16), storage.EncodingFloat16)
		if err != nil {
			t.Fatal(err)
		}
		f16[i] = h
	}
	overlap := 0
	for q := range queries {
		a, b := topK(f32, f32[q], q, k), topK(f16, f16[q], q, k)
		for _, id := range a {
			if slices.Contains(b, id) {
				overlap++
			}
		}
		for _, j := range a {
			worst = max(worst, math.Abs(dot(f32[q], f32[j])-dot(f16[q], f16[j])))
		}
	}
	mean := float64(overlap) / float64(queries*k)
	t.Logf("FLOAT16 overlap@10 with float32 over %d queries on %d vectors: %.4f; max |cosine error| among neighbours %.2g", queries, n, mean, worst)
	if mean < 0.99 {
		t.Errorf("overlap@10 %.4f, want at least 0.99", mean)
	}
}

func unit(rng *rand.Rand, d int) []float32 {
	v := make([]float32, d)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return normalize(v)
}

func normalize(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	inv := 1 / math.Sqrt(s)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
	return v
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// topK are the indices of the k vectors most similar to q, q's own index
// left out.
func topK(vs [][]float32, q []float32, self, k int) []int {
	type hit struct {
		i int
		s float64
	}
	hits := make([]hit, 0, len(vs))
	for i, v := range vs {
		if i != self {
			hits = append(hits, hit{i, dot(q, v)})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if a.s != b.s {
			if a.s > b.s {
				return -1
			}
			return 1
		}
		return a.i - b.i
	})
	out := make([]int, k)
	for i := range out {
		out[i] = hits[i].i
	}
	return out
}
