package workers

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// RawBenchmark is the throughput of the image model alone on synthetic
// tensors: the limit the pipeline can approach on this machine with the same
// batch size and threads.
type RawBenchmark struct {
	Batch    int
	Batches  int
	Elapsed  time.Duration
	ImagesPS float64
}

// BenchRaw runs the encoder's session on random input batches of size batch
// for at least minDuration (after one warm-up run).
func BenchRaw(ctx context.Context, enc *Encoder, batch int, minDuration time.Duration) (*RawBenchmark, error) {
	if batch <= 0 {
		batch = 1
	}
	rng := rand.New(rand.NewPCG(1, 2))
	in := make([]float32, batch*enc.Session.InputSize())
	for i := range in {
		in[i] = rng.Float32()*2 - 1
	}
	if _, err := enc.Session.Run(ctx, in, batch); err != nil {
		return nil, fmt.Errorf("warm-up run: %w", err)
	}
	r := &RawBenchmark{Batch: batch}
	start := time.Now()
	for time.Since(start) < minDuration || r.Batches < 3 {
		if _, err := enc.Session.Run(ctx, in, batch); err != nil {
			return nil, err
		}
		r.Batches++
	}
	r.Elapsed = time.Since(start)
	r.ImagesPS = float64(r.Batches*batch) / r.Elapsed.Seconds()
	return r, nil
}

// BenchRawText runs the text model's session on batches of batch synthetic
// texts of tokens ids each (ids drawn from the first 1000 of the vocabulary)
// for at least minDuration.
func BenchRawText(ctx context.Context, m *TextModel, batch, tokens int, minDuration time.Duration) (*RawBenchmark, error) {
	if batch <= 0 {
		batch = 1
	}
	tokens = min(tokens, m.Session.MaxLength())
	rng := rand.New(rand.NewPCG(3, 4))
	ids := make([][]int64, batch)
	masks := make([][]int64, batch)
	for i := range ids {
		ids[i] = make([]int64, tokens)
		masks[i] = make([]int64, tokens)
		for j := range ids[i] {
			ids[i][j] = 5 + rng.Int64N(1000)
			masks[i][j] = 1
		}
	}
	if _, err := m.Session.Run(ctx, ids, masks, nil); err != nil {
		return nil, fmt.Errorf("warm-up run: %w", err)
	}
	r := &RawBenchmark{Batch: batch}
	start := time.Now()
	for time.Since(start) < minDuration || r.Batches < 3 {
		if _, err := m.Session.Run(ctx, ids, masks, nil); err != nil {
			return nil, err
		}
		r.Batches++
	}
	r.Elapsed = time.Since(start)
	r.ImagesPS = float64(r.Batches*batch) / r.Elapsed.Seconds()
	return r, nil
}

// Replicate returns the catalog's items rounds times with ids prefixed by the
// round ("r2-sku-0001"), so a benchmark can run more items than the sample
// catalog has without tripping the content-derived task deduplication.
func Replicate(items []Item, rounds int) []Item {
	var out []Item
	for r := 2; r <= rounds; r++ {
		for _, it := range items {
			it.ID = fmt.Sprintf("r%d-%s", r, it.ID)
			out = append(out, it)
		}
	}
	return out
}

// PrintBench writes the benchmark report. rawText is nil without a text
// model; with one, the limit is the rate at which both models together could
// embed items on these cores (1 / (1/image + 1/text)), since every item
// needs both.
func PrintBench(w io.Writer, raw, rawText *RawBenchmark, job *JobReport, threads, device string) {
	e2e := job.ItemsPerSecond()
	fmt.Fprintf(w, "\nitemvec bench (device %s, ORT intra-op threads: %s, batch %d)\n", device, threads, raw.Batch)
	fmt.Fprintf(w, "  raw ORT image model, synthetic tensors   : %8.1f images/s (%d batches in %s)\n",
		raw.ImagesPS, raw.Batches, raw.Elapsed.Round(time.Millisecond))
	limit := raw.ImagesPS
	if rawText != nil {
		fmt.Fprintf(w, "  raw ORT text model, 32-token texts       : %8.1f texts/s (%d batches in %s)\n",
			rawText.ImagesPS, rawText.Batches, rawText.Elapsed.Round(time.Millisecond))
		limit = 1 / (1/raw.ImagesPS + 1/rawText.ImagesPS)
		fmt.Fprintf(w, "  raw limit, both models per item           : %8.1f items/s\n", limit)
	}
	fmt.Fprintf(w, "  end-to-end pipeline, sample catalog      : %8.1f items/s (%d items in %s)\n",
		e2e, job.Published, job.Elapsed.Round(time.Millisecond))
	if limit > 0 {
		fmt.Fprintf(w, "  ratio end-to-end / raw limit             : %8.3f\n", e2e/limit)
	}
	s := job.Stats
	fmt.Fprintf(w, "  per stage (summed over concurrent work; mean per item):\n")
	for _, st := range []struct {
		name string
		s    *StageStats
	}{
		{"fetch (S3 GET)", &s.Fetch},
		{"decode+prep", &s.Decode},
		{"inference (incl. batch wait)", &s.Inference},
		{"text: tokenize+model", &s.Text},
		{"fusion", &s.Fusion},
		{"publish (Redis pipeline)", &s.Publish},
	} {
		fmt.Fprintf(w, "    %-30s %10s total %12s  per item %10s\n", st.name,
			fmt.Sprintf("%d items", st.s.Items()), st.s.Total().Round(time.Microsecond), st.s.PerItem().Round(time.Microsecond))
	}
}
