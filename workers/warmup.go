package workers

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// WarmUp is what Worker.WarmUp ran: the model calls and how long they
// took.
type WarmUp struct {
	// ImageRuns and TextRuns are the calls made, over all sessions; 0
	// once warmed (a later call) or for a worker without models.
	ImageRuns, TextRuns int
	// ImageSizes are the batch sizes each image session ran.
	ImageSizes []int
	Elapsed    time.Duration
}

// warmState is a worker's warm-up, done once.
type warmState struct {
	mu   sync.Mutex
	done bool
}

// WarmUp runs each model session once per batch shape its micro-batcher
// can give it, on zero inputs, outside the batchers (no batch statistics,
// no metrics): on the CPU one batch of Config.Models.MaxBatch per image
// session; with fixed batch shapes (CUDA) one batch of each shape up to the
// one MaxBatch is padded to, where the first run of a shape selects and
// allocates its kernels; the text model one batch of MaxBatch short texts.
// A fresh ONNX Runtime session's first batch costs about 1.5× a later one
// (MobileNetV2, batch 16, one thread: 185 ms against 120 ms), and a worker
// whose batchers start on partial batches runs measurably slower for a
// while after (see README, "Speed"). The image sessions warm at the same
// time, each from its own goroutine, as the worker runs them.
//
// Start calls it before the worker takes tasks, so /readyz turns ready
// only once the models are warm. It does its work once: later calls (and
// Start after an explicit call) return a zero WarmUp at once. An error
// (ctx ended, a run failed) leaves the worker cold, and the next call tries
// again.
func (w *Worker) WarmUp(ctx context.Context) (WarmUp, error) {
	w.warm.mu.Lock()
	defer w.warm.mu.Unlock()
	if w.warm.done || w.models == nil {
		return WarmUp{}, nil
	}
	start := time.Now()
	var res WarmUp
	img := w.models.image
	maxBatch := w.cfg.Models.MaxBatch
	res.ImageSizes = warmBatchSizes(img.session.BatchSizes(), maxBatch)
	zeros := make([]float32, slices.Max(res.ImageSizes)*img.session.InputSize())
	errs := make([]error, len(img.sessions)+1)
	var wg sync.WaitGroup
	for i, sess := range img.sessions {
		wg.Go(func() {
			for _, n := range res.ImageSizes {
				if _, err := sess.Run(ctx, zeros[:n*sess.InputSize()], n); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	res.ImageRuns = len(img.sessions) * len(res.ImageSizes)
	if txt := w.models.text; txt != nil && errors.Join(errs...) == nil {
		ids := make([][]int64, maxBatch)
		for i := range ids {
			ids[i] = make([]int64, min(txt.session.MaxLength(), warmTextTokens))
			for j := range ids[i] {
				ids[i][j] = int64(5 + (i*31+j)%1000) // ids BenchTextModel draws from too
			}
		}
		_, errs[len(errs)-1] = txt.session.Run(ctx, ids, nil, nil)
		res.TextRuns = 1
	}
	if err := errors.Join(errs...); err != nil {
		return WarmUp{}, err
	}
	res.Elapsed = time.Since(start)
	w.warm.done = true
	w.cfg.Logger.Info("models warmed up", "image_runs", res.ImageRuns, "image_batch_sizes", res.ImageSizes,
		"text_runs", res.TextRuns, "took", res.Elapsed.Round(time.Millisecond))
	return res, nil
}

// warmTextTokens is the length of the text model's warm-up texts (or its
// MaxLength when shorter): a short product title's.
const warmTextTokens = 32

// warmBatchSizes are the batch sizes a session whose RunBatch pads to
// sizes (nil: no padding) runs behind a micro-batcher of maxBatch: maxBatch
// alone without padding, else every size up to the one maxBatch pads to.
func warmBatchSizes(sizes []int, maxBatch int) []int {
	if len(sizes) == 0 {
		return []int{maxBatch}
	}
	var out []int
	for _, n := range sizes {
		out = append(out, n)
		if n >= maxBatch {
			return out
		}
	}
	// maxBatch is over the largest size: batches over it run unpadded, the
	// largest at maxBatch.
	return append(out, maxBatch)
}
