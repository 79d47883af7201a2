package onnx

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Runner runs a model on a batch. [*Session] implements it.
type Runner interface {
	// Run takes batch×InputSize() floats and returns batch×OutputDim()
	// floats in a slice that is the caller's to keep. It must not keep
	// input after it returns.
	Run(ctx context.Context, input []float32, batch int) ([]float32, error)
	// InputSize is the number of floats in one item of input.
	InputSize() int
	// OutputDim is the number of floats returned per item.
	OutputDim() int
}

// Batcher defaults, used for zero fields of [BatcherConfig].
const (
	DefaultMaxBatch = 16
	DefaultMaxWait  = 5 * time.Millisecond
)

// BatcherConfig configures [NewBatcher].
type BatcherConfig struct {
	// MaxBatch is the most items run in one model call. Zero or negative
	// means DefaultMaxBatch (16).
	MaxBatch int
	// MaxWait is how long the batcher waits for a batch to fill, counted
	// from when it takes the first item of the batch. Zero or negative
	// means DefaultMaxWait (5ms).
	MaxWait time.Duration
	// Logger receives failed batches. Nil means slog.Default().
	Logger *slog.Logger
}

// BatcherStats counts what a [Batcher] has done since it started.
type BatcherStats struct {
	// Batches is the number of model calls, Items the number of items they
	// carried, Failed the number of calls that returned an error.
	Batches, Items, Failed int64
	// Dropped counts items the batcher had queued whose callers gave up
	// before their batch was sent to the model; they were never run.
	Dropped int64
	// LargestBatch is the most items seen in one call.
	LargestBatch int
	// RunTime is the total time spent in the Runner's Run.
	RunTime time.Duration
}

// add counts one model call of n items that took elapsed.
func (s *BatcherStats) add(n int, elapsed time.Duration, failed bool) {
	s.Batches++
	s.Items += int64(n)
	s.RunTime += elapsed
	s.LargestBatch = max(s.LargestBatch, n)
	if failed {
		s.Failed++
	}
}

// MeanBatchSize is Items/Batches, or 0 before the first batch.
func (s BatcherStats) MeanBatchSize() float64 {
	if s.Batches == 0 {
		return 0
	}
	return float64(s.Items) / float64(s.Batches)
}

// MeanRunTime is RunTime/Batches, or 0 before the first batch.
func (s BatcherStats) MeanRunTime() time.Duration {
	if s.Batches == 0 {
		return 0
	}
	return s.RunTime / time.Duration(s.Batches)
}

// Batcher turns concurrent single-item calls into batched model runs.
//
// One goroutine collects submitted items into a batch until it holds
// MaxBatch items or MaxWait has passed since it took the first, then runs
// the batch and hands every caller its own row. Batches run one at a time;
// items submitted meanwhile queue for the next batch. The Batcher does not
// own its Runner: close the Batcher first, then the Runner.
type Batcher struct {
	r        Runner
	maxBatch int
	maxWait  time.Duration
	logger   *slog.Logger
	newTimer func(time.Duration) batchTimer

	reqs      chan *request
	quit      chan struct{} // closed by Close
	done      chan struct{} // closed when the loop has returned
	closeOnce sync.Once

	inBuf []float32 // batch input, reused: Runners do not keep it

	mu    sync.Mutex
	stats BatcherStats
}

// batchTimer is the part of *time.Timer the batcher uses; tests replace it.
type batchTimer interface {
	C() <-chan time.Time
	Stop() bool
}

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time { return t.t.C }
func (t realTimer) Stop() bool          { return t.t.Stop() }

// The states of a request. A request is handed to the model only if the
// batcher moves it from queued to taken; a caller that gives up first moves
// it to abandoned, and the batcher then never reads its input.
const (
	queued int32 = iota
	taken
	abandoned
)

type request struct {
	ctx    context.Context
	input  []float32
	state  atomic.Int32
	copied chan struct{} // closed once input has been copied into a batch
	resp   chan result   // buffered: the batcher never blocks on a caller
}

type result struct {
	row []float32
	err error
}

// batchRequest is a *request, or a request type that embeds one: what
// submit, prune, takeLive and batchContext need of the requests of either
// batcher.
type batchRequest interface{ base() *request }

func (r *request) base() *request { return r }

// submit hands req to a batcher's loop through reqs and waits for its
// result. It fails with a [KindClosed] error once quit is closed. When ctx
// ends first it returns ctx.Err() at once: a request still queued is
// abandoned, so the loop never reads its input, and for one already taken
// it waits only until its input has been copied.
func submit[R batchRequest](ctx context.Context, op string, reqs chan<- R, quit <-chan struct{}, req R) ([]float32, error) {
	r := req.base()
	r.ctx, r.copied, r.resp = ctx, make(chan struct{}), make(chan result, 1)
	select {
	case <-quit:
		return nil, closedError(op, "the batcher")
	default:
	}
	select {
	case reqs <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-quit:
		return nil, closedError(op, "the batcher")
	}
	select {
	case res := <-r.resp:
		return res.row, res.err
	case <-ctx.Done():
		if !r.state.CompareAndSwap(queued, abandoned) && r.state.Load() == taken {
			<-r.copied
		}
		return nil, ctx.Err()
	}
}

// NewBatcher starts a batcher in front of r. Call Close to stop it.
func NewBatcher(r Runner, cfg BatcherConfig) *Batcher {
	return newBatcher(r, cfg, func(d time.Duration) batchTimer { return realTimer{time.NewTimer(d)} })
}

func newBatcher(r Runner, cfg BatcherConfig, newTimer func(time.Duration) batchTimer) *Batcher {
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	b := &Batcher{
		r:        r,
		maxBatch: cfg.MaxBatch,
		maxWait:  cfg.MaxWait,
		logger:   loggerOrDefault(cfg.Logger),
		newTimer: newTimer,
		reqs:     make(chan *request),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go b.loop()
	return b
}

// Submit runs the model on one item (InputSize() floats) as part of a
// batch and returns its OutputDim() floats. It is safe for concurrent use;
// that is the point. The Batcher stops reading input once Submit returns.
//
// If ctx ends first Submit returns ctx.Err() at once: an item still queued
// is never sent to the model, and the row of one already running is
// dropped. A batch whose callers have all given up is run with a cancelled
// context. A model error is returned to every caller in the batch. After
// Close, Submit fails with a [KindClosed] error wrapping [ErrClosed].
func (b *Batcher) Submit(ctx context.Context, input []float32) ([]float32, error) {
	const op = "onnx.Batcher.Submit"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if want := b.r.InputSize(); len(input) != want {
		return nil, errorf(op, KindInput, "input has %d floats; the model takes %d per item", len(input), want)
	}
	return submit(ctx, op, b.reqs, b.quit, &request{input: input})
}

// Stats returns a snapshot of the counters.
func (b *Batcher) Stats() BatcherStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// Close stops taking new items, runs the items already queued without
// waiting for MaxWait, waits for the running batch to finish and returns.
// Submit calls made after Close fail. Close is idempotent.
func (b *Batcher) Close() {
	b.closeOnce.Do(func() { close(b.quit) })
	<-b.done
}

func (b *Batcher) loop() {
	defer close(b.done)
	pending := make([]*request, 0, b.maxBatch)
	for {
		select {
		case req := <-b.reqs:
			pending = append(pending, req)
		case <-b.quit:
			return
		}
		pending = b.collect(pending)
		b.dispatch(pending)
		clear(pending)
		pending = pending[:0]
	}
}

// collect adds requests to pending until it holds maxBatch live ones,
// maxWait has passed, or the batcher is closing.
func (b *Batcher) collect(pending []*request) []*request {
	timer := b.newTimer(b.maxWait)
	defer timer.Stop()
	for {
		if len(pending) == b.maxBatch {
			// Make room for live callers in place of ones that gave up.
			if pending = prune(pending, b.countDropped); len(pending) == b.maxBatch {
				return pending
			}
		}
		select {
		case req := <-b.reqs:
			pending = append(pending, req)
		case <-timer.C():
			return pending
		case <-b.quit:
			return pending
		}
	}
}

// prune removes, in place, the requests whose callers have given up,
// marking each abandoned and calling dropped for it.
func prune[R batchRequest](reqs []R, dropped func()) []R {
	live := reqs[:0]
	for _, req := range reqs {
		r := req.base()
		if r.ctx.Err() == nil && r.state.Load() == queued {
			live = append(live, req)
			continue
		}
		r.state.CompareAndSwap(queued, abandoned)
		dropped()
	}
	clear(reqs[len(live):])
	return live
}

// takeLive returns, in place, the requests of a batch about to run whose
// callers still wait, each moved from queued to taken; the others are
// marked abandoned and dropped is called for each.
func takeLive[R batchRequest](reqs []R, dropped func()) []R {
	batch := reqs[:0]
	for _, req := range reqs {
		r := req.base()
		if r.ctx.Err() == nil && r.state.CompareAndSwap(queued, taken) {
			batch = append(batch, req)
			continue
		}
		r.state.CompareAndSwap(queued, abandoned)
		dropped()
	}
	return batch
}

// dispatch runs one batch and answers its callers.
func (b *Batcher) dispatch(pending []*request) {
	batch := takeLive(pending, b.countDropped)
	n := len(batch)
	if n == 0 {
		return
	}
	size := b.r.InputSize()
	if cap(b.inBuf) < n*size {
		b.inBuf = make([]float32, n*size)
	}
	in := b.inBuf[:n*size]
	for i, req := range batch {
		copy(in[i*size:], req.input)
		close(req.copied)
	}

	ctx, stop := batchContext(batch)
	start := time.Now()
	out, err := b.r.Run(ctx, in, n)
	elapsed := time.Since(start)
	stop()

	dim := b.r.OutputDim()
	if err == nil && len(out) != n*dim {
		err = errorf("onnx.Batcher.Submit", KindRuntime, "runner returned %d floats for a batch of %d×%d", len(out), n, dim)
	}
	if err != nil {
		b.logger.Warn("onnx: batch failed", "items", n, "err", err)
	}
	for i, req := range batch {
		if err != nil {
			req.resp <- result{err: err}
			continue
		}
		// Full slice expression: a caller appending to its row must not
		// write into the next caller's.
		req.resp <- result{row: out[i*dim : (i+1)*dim : (i+1)*dim]}
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	b.stats.add(n, elapsed, err != nil)
}

// batchContext returns a context for running batch that is cancelled once
// every caller in it has given up, and a function to release it.
func batchContext[R batchRequest](batch []R) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var live atomic.Int64
	live.Store(int64(len(batch)))
	stops := make([]func() bool, len(batch))
	for i, req := range batch {
		stops[i] = context.AfterFunc(req.base().ctx, func() {
			if live.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}

func (b *Batcher) countDropped() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stats.Dropped++
}
