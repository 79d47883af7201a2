package onnx

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fake runner takes items of testItem floats, all equal to a marker
// value v, and returns rows [10v, 10v+1, 10v+2].
const (
	testItem = 2
	testDim  = 3
)

func item(v float32) []float32 { return []float32{v, v} }

func wantRow(v float32) []float32 { return []float32{10 * v, 10*v + 1, 10*v + 2} }

// echo computes the fake model's output for a batch.
func echo(input []float32, batch int) []float32 {
	out := make([]float32, 0, batch*testDim)
	for i := range batch {
		out = append(out, wantRow(input[i*testItem])...)
	}
	return out
}

// markers returns the marker value of each item in a batch.
func markers(input []float32) []float32 {
	var m []float32
	for i := 0; i < len(input); i += testItem {
		m = append(m, input[i])
	}
	return m
}

// runCall is one Run of manualRunner, waiting for the test's reply.
type runCall struct {
	ctx   context.Context
	input []float32
	batch int
	reply chan runReply
}

type runReply struct {
	out []float32
	err error
}

func (c runCall) echo()          { c.reply <- runReply{out: echo(c.input, c.batch)} }
func (c runCall) fail(err error) { c.reply <- runReply{err: err} }

// manualRunner hands every Run to the test on calls and returns what the
// test replies, so a test decides when a batch finishes.
type manualRunner struct{ calls chan runCall }

func newManualRunner() *manualRunner { return &manualRunner{calls: make(chan runCall)} }

func (r *manualRunner) Run(ctx context.Context, input []float32, batch int) ([]float32, error) {
	c := runCall{ctx: ctx, input: slices.Clone(input), batch: batch, reply: make(chan runReply)}
	r.calls <- c
	rep := <-c.reply
	return rep.out, rep.err
}

func (r *manualRunner) InputSize() int { return testItem }
func (r *manualRunner) OutputDim() int { return testDim }

// echoRunner answers every Run at once and records the batch sizes.
type echoRunner struct {
	mu      sync.Mutex
	batches []int
}

func (r *echoRunner) Run(_ context.Context, input []float32, batch int) ([]float32, error) {
	r.mu.Lock()
	r.batches = append(r.batches, batch)
	r.mu.Unlock()
	return echo(input, batch), nil
}

func (r *echoRunner) InputSize() int { return testItem }
func (r *echoRunner) OutputDim() int { return testDim }

// fakeTimers replaces the MaxWait timer: every timer the batcher starts is
// sent on armed (so the test knows the batcher holds the first item of a
// batch) and fires only when the test calls fire.
type fakeTimers struct {
	armed chan *fakeTimer
}

type fakeTimer struct {
	d        time.Duration
	c        chan time.Time
	stopped  chan struct{} // closed when the batcher stops waiting on it
	stopOnce sync.Once
}

func newFakeTimers() *fakeTimers { return &fakeTimers{armed: make(chan *fakeTimer, 64)} }

func (f *fakeTimers) newTimer(d time.Duration) batchTimer {
	t := &fakeTimer{d: d, c: make(chan time.Time, 1), stopped: make(chan struct{})}
	f.armed <- t
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }
func (t *fakeTimer) Stop() bool {
	t.stopOnce.Do(func() { close(t.stopped) })
	return true
}
func (t *fakeTimer) fire() { t.c <- time.Now() }

// submitted is the outcome of one Submit run in the background.
type submitted struct {
	row []float32
	err error
}

func submitAsync(ctx context.Context, b *Batcher, input []float32) <-chan submitted {
	ch := make(chan submitted, 1)
	go func() {
		row, err := b.Submit(ctx, input)
		ch <- submitted{row, err}
	}()
	return ch
}

func wantSubmitRow(t *testing.T, ch <-chan submitted, v float32) {
	t.Helper()
	res := <-ch
	if res.err != nil {
		t.Fatalf("item %v: Submit: %v", v, res.err)
	}
	if !slices.Equal(res.row, wantRow(v)) {
		t.Fatalf("item %v: got row %v, want %v", v, res.row, wantRow(v))
	}
}

func TestBatcherRowsGoToTheirCallers(t *testing.T) {
	tests := []struct {
		name     string
		maxBatch int
		callers  int
	}{
		{"one at a time", 1, 10},
		{"single caller", 4, 1},
		{"uneven batches", 4, 37},
		{"default batch size", 0, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &echoRunner{}
			b := NewBatcher(r, BatcherConfig{MaxBatch: tt.maxBatch, MaxWait: time.Millisecond, Logger: quietLogger()})
			var wg sync.WaitGroup
			for i := range tt.callers {
				wg.Go(func() {
					v := float32(i)
					row, err := b.Submit(t.Context(), item(v))
					if err != nil {
						t.Errorf("item %d: %v", i, err)
						return
					}
					if !slices.Equal(row, wantRow(v)) {
						t.Errorf("item %d: got row %v, want %v", i, row, wantRow(v))
					}
					// A caller appending to its row must not touch another's.
					_ = append(row, -1)
				})
			}
			wg.Wait()
			b.Close()
			checkBatches(t, "items", r.batches, tt.maxBatch, tt.callers, b.Stats())
		})
	}
}

// checkBatches fails unless the runner saw the callers' items (or texts),
// each once, in batches of 1 to maxBatch (0: DefaultMaxBatch) and the
// stats agree.
func checkBatches(t *testing.T, what string, batches []int, maxBatch, callers int, st BatcherStats) {
	t.Helper()
	limit := maxBatch
	if limit == 0 {
		limit = DefaultMaxBatch
	}
	total := 0
	for _, n := range batches {
		if n < 1 || n > limit {
			t.Errorf("batch of %d %s; MaxBatch is %d", n, what, limit)
		}
		total += n
	}
	if total != callers || st.Items != int64(callers) || st.Batches != int64(len(batches)) || st.LargestBatch > limit {
		t.Errorf("runner saw %d %s in %v; stats %+v; want %d %s", total, what, batches, st, callers, what)
	}
}

func TestBatcherRunsFullBatchWithoutWaiting(t *testing.T) {
	r, timers := newManualRunner(), newFakeTimers() // timers never fire here
	b := newBatcher(r, BatcherConfig{MaxBatch: 4, Logger: quietLogger()}, timers.newTimer)
	var results []<-chan submitted
	for v := range 4 {
		results = append(results, submitAsync(t.Context(), b, item(float32(v))))
	}
	c := <-r.calls
	if c.batch != 4 {
		t.Fatalf("batch of %d, want 4", c.batch)
	}
	if got := markers(c.input); !slices.Equal(slices.Sorted(slices.Values(got)), []float32{0, 1, 2, 3}) {
		t.Fatalf("batch holds items %v, want 0..3", got)
	}
	c.echo()
	for v, ch := range results {
		wantSubmitRow(t, ch, float32(v))
	}
	b.Close()
	if st := b.Stats(); st.Batches != 1 || st.Items != 4 || st.MeanBatchSize() != 4 || st.LargestBatch != 4 || st.Failed != 0 {
		t.Errorf("stats %+v after one batch of 4", st)
	}
}

func TestBatcherFlushesAfterMaxWait(t *testing.T) {
	r, timers := newManualRunner(), newFakeTimers()
	b := newBatcher(r, BatcherConfig{MaxBatch: 8, MaxWait: 7 * time.Millisecond, Logger: quietLogger()}, timers.newTimer)
	defer b.Close()
	res := submitAsync(t.Context(), b, item(5))
	timer := <-timers.armed
	if timer.d != 7*time.Millisecond {
		t.Errorf("timer set for %v, want MaxWait 7ms", timer.d)
	}
	timer.fire()
	c := <-r.calls
	if c.batch != 1 || markers(c.input)[0] != 5 {
		t.Fatalf("got batch %v, want the single item 5", markers(c.input))
	}
	c.echo()
	wantSubmitRow(t, res, 5)
}

func TestBatcherSkipsCallersWhoGaveUp(t *testing.T) {
	t.Run("pruned to make room", func(t *testing.T) {
		r, timers := newManualRunner(), newFakeTimers() // timers never fire here
		b := newBatcher(r, BatcherConfig{MaxBatch: 2, Logger: quietLogger()}, timers.newTimer)
		defer b.Close()
		ctx, cancel := context.WithCancel(t.Context())
		gone := submitAsync(ctx, b, item(1))
		<-timers.armed // item 1 is queued
		cancel()
		if res := <-gone; !errors.Is(res.err, context.Canceled) {
			t.Fatalf("cancelled Submit = %v, want context.Canceled", res.err)
		}
		second := submitAsync(t.Context(), b, item(2))
		third := submitAsync(t.Context(), b, item(3))
		c := <-r.calls
		if got := slices.Sorted(slices.Values(markers(c.input))); !slices.Equal(got, []float32{2, 3}) {
			t.Fatalf("batch holds items %v, want 2 and 3 only", got)
		}
		c.echo()
		wantSubmitRow(t, second, 2)
		wantSubmitRow(t, third, 3)
		if st := b.Stats(); st.Dropped != 1 {
			t.Errorf("Dropped = %d, want 1", st.Dropped)
		}
	})
	t.Run("dropped at dispatch", func(t *testing.T) {
		r, timers := newManualRunner(), newFakeTimers()
		b := newBatcher(r, BatcherConfig{MaxBatch: 4, Logger: quietLogger()}, timers.newTimer)
		defer b.Close()
		ctx, cancel := context.WithCancel(t.Context())
		gone := submitAsync(ctx, b, item(1))
		first := <-timers.armed
		cancel()
		if res := <-gone; !errors.Is(res.err, context.Canceled) {
			t.Fatalf("cancelled Submit = %v, want context.Canceled", res.err)
		}
		first.fire()
		<-first.stopped // the batcher has moved on from item 1's batch
		next := submitAsync(t.Context(), b, item(2))
		(<-timers.armed).fire()
		c := <-r.calls // the first call: item 1's batch never ran
		if got := markers(c.input); !slices.Equal(got, []float32{2}) {
			t.Fatalf("first model call holds items %v, want [2]", got)
		}
		c.echo()
		wantSubmitRow(t, next, 2)
		if st := b.Stats(); st.Dropped != 1 {
			t.Errorf("Dropped = %d, want 1", st.Dropped)
		}
	})
}

func TestBatcherCallerGivesUpDuringRun(t *testing.T) {
	r, timers := newManualRunner(), newFakeTimers()
	b := newBatcher(r, BatcherConfig{MaxBatch: 2, Logger: quietLogger()}, timers.newTimer)
	defer b.Close()
	ctx, cancel := context.WithCancel(t.Context())
	gone := submitAsync(ctx, b, item(1))
	stays := submitAsync(t.Context(), b, item(2))
	c := <-r.calls
	cancel()
	if res := <-gone; !errors.Is(res.err, context.Canceled) {
		t.Fatalf("cancelled Submit = %v, want context.Canceled while its batch runs", res.err)
	}
	if err := c.ctx.Err(); err != nil {
		t.Fatalf("batch context ended (%v) though one caller still waits", err)
	}
	c.echo()
	wantSubmitRow(t, stays, 2)
}

func TestBatcherCancelsRunWhenEveryCallerGivesUp(t *testing.T) {
	r, timers := newManualRunner(), newFakeTimers()
	b := newBatcher(r, BatcherConfig{MaxBatch: 1, Logger: quietLogger()}, timers.newTimer)
	ctx, cancel := context.WithCancel(t.Context())
	gone := submitAsync(ctx, b, item(1))
	c := <-r.calls
	cancel()
	<-c.ctx.Done()
	c.fail(c.ctx.Err())
	if res := <-gone; !errors.Is(res.err, context.Canceled) {
		t.Fatalf("Submit = %v, want context.Canceled", res.err)
	}
	b.Close()
	if st := b.Stats(); st.Batches != 1 || st.Failed != 1 {
		t.Errorf("stats %+v, want one failed batch", st)
	}
}

func TestBatcherErrorsReachEveryCaller(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name      string
		reply     runReply
		check     func(error) bool
		retryable bool
	}{
		{"runner error", runReply{err: boom}, func(err error) bool { return errors.Is(err, boom) }, false},
		{"typed runtime error", runReply{err: &Error{Op: "test", Kind: KindRuntime, Err: boom}}, func(err error) bool { return errors.Is(err, boom) }, true},
		{"short output", runReply{out: make([]float32, 3*testDim-1)}, func(err error) bool {
			var e *Error
			return errors.As(err, &e) && e.Kind == KindRuntime && strings.Contains(e.Error(), "8 floats for a batch of 3×3")
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, timers := newManualRunner(), newFakeTimers()
			b := newBatcher(r, BatcherConfig{MaxBatch: 3, Logger: quietLogger()}, timers.newTimer)
			defer b.Close()
			var results []<-chan submitted
			for v := range 3 {
				results = append(results, submitAsync(t.Context(), b, item(float32(v))))
			}
			(<-r.calls).reply <- tt.reply
			for _, ch := range results {
				res := <-ch
				if res.row != nil || !tt.check(res.err) {
					t.Fatalf("caller got row %v, error %v", res.row, res.err)
				}
				var e interface{ Retryable() bool }
				if retryable := errors.As(res.err, &e) && e.Retryable(); retryable != tt.retryable {
					t.Errorf("error %v: retryable = %v, want %v", res.err, retryable, tt.retryable)
				}
			}
		})
	}
}

func TestBatcherRejectsBadInput(t *testing.T) {
	r := &echoRunner{}
	b := NewBatcher(r, BatcherConfig{Logger: quietLogger()})
	defer b.Close()
	_, err := b.Submit(t.Context(), []float32{1, 2, 3})
	if e := assertKind(t, err, KindInput); e.Retryable() {
		t.Error("an input error must not be retryable")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := b.Submit(ctx, item(1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit with a cancelled ctx = %v, want context.Canceled", err)
	}
	if len(r.batches) != 0 {
		t.Errorf("runner called with %v", r.batches)
	}
}

func TestBatcherClose(t *testing.T) {
	t.Run("submit after close", func(t *testing.T) {
		b := NewBatcher(&echoRunner{}, BatcherConfig{Logger: quietLogger()})
		b.Close()
		b.Close() // idempotent
		_, err := b.Submit(t.Context(), item(1))
		if e := assertKind(t, err, KindClosed); !errors.Is(err, ErrClosed) || !e.Retryable() {
			t.Fatalf("Submit after Close = %v; want a retryable ErrClosed", err)
		}
	})
	t.Run("waits for the running batch", func(t *testing.T) {
		r, timers := newManualRunner(), newFakeTimers()
		b := newBatcher(r, BatcherConfig{MaxBatch: 1, Logger: quietLogger()}, timers.newTimer)
		res := submitAsync(t.Context(), b, item(4))
		c := <-r.calls
		closed := make(chan struct{})
		go func() {
			b.Close()
			close(closed)
		}()
		select {
		case <-closed:
			t.Fatal("Close returned while a batch was running")
		default:
		}
		c.echo()
		<-closed
		wantSubmitRow(t, res, 4)
	})
	t.Run("runs queued items without waiting", func(t *testing.T) {
		r, timers := newManualRunner(), newFakeTimers() // timers never fire here
		b := newBatcher(r, BatcherConfig{MaxBatch: 4, Logger: quietLogger()}, timers.newTimer)
		res := submitAsync(t.Context(), b, item(6))
		<-timers.armed
		closed := make(chan struct{})
		go func() {
			b.Close()
			close(closed)
		}()
		c := <-r.calls
		if got := markers(c.input); !slices.Equal(got, []float32{6}) {
			t.Fatalf("batch holds %v, want [6]", got)
		}
		c.echo()
		<-closed
		wantSubmitRow(t, res, 6)
	})
}

func BenchmarkBatcherSubmit(b *testing.B) {
	bt := NewBatcher(&echoRunner{}, BatcherConfig{MaxBatch: 16, MaxWait: 100 * time.Microsecond, Logger: quietLogger()})
	defer bt.Close()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := bt.Submit(context.Background(), item(1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
