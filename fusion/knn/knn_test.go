package knn_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/fusion/knn"
)

// naive is the reference: every row but skip by float64 dot product,
// sorted, ties by id.
func naive(m *knn.Matrix, q []float32, skip string, k int) []knn.Neighbor {
	var out []knn.Neighbor
	for i := 0; i < m.Len(); i++ {
		if m.IDs[i] == skip {
			continue
		}
		var s float64
		for j, x := range q {
			s += float64(x) * float64(m.Row(i)[j])
		}
		out = append(out, knn.Neighbor{ID: m.IDs[i], Score: float32(s)})
	}
	slices.SortFunc(out, func(a, b knn.Neighbor) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return cmpString(a.ID, b.ID)
	})
	return out[:min(k, len(out))]
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sameRanking compares results allowing float32 rounding: scores within
// 1e-5, ids equal except among near-ties.
func sameRanking(t *testing.T, what string, got, want []knn.Neighbor) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d results, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !(math.Abs(float64(got[i].Score-want[i].Score)) <= 1e-5) {
			t.Fatalf("%s rank %d: %v, want %v", what, i, got[i], want[i])
		}
		if got[i].ID != want[i].ID {
			tie := (i > 0 && math.Abs(float64(want[i-1].Score-want[i].Score)) < 1e-5) ||
				(i+1 < len(want) && math.Abs(float64(want[i+1].Score-want[i].Score)) < 1e-5)
			if !tie {
				t.Fatalf("%s rank %d: %v, want %v", what, i, got[i], want[i])
			}
		}
	}
}

func randomMatrix(n, dim int, seed uint64) *knn.Matrix {
	r := rand.New(rand.NewPCG(seed, 3))
	m := knn.NewMatrix(dim, n)
	v := make([]float32, dim)
	for i := range n {
		var s float64
		for j := range v {
			v[j] = float32(r.NormFloat64())
			s += float64(v[j]) * float64(v[j])
		}
		for j := range v {
			v[j] /= float32(math.Sqrt(s))
		}
		if err := m.Add(fmt.Sprintf("r%03d", i), v); err != nil {
			panic(err)
		}
	}
	return m
}

func TestDot(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range append([]int{1823, 1280, 512}, func() []int {
		var s []int
		for i := 0; i <= 40; i++ {
			s = append(s, i)
		}
		return s
	}()...) {
		a, b := make([]float32, n), make([]float32, n)
		var want float64
		for i := range a {
			a[i], b[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
			want += float64(a[i]) * float64(b[i])
		}
		if got := knn.Dot(a, b); !(math.Abs(float64(got)-want) <= 1e-5*math.Max(1, math.Sqrt(float64(n)))) {
			t.Errorf("Dot of length %d = %v, want %v", n, got, want)
		}
	}
}

func TestTopK(t *testing.T) {
	tests := []struct {
		name string
		k    int
		push []knn.Neighbor
		want []knn.Neighbor
	}{
		{"keeps the best", 2, []knn.Neighbor{{"a", 0.1}, {"b", 0.9}, {"c", 0.5}, {"d", 0.2}}, []knn.Neighbor{{"b", 0.9}, {"c", 0.5}}},
		{"ties by id", 3, []knn.Neighbor{{"z", 0.5}, {"b", 0.5}, {"m", 0.5}, {"a", 0.5}}, []knn.Neighbor{{"a", 0.5}, {"b", 0.5}, {"m", 0.5}}},
		{"fewer than k", 5, []knn.Neighbor{{"x", -1}, {"y", 1}}, []knn.Neighbor{{"y", 1}, {"x", -1}}},
		{"k below 1 means 1", 0, []knn.Neighbor{{"x", 0.3}, {"y", 0.4}}, []knn.Neighbor{{"y", 0.4}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			top := knn.NewTopK(tc.k)
			if _, full := top.Threshold(); full {
				t.Error("an empty heap is full")
			}
			for _, n := range tc.push {
				top.Push(n.ID, n.Score)
			}
			if got := top.Sorted(); !slices.Equal(got, tc.want) {
				t.Errorf("Sorted = %v, want %v", got, tc.want)
			}
			th, full := top.Threshold()
			if th != tc.want[len(tc.want)-1].Score || full != (len(tc.push) >= max(tc.k, 1)) {
				t.Errorf("Threshold = %v, %v", th, full)
			}
			top.Reset()
			if len(top.Sorted()) != 0 {
				t.Error("Reset left entries")
			}
		})
	}
}

func TestTopKPushDoesNotAllocate(t *testing.T) {
	top := knn.NewTopK(10)
	ids := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		top.Push(ids[i%len(ids)], float32(i%97))
		i++
	})
	if allocs != 0 {
		t.Errorf("Push allocates %.1f times", allocs)
	}
}

func TestScannerEqualsNaive(t *testing.T) {
	m := randomMatrix(300, 37, 5)
	queries := [][]float32{m.Row(3), m.Row(150), m.Row(299)}
	qids := []string{m.IDs[3], m.IDs[150], ""}
	for _, batch := range []int{1, 7, 64, 300} {
		t.Run(fmt.Sprint("batch ", batch), func(t *testing.T) {
			s := knn.NewScanner(queries, qids, 12)
			s.Skip(2, m.IDs[299])
			for start := 0; start < m.Len(); start += batch {
				end := min(start+batch, m.Len())
				part := &knn.Matrix{Dim: m.Dim, IDs: m.IDs[start:end], Data: m.Data[start*m.Dim : end*m.Dim]}
				s.Scan(part)
			}
			got := s.Results()
			for q := range queries {
				skip := qids[q]
				if q == 2 {
					skip = m.IDs[299]
				}
				sameRanking(t, fmt.Sprint("query ", q), got[q], naive(m, queries[q], skip, 12))
			}
		})
	}
}

func TestExactEqualsNaive(t *testing.T) {
	m := randomMatrix(150, 19, 9)
	all, err := knn.ExactAll(t.Context(), m, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != m.Len() {
		t.Fatalf("ExactAll gave %d result lists for %d rows", len(all), m.Len())
	}
	for i := range all {
		sameRanking(t, m.IDs[i], all[i], naive(m, m.Row(i), m.IDs[i], 7))
	}
	rows := []int{149, 0, 77}
	some, err := knn.ExactFor(t.Context(), m, rows, 200)
	if err != nil {
		t.Fatal(err)
	}
	if len(some) != len(rows) {
		t.Fatalf("ExactFor gave %d result lists for %d rows", len(some), len(rows))
	}
	for j, q := range rows {
		sameRanking(t, m.IDs[q], some[j], naive(m, m.Row(q), m.IDs[q], 200))
	}
	if _, err := knn.ExactFor(t.Context(), m, []int{150}, 3); itemvec.KindOf(err) != itemvec.KindBadInput {
		t.Errorf("a row out of range: %v", err)
	}
}

func TestMatrixAddRejects(t *testing.T) {
	m := knn.NewMatrix(3, 0)
	for _, tc := range []struct {
		name string
		id   string
		v    []float32
	}{
		{"wrong dim", "a", []float32{1, 2}},
		{"empty id", "", []float32{1, 2, 3}},
		{"NaN", "a", []float32{1, float32(math.NaN()), 0}},
		{"Inf", "a", []float32{float32(math.Inf(1)), 0, 0}},
	} {
		if err := m.Add(tc.id, tc.v); itemvec.KindOf(err) != itemvec.KindBadInput {
			t.Errorf("%s: %v, want a bad-input error", tc.name, err)
		}
	}
	if err := m.Add("ok", []float32{1, 0, 0}); err != nil || m.Len() != 1 {
		t.Fatal(err)
	}
	if i, ok := m.Index("ok"); !ok || i != 0 {
		t.Errorf("Index = %d, %v", i, ok)
	}
}

func TestHNSWRecall(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	m := knn.Synthetic(5000, 128, 50, 1)
	start := time.Now()
	ix, err := knn.BuildHNSW(t.Context(), m, knn.DefaultHNSW())
	if err != nil {
		t.Fatal(err)
	}
	build := time.Since(start)
	approx, err := ix.All(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	exact, err := knn.ExactAll(t.Context(), m, 10)
	if err != nil {
		t.Fatal(err)
	}
	r := knn.Recall(exact, approx, 10)
	t.Logf("HNSW over 5000 x 128: recall@10 %.4f, build %s", r, build)
	if r < 0.9 {
		t.Errorf("recall@10 %.4f, want >= 0.9", r)
	}
	for i, ns := range approx {
		if len(ns) != 10 || slices.ContainsFunc(ns, func(n knn.Neighbor) bool { return n.ID == m.IDs[i] }) {
			t.Fatalf("row %d: %v", i, ns)
		}
	}
	if knn.Recall(exact, exact, 10) != 1 {
		t.Error("exact against itself is not recall 1")
	}
}

func BenchmarkScan(b *testing.B) {
	m := knn.Synthetic(20000, 1823, 40, 2)
	q := [][]float32{m.Row(0)}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s := knn.NewScanner(q, []string{m.IDs[0]}, 10)
		s.Scan(m)
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(m.Len())/sec, "items/s")
	b.ReportMetric(float64(len(m.Data)*4)/sec/1e9, "GB/s")
}

func BenchmarkDot(b *testing.B) {
	m := knn.Synthetic(2, 1823, 1, 3)
	x, y := m.Row(0), m.Row(1)
	var s float32
	for b.Loop() {
		s += knn.Dot(x, y)
	}
	b.ReportMetric(float64(1823*8)/(b.Elapsed().Seconds()/float64(b.N))/1e9, "GB/s")
	_ = s
}

// BenchmarkHNSWRecall50k builds an HNSW index over 50,000 structured
// vectors and reports recall@10 against exact search on 500 queries and
// the build time. dim 256 keeps it to minutes on 2 cores; set
// ITEMVEC_HNSW_DIM=1823 for the real dimension.
func BenchmarkHNSWRecall50k(b *testing.B) {
	dim := 256
	if d := envInt("ITEMVEC_HNSW_DIM"); d > 0 {
		dim = d
	}
	m := knn.Synthetic(50000, dim, 100, 4)
	for b.Loop() {
		start := time.Now()
		ix, err := knn.BuildHNSW(b.Context(), m, knn.DefaultHNSW())
		if err != nil {
			b.Fatal(err)
		}
		build := time.Since(start)
		queries := make([]int, 500)
		approx := make([][]knn.Neighbor, len(queries))
		start = time.Now()
		for i := range queries {
			queries[i] = i * 100
			approx[i] = ix.Search(m.Row(queries[i]), 10, m.IDs[queries[i]])
		}
		search := time.Since(start)
		exact, err := knn.ExactFor(b.Context(), m, queries, 10)
		if err != nil {
			b.Fatal(err)
		}
		r := knn.Recall(exact, approx, 10)
		b.ReportMetric(r, "recall@10")
		b.ReportMetric(build.Seconds(), "build-s")
		b.ReportMetric(float64(len(queries))/search.Seconds(), "queries/s")
		fmt.Printf("HNSW %d x %d (M %d, efConstruction %d, efSearch %d): recall@10 %.4f, build %s, %.0f queries/s on one goroutine\n",
			m.Len(), dim, knn.DefaultHNSW().M, knn.DefaultHNSW().EfConstruction, knn.DefaultHNSW().EfSearch, r, build.Round(time.Millisecond), float64(len(queries))/search.Seconds())
	}
}
