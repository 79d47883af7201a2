package knn_test

import (
	"testing"
	"time"

	"github.com/itemvec/itemvec/fusion/knn"
)

func TestProbeHNSW(t *testing.T) {
	m := knn.Synthetic(50000, 64, 100, 4)
	qs := make([]int, 300)
	for i := range qs {
		qs[i] = i * 160
	}
	exact, _ := knn.ExactFor(t.Context(), m, qs, 10)
	for _, cfg := range []knn.HNSWConfig{{M: 48, EfConstruction: 200, EfSearch: 200, Ml: 0.25, Seed: 1}, {M: 64, EfConstruction: 100, EfSearch: 200, Ml: 0.25, Seed: 1}, {M: 48, EfConstruction: 100, EfSearch: 400, Ml: 0.25, Seed: 1}} {
		start := time.Now()
		ix, _ := knn.BuildHNSW(t.Context(), m, cfg)
		b := time.Since(start)
		approx := make([][]knn.Neighbor, len(qs))
		s := time.Now()
		for i, q := range qs {
			approx[i] = ix.Search(m.Row(q), 10, m.IDs[q])
		}
		t.Logf("%+v recall %.4f build %s search %s", cfg, knn.Recall(exact, approx, 10), b, time.Since(s)/300)
	}
}
