package standin_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/itemvec/itemvec/onnx"
)

// corpusIDs returns the parity corpus as token ids (Hugging Face's, from
// the golden).
func corpusIDs(b *testing.B) ([][]int64, string) {
	b.Helper()
	c := loadCorpus(b)
	ids := make([][]int64, len(c.Golden.Items))
	for i, it := range c.Golden.Items {
		ids[i] = it.IDs
	}
	return ids, c.ModelPath
}

// BenchmarkTextSession runs the stand-in on the parity corpus in batches
// of 16, in file order, and reports real tokens per second.
func BenchmarkTextSession(b *testing.B) {
	ids, modelPath := corpusIDs(b)
	s := textSession(b, modelPath)
	const batch = 16
	tokens, padded := 0, 0
	for start := 0; start < len(ids); start += batch {
		longest := 0
		for _, row := range ids[start:min(start+batch, len(ids))] {
			tokens += len(row)
			longest = max(longest, len(row))
		}
		padded += longest * min(batch, len(ids)-start)
	}
	for b.Loop() {
		for start := 0; start < len(ids); start += batch {
			if _, err := s.Run(b.Context(), ids[start:min(start+batch, len(ids))], nil, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(tokens*b.N)/b.Elapsed().Seconds(), "tokens/s")
	b.ReportMetric(float64(tokens)/float64(padded), "padding-efficiency")
}

// idsRunner runs token ids on a TextSession in a Batcher.
type idsRunner struct{ s *onnx.TextSession }

func (r idsRunner) Check(ids []int64) error { return r.s.CheckText(ids, nil, nil) }
func (r idsRunner) OutputDim() int          { return r.s.OutputDim() }
func (r idsRunner) RunBatch(ctx context.Context, ids [][]int64) ([][]float32, error) {
	return r.s.Run(ctx, ids, nil, nil)
}

// BenchmarkTextBatcher submits the whole corpus at once, one goroutine per
// text in a shuffled order, through a Batcher (MaxBatch 16) in front of the
// stand-in, with each pick policy: nearest length (grouping similar
// lengths) and arrival order. It reports real tokens per second and the
// batcher's padding efficiency (real tokens / tokens computed).
func BenchmarkTextBatcher(b *testing.B) {
	ids, modelPath := corpusIDs(b)
	s := textSession(b, modelPath)
	for _, pick := range []onnx.Pick{onnx.PickNearestLength, onnx.PickArrival} {
		b.Run(pick.String(), func(b *testing.B) {
			bt, err := onnx.NewBatcher(idsRunner{s}, onnx.BatcherConfig[[]int64]{MaxBatch: 16, MaxWait: 2 * time.Millisecond, QueueSize: 64,
				Pick: pick, Length: func(ids []int64) int { return len(ids) }, Logger: quietLogger()})
			if err != nil {
				b.Fatal(err)
			}
			defer bt.Close()
			r := rand.New(rand.NewPCG(1, 2))
			tokens := 0
			for b.Loop() {
				order := r.Perm(len(ids))
				var wg sync.WaitGroup
				for _, i := range order {
					tokens += len(ids[i])
					wg.Go(func() {
						if _, err := bt.Submit(context.Background(), ids[i]); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
			}
			st := bt.Stats()
			b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tokens/s")
			b.ReportMetric(st.PaddingEfficiency(), "padding-efficiency")
			b.ReportMetric(st.MeanBatchSize(), "texts/batch")
		})
	}
}
