package knn

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/itemvec/itemvec"
)

// Neighbor is one result: an id and its dot product with the query.
type Neighbor struct {
	ID    string
	Score float32
}

// Matrix is a set of vectors of one dimension, row-major.
type Matrix struct {
	Dim  int
	IDs  []string
	Data []float32 // len(IDs) * Dim
	idx  map[string]int
}

// NewMatrix returns an empty matrix of rows of dim values with room for
// capacity rows.
func NewMatrix(dim, capacity int) *Matrix {
	return &Matrix{Dim: dim, IDs: make([]string, 0, capacity), Data: make([]float32, 0, capacity*dim)}
}

// Add appends a row. An empty id, a vector of another length or a
// non-finite value is a KindBadInput error.
func (m *Matrix) Add(id string, v []float32) error {
	const op = "knn.Matrix.Add"
	if id == "" {
		return itemvec.Errorf(itemvec.KindBadInput, op, "empty id")
	}
	if len(v) != m.Dim {
		return itemvec.Errorf(itemvec.KindBadInput, op, "vector of %s has %d values, want %d", id, len(v), m.Dim)
	}
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return itemvec.Errorf(itemvec.KindBadInput, op, "vector of %s: value %d is %v", id, i, x)
		}
	}
	m.IDs = append(m.IDs, id)
	m.Data = append(m.Data, v...)
	if m.idx != nil {
		m.idx[id] = len(m.IDs) - 1
	}
	return nil
}

// Len is the number of rows.
func (m *Matrix) Len() int { return len(m.IDs) }

// Row returns row i (a view, not a copy).
func (m *Matrix) Row(i int) []float32 { return m.Data[i*m.Dim : (i+1)*m.Dim : (i+1)*m.Dim] }

// Index returns the row of id.
func (m *Matrix) Index(id string) (int, bool) {
	if m.idx == nil {
		m.idx = make(map[string]int, len(m.IDs))
		for i, x := range m.IDs {
			m.idx[x] = i
		}
	}
	i, ok := m.idx[id]
	return i, ok
}

// Dot is the dot product of a and b (len(b) >= len(a)), 8 values per
// step.
func Dot(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= n; i += 8 {
		aa := a[i : i+8 : i+8]
		bb := b[i : i+8 : i+8]
		s0 += aa[0] * bb[0]
		s1 += aa[1] * bb[1]
		s2 += aa[2] * bb[2]
		s3 += aa[3] * bb[3]
		s4 += aa[4] * bb[4]
		s5 += aa[5] * bb[5]
		s6 += aa[6] * bb[6]
		s7 += aa[7] * bb[7]
	}
	for ; i < n; i++ {
		s0 += a[i] * b[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

// TopK keeps the k highest-scoring entries pushed; ties are broken by id,
// ascending. Push does not allocate once the heap is full.
type TopK struct {
	k int
	h minHeap
}

// NewTopK returns a TopK of k (at least 1) entries.
func NewTopK(k int) *TopK {
	k = max(k, 1)
	return &TopK{k: k, h: make(minHeap, 0, k)}
}

// worse reports whether a ranks below b.
func worse(a, b Neighbor) bool {
	if a.Score != b.Score {
		return a.Score < b.Score
	}
	return a.ID > b.ID
}

type minHeap []Neighbor

// Push offers an entry.
func (t *TopK) Push(id string, score float32) {
	n := Neighbor{ID: id, Score: score}
	if len(t.h) < t.k {
		t.h = append(t.h, n)
		up(t.h, len(t.h)-1)
		return
	}
	if !worse(t.h[0], n) {
		return
	}
	t.h[0] = n
	down(t.h, 0)
}

// up and down sift like container/heap, without its interface boxing.
func up(h minHeap, j int) {
	for {
		i := (j - 1) / 2
		if i == j || !worse(h[j], h[i]) {
			break
		}
		h[i], h[j] = h[j], h[i]
		j = i
	}
}

func down(h minHeap, i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n || l < 0 {
			break
		}
		j := l
		if r := l + 1; r < n && worse(h[r], h[l]) {
			j = r
		}
		if !worse(h[j], h[i]) {
			break
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

// Threshold returns the lowest score kept and whether the heap is full: a
// score below it cannot enter.
func (t *TopK) Threshold() (float32, bool) {
	if len(t.h) == 0 {
		return float32(math.Inf(-1)), false
	}
	return t.h[0].Score, len(t.h) == t.k
}

// Sorted returns the entries kept, best first.
func (t *TopK) Sorted() []Neighbor {
	out := slices.Clone([]Neighbor(t.h))
	slices.SortFunc(out, func(a, b Neighbor) int {
		switch {
		case worse(b, a):
			return -1
		case worse(a, b):
			return 1
		}
		return 0
	})
	return out
}

// Reset empties the heap.
func (t *TopK) Reset() { t.h = t.h[:0] }

// Scanner is an exact search of a few queries over rows that arrive in
// batches (a Redis space streamed batch by batch).
type Scanner struct {
	queries [][]float32
	ids     []string
	tops    []*TopK
	skip    []map[string]bool
}

// NewScanner returns a scanner of queries; a row whose id is its query's
// id (queryIDs[q], may be "") is skipped for that query.
func NewScanner(queries [][]float32, queryIDs []string, k int) *Scanner {
	s := &Scanner{queries: queries, ids: queryIDs, tops: make([]*TopK, len(queries)), skip: make([]map[string]bool, len(queries))}
	for q := range queries {
		s.tops[q] = NewTopK(k)
	}
	return s
}

// Skip excludes the row id from query q's results.
func (s *Scanner) Skip(q int, id string) {
	if s.skip[q] == nil {
		s.skip[q] = map[string]bool{}
	}
	s.skip[q][id] = true
}

// Scan adds a batch of rows.
func (s *Scanner) Scan(rows *Matrix) {
	for r := 0; r < rows.Len(); r++ {
		row := rows.Row(r)
		id := rows.IDs[r]
		for q, qv := range s.queries {
			if len(qv) != rows.Dim {
				continue
			}
			score := Dot(qv, row)
			t := s.tops[q]
			if th, full := t.Threshold(); full && score < th {
				continue
			}
			if (s.ids != nil && s.ids[q] == id) || s.skip[q][id] {
				continue
			}
			t.Push(id, score)
		}
	}
}

// Results returns each query's best rows, best first.
func (s *Scanner) Results() [][]Neighbor {
	out := make([][]Neighbor, len(s.tops))
	for q, t := range s.tops {
		out[q] = t.Sorted()
	}
	return out
}

// ExactAll returns the exact top k of every row of m among the others.
func ExactAll(ctx context.Context, m *Matrix, k int) ([][]Neighbor, error) {
	qs := make([]int, m.Len())
	for i := range qs {
		qs[i] = i
	}
	return ExactFor(ctx, m, qs, k)
}

// Tile sizes of the blocked search: a tile of rows (rowTile × dim floats,
// ~460 KiB at dim 1823) is reused by a tile of queries from cache.
const (
	queryTile = 16
	rowTile   = 64
)

// ExactFor returns the exact top k of the rows queries of m among the
// other rows, in the order of queries, in parallel over GOMAXPROCS.
func ExactFor(ctx context.Context, m *Matrix, queries []int, k int) ([][]Neighbor, error) {
	for _, q := range queries {
		if q < 0 || q >= m.Len() {
			return nil, itemvec.Errorf(itemvec.KindBadInput, "knn.ExactFor", "query row %d out of %d", q, m.Len())
		}
	}
	out := make([][]Neighbor, len(queries))
	if len(queries) == 0 {
		return out, nil
	}
	workers := min(runtime.GOMAXPROCS(0), (len(queries)+queryTile-1)/queryTile)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tops := make([]*TopK, queryTile)
			for i := range tops {
				tops[i] = NewTopK(k)
			}
			for start := range next {
				end := min(start+queryTile, len(queries))
				qt := queries[start:end]
				for i := range qt {
					tops[i].Reset()
				}
				for r0 := 0; r0 < m.Len(); r0 += rowTile {
					r1 := min(r0+rowTile, m.Len())
					for i, q := range qt {
						qv := m.Row(q)
						t := tops[i]
						for r := r0; r < r1; r++ {
							if r == q {
								continue
							}
							s := Dot(qv, m.Data[r*m.Dim:(r+1)*m.Dim])
							if th, full := t.Threshold(); full && s < th {
								continue
							}
							t.Push(m.IDs[r], s)
						}
					}
				}
				for i := range qt {
					out[start+i] = tops[i].Sorted()
				}
			}
		}()
	}
	var err error
loop:
	for start := 0; start < len(queries); start += queryTile {
		select {
		case next <- start:
		case <-ctx.Done():
			err = itemvec.Wrap("knn.ExactFor", ctx.Err())
			break loop
		}
	}
	close(next)
	wg.Wait()
	return out, err
}

// Recall is the mean over queries of |approx[q][:k] ∩ exact[q][:k]| / k.
func Recall(exact, approx [][]Neighbor, k int) float64 {
	if len(exact) == 0 || k <= 0 {
		return 0
	}
	var sum float64
	for q := range exact {
		want := map[string]bool{}
		for _, n := range exact[q][:min(k, len(exact[q]))] {
			want[n.ID] = true
		}
		if len(want) == 0 {
			sum++
			continue
		}
		hit := 0
		if q < len(approx) {
			for _, n := range approx[q][:min(k, len(approx[q]))] {
				if want[n.ID] {
					hit++
				}
			}
		}
		sum += float64(hit) / float64(len(want))
	}
	return sum / float64(len(exact))
}

func (n Neighbor) String() string { return fmt.Sprintf("%s:%.4f", n.ID, n.Score) }
