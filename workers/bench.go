package workers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/itemvec/itemvec"
)

// ModelBench is the throughput of one of the worker's models alone, on
// synthetic input of the batch size the micro-batcher uses, with the
// worker's session (same device and threads): the limit the pipeline can
// approach on this machine.
type ModelBench struct {
	Model     string
	Batch     int
	Batches   int
	Elapsed   time.Duration
	PerSecond float64 // inputs per second
}

// BenchImageModel runs the image session on random batches of
// Config.Models.MaxBatch tensors for at least minDuration (and 3 batches),
// after one warm-up run.
func (w *Worker) BenchImageModel(ctx context.Context, minDuration time.Duration) (*ModelBench, error) {
	img := w.models.image
	batch := w.cfg.Models.MaxBatch
	rng := rand.New(rand.NewPCG(1, 2))
	in := make([]float32, batch*img.session.InputSize())
	for i := range in {
		in[i] = rng.Float32()*2 - 1
	}
	return benchLoop(ctx, img.spec.ID, batch, minDuration, func() error {
		_, err := img.session.Run(ctx, in, batch)
		return err
	})
}

// BenchTextModel runs the text session on batches of Config.Models.MaxBatch
// synthetic texts of tokens ids each (ids drawn from the first 1000 of the
// vocabulary) for at least minDuration. It fails without a text model.
func (w *Worker) BenchTextModel(ctx context.Context, tokens int, minDuration time.Duration) (*ModelBench, error) {
	if w.models == nil || w.models.text == nil {
		return nil, itemvec.Errorf(itemvec.KindConfig, "workers.Worker.BenchTextModel", "the worker has no text model")
	}
	txt := w.models.text
	batch := w.cfg.Models.MaxBatch
	tokens = min(tokens, txt.session.MaxLength())
	rng := rand.New(rand.NewPCG(3, 4))
	ids := make([][]int64, batch)
	for i := range ids {
		ids[i] = make([]int64, tokens)
		for j := range ids[i] {
			ids[i][j] = 5 + rng.Int64N(1000)
		}
	}
	return benchLoop(ctx, txt.spec.ID, batch, minDuration, func() error {
		_, err := txt.session.Run(ctx, ids, nil, nil)
		return err
	})
}

// benchLoop calls run once to warm up, then until minDuration has passed
// and it ran at least 3 times.
func benchLoop(ctx context.Context, model string, batch int, minDuration time.Duration, run func() error) (*ModelBench, error) {
	if err := run(); err != nil {
		return nil, fmt.Errorf("warm-up run: %w", err)
	}
	b := &ModelBench{Model: model, Batch: batch}
	start := time.Now()
	for time.Since(start) < minDuration || b.Batches < 3 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := run(); err != nil {
			return nil, err
		}
		b.Batches++
	}
	b.Elapsed = time.Since(start)
	b.PerSecond = float64(b.Batches*batch) / b.Elapsed.Seconds()
	return b, nil
}
