package reader_test

import (
	"testing"

	"github.com/itemvec/itemvec/fusion/knn"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/reader"
	"github.com/itemvec/itemvec/storage/redistest"
)

// BenchmarkSimilarExact scans a space of 10,000 items of dim 1823 (the v2
// space's) on a real redis-server for one query: items/s through Redis
// (ZSCAN + pipelined HMGET + decode + dot), beside the dot products alone
// over the same vectors in memory (knn.Scanner) in the same run.
func BenchmarkSimilarExact(b *testing.B) {
	const n, dim = 10000, 1823
	rdb := redistest.Start(b).Client()
	s := storage.NewVectorStore(rdb, storage.StoreConfig{})
	m := knn.Synthetic(n, dim, 40, 5)
	for start := 0; start < n; start += 500 {
		var items []storage.ItemVector
		for i := start; i < min(start+500, n); i++ {
			items = append(items, storage.ItemVector{ID: m.IDs[i], Vector: m.Row(i), SpecID: "s", SpecHash: "h", ContentHash: "c"})
		}
		if err := s.Publish(b.Context(), "bench", items); err != nil {
			b.Fatal(err)
		}
	}
	rd := reader.New(rdb)
	b.Run("redis", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, st, err := rd.SimilarExact(b.Context(), "bench", []string{m.IDs[0]}, reader.SimilarOptions{K: 10}); err != nil || st.Items != n {
				b.Fatal(st, err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
	})
	b.Run("memory", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sc := knn.NewScanner([][]float32{m.Row(0)}, []string{m.IDs[0]}, 10)
			sc.Scan(m)
		}
		sec := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(float64(n)/sec, "items/s")
		b.ReportMetric(float64(n*dim*4)/sec/1e9, "GB/s")
	})
}
