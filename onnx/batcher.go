package onnx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/itemvec/itemvec"
)

// BatchRunner runs a model on a batch of inputs of type In. [*Session]
// is a BatchRunner of []float32 (one image tensor per input).
type BatchRunner[In any] interface {
	// Check reports whether one input can be run. Submit calls it first,
	// so a bad input fails alone and never reaches a batch. An error that
	// is not an [*itemvec.Error] is reported as a [CodeInput] one.
	Check(in In) error
	// RunBatch runs the model on ins and returns one row of OutputDim()
	// floats per input, in order; rows are the caller's to keep. It must
	// not keep ins, nor read them after it returns.
	RunBatch(ctx context.Context, ins []In) ([][]float32, error)
	// OutputDim is the number of floats per row.
	OutputDim() int
}

// Pick says which of the inputs a [Batcher] holds it runs together.
type Pick int

// The pick policies.
const (
	// PickArrival runs inputs in the order they came: the default, for
	// inputs of one size (images).
	PickArrival Pick = iota
	// PickNearestLength runs the oldest input held with the MaxBatch−1
	// others closest to it in Length, for inputs a model pads to the
	// longest of a batch (texts): the window of MaxBatch consecutive
	// lengths around the oldest with the least padding. Every batch holds
	// the oldest input, so none is starved: an input waits at most for the
	// batches of the inputs held before it.
	PickNearestLength
)

// String returns the policy's name: "arrival" or "nearest_length".
func (p Pick) String() string {
	switch p {
	case PickArrival:
		return "arrival"
	case PickNearestLength:
		return "nearest_length"
	}
	return fmt.Sprintf("Pick(%d)", int(p))
}

// Batcher defaults, used for zero fields of [BatcherConfig].
const (
	DefaultMaxBatch = 16
	DefaultMaxWait  = 5 * time.Millisecond
)

// BatcherConfig configures [NewBatcher].
type BatcherConfig[In any] struct {
	// MaxBatch is the most inputs run in one model call. Zero or negative
	// means DefaultMaxBatch (16).
	MaxBatch int
	// MaxWait is how long an input waits for its batch to fill, counted
	// from when the batcher takes it. Zero or negative means
	// DefaultMaxWait (5ms).
	MaxWait time.Duration
	// QueueSize is the most inputs the batcher holds while it chooses what
	// to batch together; callers beyond it wait in Submit. With
	// PickNearestLength a bigger queue finds closer lengths under load.
	// Values below MaxBatch mean 4×MaxBatch.
	QueueSize int
	// Pick chooses the inputs of each batch; the zero value is
	// PickArrival.
	Pick Pick
	// Length is the length of an input that the model pads a batch to the
	// longest of (a text's number of tokens). PickNearestLength needs it.
	// When set, the stats count lengths and padding (see
	// [BatcherStats.PaddingEfficiency]), with either policy. Submit calls
	// it once per input, from the caller's goroutine.
	Length func(In) int
	// Logger receives failed batches. Nil means slog.Default().
	Logger *slog.Logger
	// Observe, when set, is called after every model call with what it
	// ran, from the goroutine of the runner that ran it (with several
	// runners, possibly at once): it must be quick, safe for concurrent
	// use and must not call back into the Batcher. Workers feed their batch-size, fill
	// and wait histograms from it.
	Observe func(BatchInfo)
}

// BatchInfo describes one model call of a [Batcher], for
// [BatcherConfig.Observe].
type BatchInfo struct {
	// Size is the number of inputs run, MaxBatch the most a call may
	// carry: Size/MaxBatch is how full the batch was.
	Size, MaxBatch int
	// Wait is how long the oldest input of the batch waited in the
	// batcher before the call started: the latency batching added.
	Wait time.Duration
	// Run is the time spent in the runner's RunBatch, CPU the CPU time
	// the runner's thread used in it (for ONNX Runtime: all of the run
	// with one intra-op thread; the share of ORT's other pool threads is
	// not included). CPU is 0 where the platform cannot measure it.
	Run, CPU time.Duration
	// Longest is the greatest Length among the inputs, Lengths their sum;
	// both 0 without BatcherConfig.Length.
	Longest, Lengths int
	// Err is the call's error, nil when it succeeded.
	Err error
}

// Fill is Size/MaxBatch.
func (i BatchInfo) Fill() float64 {
	if i.MaxBatch <= 0 {
		return 0
	}
	return float64(i.Size) / float64(i.MaxBatch)
}

// withDefaults returns cfg with its zero fields defaulted, or a
// [CodeConfig] error when cfg cannot work.
func (cfg BatcherConfig[In]) withDefaults(op string) (BatcherConfig[In], error) {
	switch cfg.Pick {
	case PickArrival:
	case PickNearestLength:
		if cfg.Length == nil {
			return cfg, errorf(op, CodeConfig, "PickNearestLength needs a Length function")
		}
	default:
		return cfg, errorf(op, CodeConfig, "unknown Pick %d (want PickArrival or PickNearestLength)", int(cfg.Pick))
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.QueueSize < cfg.MaxBatch {
		cfg.QueueSize = 4 * cfg.MaxBatch
	}
	cfg.Logger = loggerOrDefault(cfg.Logger)
	return cfg, nil
}

// BatcherStats counts what a [Batcher] has done since it started.
type BatcherStats struct {
	// Batches is the number of model calls, Items the number of inputs
	// they carried, Failed the number of calls that returned an error.
	Batches, Items, Failed int64
	// Dropped counts inputs the batcher held whose callers gave up before
	// their batch was sent to the model; they were never run.
	Dropped int64
	// LargestBatch is the most inputs seen in one call.
	LargestBatch int
	// RunTime is the total time spent in the runner's RunBatch.
	RunTime time.Duration
	// Lengths is the sum of the lengths of the inputs run, PaddedLengths
	// what the model computed: each batch's size times its longest input.
	// Both stay 0 without BatcherConfig.Length.
	Lengths, PaddedLengths int64
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

// PaddingEfficiency is Lengths/PaddedLengths: 1 when no batch needed
// padding, lower the more of the model's work was spent on padding; 1
// before the first batch and without BatcherConfig.Length.
func (s BatcherStats) PaddingEfficiency() float64 {
	if s.PaddedLengths == 0 {
		return 1
	}
	return float64(s.Lengths) / float64(s.PaddedLengths)
}

// Batcher turns concurrent single-input calls into batched model runs.
//
// One goroutine takes submitted inputs and runs a batch when it holds
// MaxBatch of them, when its oldest input has waited MaxWait, or when the
// Batcher is closing; it hands every caller its own row. Each runner runs
// one batch at a time; with several runners ([NewPooledBatcher]: sessions
// of one model) a batch goes to whichever is free, and the next batch is
// chosen only when one is: inputs submitted meanwhile wait for it. Which inputs
// run together is the Pick policy's choice: in arrival order, or, for
// inputs a model pads to the longest of a batch, the oldest with those
// closest to it in length. Under light load the batcher rarely holds more
// than MaxBatch inputs and batches are simply what came.
//
// The Batcher does not own its runners: close the Batcher first, then the
// runners.
type Batcher[In any] struct {
	runners []*runner[In]
	idle    chan *runner[In]  // the runners not running a batch
	cfg     BatcherConfig[In] // defaults applied
	clock   batchClock

	reqs      chan *request[In]
	quit      chan struct{} // closed by Close
	done      chan struct{} // closed when the loop has returned
	closeOnce sync.Once

	mu    sync.Mutex
	stats BatcherStats
}

// batchClock is where the batcher gets the time and its MaxWait timers;
// tests replace it.
type batchClock interface {
	Now() time.Time
	NewTimer(d time.Duration) batchTimer
}

// batchTimer is the part of *time.Timer the batcher uses.
type batchTimer interface {
	C() <-chan time.Time
	Stop() bool
}

type realClock struct{}

func (realClock) Now() time.Time                      { return time.Now() }
func (realClock) NewTimer(d time.Duration) batchTimer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time { return t.t.C }
func (t realTimer) Stop() bool          { return t.t.Stop() }

// The states of a request. A request is handed to the model only if the
// batcher moves it from queued to taken; a caller that gives up first moves
// it to abandoned, and the batcher then never passes its input on.
const (
	queued int32 = iota
	taken
	abandoned
)

// request is one Submit.
type request[In any] struct {
	ctx     context.Context
	in      In
	length  int       // cfg.Length(in), or 0 without it
	arrived time.Time // when the loop took it
	state   atomic.Int32
	resp    chan result // buffered: the batcher never blocks on a caller
}

type result struct {
	row []float32
	err error
}

// NewBatcher starts a batcher in front of r. Call Close to stop it. It
// fails with a [CodeConfig] error when r is nil, cfg.Pick is unknown, or
// PickNearestLength has no Length.
func NewBatcher[In any](r BatchRunner[In], cfg BatcherConfig[In]) (*Batcher[In], error) {
	return newBatcher([]BatchRunner[In]{r}, cfg, realClock{})
}

// NewPooledBatcher starts one batcher in front of several runners of the
// same model (sessions, each with its own intra-op threads): one queue, one
// Pick policy, and each batch run by whichever runner is free, so that up
// to len(rs) batches run at once. Inputs are checked with rs[0]; every
// runner must give rows of the same OutputDim. It fails with a
// [CodeConfig] error as NewBatcher does, and when rs is empty or the
// runners' OutputDims differ.
func NewPooledBatcher[In any](rs []BatchRunner[In], cfg BatcherConfig[In]) (*Batcher[In], error) {
	return newBatcher(rs, cfg, realClock{})
}

func newBatcher[In any](rs []BatchRunner[In], cfg BatcherConfig[In], clock batchClock) (*Batcher[In], error) {
	const op = "onnx.NewBatcher"
	if len(rs) == 0 {
		return nil, errorf(op, CodeConfig, "no BatchRunner")
	}
	for i, r := range rs {
		if r == nil {
			return nil, errorf(op, CodeConfig, "nil BatchRunner")
		}
		if d, d0 := r.OutputDim(), rs[0].OutputDim(); d != d0 {
			return nil, errorf(op, CodeConfig, "runner %d gives %d floats per row, runner 0 gives %d", i, d, d0)
		}
	}
	cfg, err := cfg.withDefaults(op)
	if err != nil {
		return nil, err
	}
	b := &Batcher[In]{
		idle:  make(chan *runner[In], len(rs)),
		cfg:   cfg,
		clock: clock,
		reqs:  make(chan *request[In]),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	for _, r := range rs {
		rn := &runner[In]{b: b, r: r, work: make(chan []*request[In], 1)}
		b.runners = append(b.runners, rn)
		b.idle <- rn
	}
	go b.loop()
	return b, nil
}

// Runners is the number of runners behind the batcher: the most batches
// it runs at once.
func (b *Batcher[In]) Runners() int { return len(b.runners) }

// Submit runs the model on one input as part of a batch and returns its
// row of OutputDim() floats. It is safe for concurrent use; that is the
// point.
//
// An input the runner's Check refuses fails at once and never reaches a
// batch, so it cannot fail anyone else's: with Check's error when that is
// an [*itemvec.Error], else with a [CodeInput] error wrapping it.
//
// If ctx ends before the row comes, Submit returns ctx.Err(). An input
// still queued is then dropped at once and never run. An input already
// handed to the model (RunBatch has been called with it) is the runner's
// until RunBatch returns, so Submit waits for that and drops the row: the
// runner never reads in after Submit returns, and the caller may reuse it
// at once. The batch goes on for the callers still waiting; once all of
// them have given up its context is cancelled, which stops the model
// early. A model error is returned, as it is, to every caller in the
// batch; a runner returning the wrong number or size of rows is a
// [CodeRuntime] error. After Close, Submit fails with a [CodeClosed] error
// wrapping [ErrClosed].
func (b *Batcher[In]) Submit(ctx context.Context, in In) ([]float32, error) {
	const op = "onnx.Batcher.Submit"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.runners[0].r.Check(in); err != nil {
		return nil, inputError(op, err)
	}
	req := &request[In]{ctx: ctx, in: in, resp: make(chan result, 1)}
	if b.cfg.Length != nil {
		req.length = b.cfg.Length(in)
	}
	select {
	case <-b.quit:
		return nil, closedError(op, "the batcher")
	default:
	}
	select {
	case b.reqs <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-b.quit:
		return nil, closedError(op, "the batcher")
	}
	select {
	case res := <-req.resp:
		if err := ctx.Err(); err != nil {
			return nil, err // ended before the row came, though noticed after
		}
		return res.row, res.err
	case <-ctx.Done():
		if !req.state.CompareAndSwap(queued, abandoned) && req.state.Load() == taken {
			<-req.resp // the runner may read in until RunBatch returns
		}
		return nil, ctx.Err()
	}
}

// Stats returns a snapshot of the counters.
func (b *Batcher[In]) Stats() BatcherStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// Close stops taking new inputs, runs the inputs already held without
// waiting for MaxWait, waits for the last batch to finish and returns.
// Submit calls made after Close fail. Close is idempotent.
func (b *Batcher[In]) Close() {
	b.closeOnce.Do(func() { close(b.quit) })
	<-b.done
}

// closing reports whether Close has been called.
func (b *Batcher[In]) closing() bool {
	select {
	case <-b.quit:
		return true
	default:
		return false
	}
}

// inputError is what Submit returns for an input Check refused: Check's
// error when it is classified, else a [CodeInput] error wrapping it.
func inputError(op string, err error) error {
	if _, ok := errors.AsType[*itemvec.Error](err); ok {
		return err
	}
	return newError(op, CodeInput, err)
}

// checkRows fails with a [CodeRuntime] error unless a runner returned n
// rows of dim floats.
func checkRows(out [][]float32, n, dim int) error {
	const op = "onnx.Batcher.Submit"
	if len(out) != n {
		return errorf(op, CodeRuntime, "runner returned %d rows for a batch of %d", len(out), n)
	}
	for i, row := range out {
		if len(row) != dim {
			return errorf(op, CodeRuntime, "runner returned %d floats for input %d; want %d", len(row), i, dim)
		}
	}
	return nil
}

func (b *Batcher[In]) countDropped() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stats.Dropped++
}

// A Session is a BatchRunner of image tensors, in either build.
var _ BatchRunner[[]float32] = (*Session)(nil)
