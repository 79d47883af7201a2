package onnx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itemvec/itemvec"
)

// One suite for the Batcher, run against both Pick policies. Its inputs
// are []int64 of 1 to testMaxLen values whose first is a marker v; the
// fake runners return, for an input, the row [v, its length].
const (
	testDim    = 2
	testMaxLen = 64
)

// input returns an input of length values whose first is the marker v.
func input(v int64, length int) []int64 {
	in := make([]int64, length)
	in[0] = v
	return in
}

func inputLength(in []int64) int { return len(in) }

func wantRow(v int64, length int) []float32 { return []float32{float32(v), float32(length)} }

// echo computes the fake model's rows for a batch.
func echo(ins [][]int64) [][]float32 {
	// Rows cut from one buffer, as a session's output tensor gives them:
	// each row's capacity runs on into the next one's.
	flat := make([]float32, 0, len(ins)*testDim)
	out := make([][]float32, len(ins))
	for i, in := range ins {
		at := len(flat)
		flat = append(flat, wantRow(in[0], len(in))...)
		out[i] = flat[at:len(flat)]
	}
	return out
}

// markersOf returns the marker of each input.
func markersOf(ins [][]int64) []int64 {
	m := make([]int64, len(ins))
	for i, in := range ins {
		m[i] = in[0]
	}
	return m
}

// checkInput is the fake runners' Check: 1 to testMaxLen values, none
// negative.
func checkInput(in []int64) error {
	switch {
	case len(in) == 0:
		return errors.New("no values")
	case len(in) > testMaxLen:
		return fmt.Errorf("%d values; the model takes at most %d", len(in), testMaxLen)
	case slices.ContainsFunc(in, func(v int64) bool { return v < 0 }):
		return errors.New("a value is negative")
	}
	return nil
}

// policy is one Pick policy with the config it needs.
type policy struct {
	name   string
	pick   Pick
	length func([]int64) int
}

// policies are what the suite runs against: arrival order without
// lengths (as for images) and nearest length (as for texts).
var policies = []policy{
	{"arrival", PickArrival, nil},
	{"nearest length", PickNearestLength, inputLength},
}

// config returns cfg with p's policy and a quiet logger.
func (p policy) config(cfg BatcherConfig[[]int64]) BatcherConfig[[]int64] {
	cfg.Pick, cfg.Length, cfg.Logger = p.pick, p.length, quietLogger()
	return cfg
}

// forEachPolicy runs test once per policy, as a subtest.
func forEachPolicy(t *testing.T, test func(t *testing.T, p policy)) {
	t.Helper()
	for _, p := range policies {
		t.Run(p.name, func(t *testing.T) { test(t, p) })
	}
}

// runCall is one RunBatch of manualRunner, waiting for the test's reply.
type runCall struct {
	ctx     context.Context
	ins     [][]int64 // the inputs RunBatch was given (not copies)
	markers []int64   // their markers when RunBatch was called
	reply   chan runReply
}

type runReply struct {
	out [][]float32
	err error
}

func (c runCall) echo()          { c.reply <- runReply{out: echo(c.ins)} }
func (c runCall) fail(err error) { c.reply <- runReply{err: err} }

// sortedMarkers returns the markers of the call's inputs, sorted.
func (c runCall) sortedMarkers() []int64 { return slices.Sorted(slices.Values(c.markers)) }

// manualRunner hands every RunBatch to the test on calls and returns what
// the test replies, so a test decides when a batch finishes.
type manualRunner struct{ calls chan runCall }

func newManualRunner() *manualRunner { return &manualRunner{calls: make(chan runCall)} }

func (r *manualRunner) Check(in []int64) error { return checkInput(in) }
func (r *manualRunner) OutputDim() int         { return testDim }

func (r *manualRunner) RunBatch(ctx context.Context, ins [][]int64) ([][]float32, error) {
	c := runCall{ctx: ctx, ins: slices.Clone(ins), markers: markersOf(ins), reply: make(chan runReply)}
	r.calls <- c
	rep := <-c.reply
	return rep.out, rep.err
}

// echoRunner answers every RunBatch at once and records the batch sizes.
type echoRunner struct {
	mu      sync.Mutex
	batches []int
}

func (r *echoRunner) Check(in []int64) error { return checkInput(in) }
func (r *echoRunner) OutputDim() int         { return testDim }

func (r *echoRunner) RunBatch(_ context.Context, ins [][]int64) ([][]float32, error) {
	r.mu.Lock()
	r.batches = append(r.batches, len(ins))
	r.mu.Unlock()
	return echo(ins), nil
}

// refusingRunner refuses every input with err.
type refusingRunner struct{ err error }

func (r refusingRunner) Check([]int64) error { return r.err }
func (r refusingRunner) OutputDim() int      { return testDim }
func (r refusingRunner) RunBatch(context.Context, [][]int64) ([][]float32, error) {
	return nil, errors.New("RunBatch called")
}

// fakeClock replaces the batcher's clock: time stands still, and every
// MaxWait timer the batcher starts is sent on armed (so the test knows the
// batcher holds the oldest input of a batch) and fires only when the test
// calls fire.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	armed chan *fakeTimer
}

type fakeTimer struct {
	d        time.Duration
	c        chan time.Time
	stopped  chan struct{} // closed when the batcher stops waiting on it
	stopOnce sync.Once
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), armed: make(chan *fakeTimer, 64)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// advance moves the clock forward by d.
func (f *fakeClock) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func (f *fakeClock) NewTimer(d time.Duration) batchTimer {
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

// newTestBatcher starts a batcher with p's policy in front of r on a fake
// clock whose timers fire only when the test says so.
func newTestBatcher(t *testing.T, r BatchRunner[[]int64], p policy, cfg BatcherConfig[[]int64]) (*Batcher[[]int64], *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	b, err := newBatcher([]BatchRunner[[]int64]{r}, p.config(cfg), clock)
	if err != nil {
		t.Fatalf("newBatcher: %v", err)
	}
	return b, clock
}

// startBatcher starts a batcher with p's policy in front of r on the real
// clock, closed when the test ends.
func startBatcher(t *testing.T, r BatchRunner[[]int64], p policy, cfg BatcherConfig[[]int64]) *Batcher[[]int64] {
	t.Helper()
	b, err := NewBatcher(r, p.config(cfg))
	if err != nil {
		t.Fatalf("NewBatcher: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}

// submitted is the outcome of one Submit run in the background.
type submitted struct {
	row []float32
	err error
}

func submitAsync(ctx context.Context, b *Batcher[[]int64], in []int64) <-chan submitted {
	ch := make(chan submitted, 1)
	go func() {
		row, err := b.Submit(ctx, in)
		ch <- submitted{row, err}
	}()
	return ch
}

func wantSubmitRow(t *testing.T, ch <-chan submitted, v int64, length int) {
	t.Helper()
	res := <-ch
	if res.err != nil {
		t.Fatalf("input %d: Submit: %v", v, res.err)
	}
	if want := wantRow(v, length); !slices.Equal(res.row, want) {
		t.Fatalf("input %d: got row %v, want %v", v, res.row, want)
	}
}

func wantCanceled(t *testing.T, ch <-chan submitted) {
	t.Helper()
	if res := <-ch; !errors.Is(res.err, context.Canceled) || res.row != nil {
		t.Fatalf("cancelled Submit = %v, %v; want no row and context.Canceled", res.row, res.err)
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
	forEachPolicy(t, func(t *testing.T, p policy) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := &echoRunner{}
				b, err := NewBatcher(r, p.config(BatcherConfig[[]int64]{MaxBatch: tt.maxBatch, MaxWait: time.Millisecond}))
				if err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				rows := make([][]float32, tt.callers)
				for i := range tt.callers {
					wg.Go(func() {
						length := 1 + i%testMaxLen
						row, err := b.Submit(t.Context(), input(int64(i), length))
						if err != nil {
							t.Errorf("input %d: %v", i, err)
							return
						}
						if want := wantRow(int64(i), length); !slices.Equal(row, want) {
							t.Errorf("input %d: got row %v, want %v", i, row, want)
						}
						rows[i] = row
					})
				}
				wg.Wait()
				// A caller appending to its row must not touch another's:
				// rows cut from one batch output with spare capacity would
				// overwrite their neighbours' first values.
				for _, row := range rows {
					_ = append(row, -1)
				}
				for i, row := range rows {
					if want := wantRow(int64(i), 1+i%testMaxLen); row != nil && !slices.Equal(row, want) {
						t.Errorf("input %d: row %v after the other callers appended to theirs, want %v", i, row, want)
					}
				}
				b.Close()
				checkBatches(t, r.batches, tt.maxBatch, tt.callers, b.Stats())
			})
		}
	})
}

// checkBatches fails unless the runner saw the callers' inputs, each once,
// in batches of 1 to maxBatch (0: DefaultMaxBatch) and the stats agree.
func checkBatches(t *testing.T, batches []int, maxBatch, callers int, st BatcherStats) {
	t.Helper()
	limit := maxBatch
	if limit == 0 {
		limit = DefaultMaxBatch
	}
	total := 0
	for _, n := range batches {
		if n < 1 || n > limit {
			t.Errorf("batch of %d inputs; MaxBatch is %d", n, limit)
		}
		total += n
	}
	if total != callers || st.Items != int64(callers) || st.Batches != int64(len(batches)) || st.LargestBatch > limit {
		t.Errorf("runner saw %d inputs in %v; stats %+v; want %d inputs", total, batches, st, callers)
	}
}

func TestBatcherRunsFullBatchWithoutWaiting(t *testing.T) {
	forEachPolicy(t, func(t *testing.T, p policy) {
		r := newManualRunner()
		b, _ := newTestBatcher(t, r, p, BatcherConfig[[]int64]{MaxBatch: 3}) // timers never fire here
		var results []<-chan submitted
		for v := range 3 {
			results = append(results, submitAsync(t.Context(), b, input(int64(v), 2+v)))
		}
		c := <-r.calls
		if got := c.sortedMarkers(); !slices.Equal(got, []int64{0, 1, 2}) {
			t.Fatalf("batch holds inputs %v, want 0..2", got)
		}
		c.echo()
		for v, ch := range results {
			wantSubmitRow(t, ch, int64(v), 2+v)
		}
		b.Close()
		st := b.Stats()
		if st.Batches != 1 || st.Items != 3 || st.MeanBatchSize() != 3 || st.LargestBatch != 3 || st.Failed != 0 {
			t.Errorf("stats %+v after one batch of 3", st)
		}
		// Lengths and padding are counted only with a Length function.
		wantLengths, wantPadded, wantEfficiency := int64(0), int64(0), 1.0
		if p.length != nil {
			wantLengths, wantPadded, wantEfficiency = 2+3+4, 3*4, 9.0/12
		}
		if st.Lengths != wantLengths || st.PaddedLengths != wantPadded || st.PaddingEfficiency() != wantEfficiency {
			t.Errorf("stats %+v, efficiency %v after one batch of lengths 2, 3, 4; want %d, %d, %v",
				st, st.PaddingEfficiency(), wantLengths, wantPadded, wantEfficiency)
		}
	})
}

func TestBatcherFlushesAfterMaxWait(t *testing.T) {
	forEachPolicy(t, func(t *testing.T, p policy) {
		r := newManualRunner()
		b, clock := newTestBatcher(t, r, p, BatcherConfig[[]int64]{MaxBatch: 8, MaxWait: 7 * time.Millisecond})
		defer b.Close()
		res := submitAsync(t.Context(), b, input(5, 3))
		timer := <-clock.armed
		if timer.d != 7*time.Millisecond {
			t.Errorf("timer set for %v, want MaxWait 7ms", timer.d)
		}
		timer.fire()
		c := <-r.calls
		if !slices.Equal(c.markers, []int64{5}) {
			t.Fatalf("got batch %v, want the single input 5", c.markers)
		}
		c.echo()
		wantSubmitRow(t, res, 5, 3)
	})
}

// TestBatcherObserve checks what Observe is told of each model call: size,
// fill, how long the oldest input waited, run time and error.
func TestBatcherObserve(t *testing.T) {
	forEachPolicy(t, func(t *testing.T, p policy) {
		r := newManualRunner()
		seen := make(chan BatchInfo, 4)
		b, clock := newTestBatcher(t, r, p, BatcherConfig[[]int64]{
			MaxBatch: 4, MaxWait: 7 * time.Millisecond,
			Observe: func(i BatchInfo) { seen <- i },
		})
		defer b.Close()

		// One input flushed by its MaxWait: a quarter full, waited 7ms.
		res := submitAsync(t.Context(), b, input(5, 3))
		timer := <-clock.armed
		clock.advance(7 * time.Millisecond)
		timer.fire()
		c := <-r.calls
		clock.advance(2 * time.Millisecond) // the run takes 2ms
		c.echo()
		wantSubmitRow(t, res, 5, 3)
		got := <-seen
		got.CPU = 0 // the test's runner waits; its CPU is noise
		want := BatchInfo{Size: 1, MaxBatch: 4, Wait: 7 * time.Millisecond, Run: 2 * time.Millisecond}
		if p.length != nil {
			want.Longest, want.Lengths = 3, 3
		}
		if got != want || got.Fill() != 0.25 {
			t.Fatalf("Observe got %+v (fill %v), want %+v (fill 0.25)", got, got.Fill(), want)
		}

		// A failed call is observed with its error.
		boom := errors.New("boom")
		res = submitAsync(t.Context(), b, input(6, 2))
		(<-clock.armed).fire()
		(<-r.calls).fail(boom)
		if r := <-res; r.err == nil {
			t.Fatal("Submit succeeded, want the batch error")
		}
		if got := <-seen; got.Size != 1 || !errors.Is(got.Err, boom) {
			t.Fatalf("Observe got %+v, want size 1 and the run's error", got)
		}
	})
}

// TestGroupByLength checks which inputs PickNearestLength runs together
// when the batcher holds more than MaxBatch.
func TestGroupByLength(t *testing.T) {
	tests := []struct {
		name    string
		lengths []int // oldest first
		n       int
		want    []int // indexes chosen
	}{
		{"oldest short", []int{3, 50, 4, 60, 2, 55}, 3, []int{0, 2, 4}},
		{"oldest long", []int{50, 3, 4, 60, 2, 55}, 3, []int{0, 3, 5}},
		{"oldest in the middle", []int{20, 3, 19, 60, 21, 55, 2}, 3, []int{0, 2, 4}},
		{"ties keep arrival order", []int{5, 5, 5, 5, 5}, 2, []int{0, 1}},
		{"one at a time", []int{9, 1, 2}, 1, []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chosen := groupByLength(tt.lengths, tt.n)
			var got []int
			for i, c := range chosen {
				if c {
					got = append(got, i)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("groupByLength(%v, %d) chose %v, want %v", tt.lengths, tt.n, got, tt.want)
			}
		})
	}
}

// pickBatcher is a Batcher with p's policy whose loop is not running, for
// calling pick directly.
func pickBatcher(t *testing.T, p policy, maxBatch int) *Batcher[[]int64] {
	t.Helper()
	cfg, err := p.config(BatcherConfig[[]int64]{MaxBatch: maxBatch}).withDefaults("test")
	if err != nil {
		t.Fatal(err)
	}
	return &Batcher[[]int64]{cfg: cfg}
}

// queueOf returns the requests for inputs of the given lengths, oldest
// first, marked 1, 2, …, as Submit would make them.
func queueOf(ctx context.Context, p policy, lengths []int) []*request[[]int64] {
	var queue []*request[[]int64]
	for i, n := range lengths {
		req := &request[[]int64]{ctx: ctx, in: input(int64(i+1), n)}
		if p.length != nil {
			req.length = p.length(req.in)
		}
		queue = append(queue, req)
	}
	return queue
}

// TestBatcherPick checks how a batcher holding more than MaxBatch inputs
// splits them into the next batch and the rest.
func TestBatcherPick(t *testing.T) {
	lengths := []int{40, 3, 41, 4, 42, 5} // inputs 1..6, oldest first
	arrival, nearest := policies[0], policies[1]
	tests := []struct {
		name      string
		policy    policy
		gaveUp    int64 // marker of a caller who gave up, or 0
		wantBatch []int64
		wantRest  []int64
	}{
		{"grouped around the oldest", nearest, 0, []int64{1, 3, 5}, []int64{2, 4, 6}},
		{"arrival order", arrival, 0, []int64{1, 2, 3}, []int64{4, 5, 6}},
		{"oldest gave up", nearest, 1, []int64{2, 4, 6}, []int64{3, 5}},
		{"oldest gave up, arrival order", arrival, 1, []int64{2, 3, 4}, []int64{5, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := pickBatcher(t, tt.policy, 3)
			gone, cancel := context.WithCancel(t.Context())
			cancel()
			queue := queueOf(t.Context(), tt.policy, lengths)
			if tt.gaveUp > 0 {
				queue[tt.gaveUp-1].ctx = gone
			}
			batch, rest := b.pick(queue)
			markers := func(reqs []*request[[]int64]) []int64 {
				var m []int64
				for _, req := range reqs {
					m = append(m, req.in[0])
				}
				return m
			}
			if !slices.Equal(markers(batch), tt.wantBatch) || !slices.Equal(markers(rest), tt.wantRest) {
				t.Fatalf("pick = %v + %v, want %v + %v", markers(batch), markers(rest), tt.wantBatch, tt.wantRest)
			}
			if wantDropped := min(tt.gaveUp, 1); b.Stats().Dropped != wantDropped {
				t.Errorf("Dropped = %d, want %d", b.Stats().Dropped, wantDropped)
			}
		})
	}
}

// TestBatcherPaddingEfficiency runs the pick of each policy over a long
// stream of inputs of mixed lengths, the batcher always holding QueueSize
// of them (a batcher under load), and compares the padding the model would
// compute: grouping by length must waste much less of it.
func TestBatcherPaddingEfficiency(t *testing.T) {
	const maxBatch, queueSize, total = 16, 64, 4096
	r := rand.New(rand.NewPCG(1, 2))
	lengths := make([]int, total)
	for i := range lengths {
		lengths[i] = 4 + r.IntN(testMaxLen-4) // a mix of short and long texts
	}
	efficiency := make(map[Pick]float64)
	for _, p := range policies {
		b := pickBatcher(t, p, maxBatch)
		lengthOf := p.length
		if lengthOf == nil {
			lengthOf = inputLength
		}
		stream := queueOf(t.Context(), policy{pick: p.pick, length: lengthOf}, lengths)
		var queue []*request[[]int64]
		var lengthSum, padded int
		for len(stream) > 0 || len(queue) > 0 {
			take := min(queueSize-len(queue), len(stream))
			queue, stream = append(queue, stream[:take]...), stream[take:]
			var batch []*request[[]int64]
			batch, queue = b.pick(queue)
			longest := 0
			for _, req := range batch {
				lengthSum += req.length
				longest = max(longest, req.length)
			}
			padded += len(batch) * longest
		}
		efficiency[p.pick] = float64(lengthSum) / float64(padded)
	}
	arrival, nearest := efficiency[PickArrival], efficiency[PickNearestLength]
	t.Logf("padding efficiency: arrival %.2f, nearest length %.2f", arrival, nearest)
	if arrival > 0.65 || nearest < 0.8 || nearest < arrival+0.2 {
		t.Errorf("padding efficiency: arrival %.2f, nearest length %.2f; want grouping by length to waste much less", arrival, nearest)
	}
}

func TestBatcherSkipsCallersWhoGaveUp(t *testing.T) {
	forEachPolicy(t, func(t *testing.T, p policy) {
		t.Run("pruned to make room", func(t *testing.T) {
			r := newManualRunner()
			b, clock := newTestBatcher(t, r, p, BatcherConfig[[]int64]{MaxBatch: 2}) // timers never fire here
			defer b.Close()
			ctx, cancel := context.WithCancel(t.Context())
			gone := submitAsync(ctx, b, input(1, 2))
			<-clock.armed // input 1 is queued
			cancel()
			wantCanceled(t, gone)
			second := submitAsync(t.Context(), b, input(2, 2))
			third := submitAsync(t.Context(), b, input(3, 2))
			c := <-r.calls
			if got := c.sortedMarkers(); !slices.Equal(got, []int64{2, 3}) {
				t.Fatalf("batch holds inputs %v, want 2 and 3 only", got)
			}
			c.echo()
			wantSubmitRow(t, second, 2, 2)
			wantSubmitRow(t, third, 3, 2)
			if st := b.Stats(); st.Dropped != 1 {
				t.Errorf("Dropped = %d, want 1", st.Dropped)
			}
		})
		t.Run("dropped at dispatch", func(t *testing.T) {
			r := newManualRunner()
			b, clock := newTestBatcher(t, r, p, BatcherConfig[[]int64]{MaxBatch: 4})
			defer b.Close()
			ctx, cancel := context.WithCancel(t.Context())
			gone := submitAsync(ctx, b, input(1, 2))
			first := <-clock.armed
			cancel()
			wantCanceled(t, gone)
			first.fire()
			<-first.stopped // the batcher has moved on from input 1's batch
			next := submitAsync(t.Context(), b, input(2, 2))
			(<-clock.armed).fire()
			c := <-r.calls // the first call: input 1's batch never ran
			if !slices.Equal(c.markers, []int64{2}) {
				t.Fatalf("first model call holds inputs %v, want [2]", c.markers)
			}
			c.echo()
			wantSubmitRow(t, next, 2, 2)
			if st := b.Stats(); st.Dropped != 1 {
				t.Errorf("Dropped = %d, want 1", st.Dropped)
			}
		})
	})
}

// TestBatcherCallerGivesUpDuringRun checks a caller whose ctx ends once
// its input is with the model: the others' run goes on, and Submit returns
// only once RunBatch has, so the caller may reuse its input at once.
func TestBatcherCallerGivesUpDuringRun(t *testing.T) {
	forEachPolicy(t, func(t *testing.T, p policy) {
		r := newManualRunner()
		b, _ := newTestBatcher(t, r, p, BatcherConfig[[]int64]{MaxBatch: 2})
		defer b.Close()
		ctx, cancel := context.WithCancel(t.Context())
		in := input(1, 3)
		gone := make(chan submitted, 1)
		go func() {
			row, err := b.Submit(ctx, in)
			in[0] = 99 // the caller may reuse its input once Submit returns
			gone <- submitted{row, err}
		}()
		stays := submitAsync(t.Context(), b, input(2, 3))
		c := <-r.calls
		cancel()
		select { // a Submit that returned early would do so at once
		case res := <-gone:
			t.Fatalf("Submit returned (%v) while RunBatch still had its input", res.err)
		case <-time.After(50 * time.Millisecond):
		}
		if err := c.ctx.Err(); err != nil {
			t.Fatalf("batch context ended (%v) though one caller still waits", err)
		}
		if got := markersOf(c.ins); !slices.Equal(got, c.markers) || !slices.Equal(c.sortedMarkers(), []int64{1, 2}) {
			t.Fatalf("batch holds %v, was %v when RunBatch was called; want 1 and 2 throughout", got, c.markers)
		}
		c.echo()
		wantCanceled(t, gone)
		wantSubmitRow(t, stays, 2, 3)
	})
}

func TestBatcherCancelsRunWhenEveryCallerGivesUp(t *testing.T) {
	forEachPolicy(t, func(t *testing.T, p policy) {
		r := newManualRunner()
		b, _ := newTestBatcher(t, r, p, BatcherConfig[[]int64]{MaxBatch: 1})
		ctx, cancel := context.WithCancel(t.Context())
		gone := submitAsync(ctx, b, input(1, 1))
		c := <-r.calls
		cancel()
		<-c.ctx.Done()
		c.fail(c.ctx.Err())
		wantCanceled(t, gone)
		b.Close()
		if st := b.Stats(); st.Batches != 1 || st.Failed != 1 {
			t.Errorf("stats %+v, want one failed batch", st)
		}
	})
}

func TestBatcherErrorsReachEveryCaller(t *testing.T) {
	boom := errors.New("boom")
	isBoom := func(err error) bool { return errors.Is(err, boom) }
	runtimeError := func(want string) func(error) bool {
		return func(err error) bool {
			return itemvec.CodeOf(err) == CodeRuntime && strings.Contains(fmt.Sprint(err), want)
		}
	}
	tests := []struct {
		name      string
		reply     runReply
		check     func(error) bool
		retryable bool
	}{
		{"runner error", runReply{err: boom}, isBoom, false},
		{"typed runtime error", runReply{err: newError("test", CodeRuntime, boom)}, isBoom, true},
		{"too few rows", runReply{out: [][]float32{{1, 2}}}, runtimeError("1 rows for a batch of 3"), true},
		{"short row", runReply{out: [][]float32{{1, 2}, {1}, {1, 2}}}, runtimeError("1 floats for input 1; want 2"), true},
	}
	forEachPolicy(t, func(t *testing.T, p policy) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newManualRunner()
				b, _ := newTestBatcher(t, r, p, BatcherConfig[[]int64]{MaxBatch: 3})
				defer b.Close()
				var results []<-chan submitted
				for v := range 3 {
					results = append(results, submitAsync(t.Context(), b, input(int64(v), 1)))
				}
				(<-r.calls).reply <- tt.reply
				for _, ch := range results {
					res := <-ch
					if res.row != nil || !tt.check(res.err) {
						t.Fatalf("caller got row %v, error %v", res.row, res.err)
					}
					if retryable := itemvec.IsRetryable(res.err); retryable != tt.retryable {
						t.Errorf("error %v: retryable = %v, want %v", res.err, retryable, tt.retryable)
					}
				}
				b.Close()
				if st := b.Stats(); st.Batches != 1 || st.Failed != 1 {
					t.Errorf("stats %+v, want one failed batch", st)
				}
			})
		}
	})
}

// TestBatcherLogsFailedBatches checks the warning a failed batch leaves:
// its size, the error, and with a Length function its lengths.
func TestBatcherLogsFailedBatches(t *testing.T) {
	forEachPolicy(t, func(t *testing.T, p policy) {
		var logs strings.Builder
		r := newManualRunner()
		cfg := p.config(BatcherConfig[[]int64]{MaxBatch: 2})
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		b, err := newBatcher([]BatchRunner[[]int64]{r}, cfg, newFakeClock())
		if err != nil {
			t.Fatal(err)
		}
		first := submitAsync(t.Context(), b, input(1, 3))
		second := submitAsync(t.Context(), b, input(2, 5))
		(<-r.calls).fail(errors.New("boom"))
		<-first
		<-second
		b.Close()
		want := []string{"level=WARN", `msg="onnx: batch failed"`, "items=2", "err=boom"}
		if p.length != nil {
			want = append(want, "lengths=8", "longest=5")
		}
		for _, w := range want {
			if !strings.Contains(logs.String(), w) {
				t.Errorf("log %q does not contain %q", logs.String(), w)
			}
		}
		if p.length == nil && strings.Contains(logs.String(), "lengths=") {
			t.Errorf("log %q counts lengths without a Length function", logs.String())
		}
	})
}

func TestBatcherRejectsBadInput(t *testing.T) {
	tests := []struct {
		name    string
		in      []int64
		wantErr string
	}{
		{"empty", nil, "no values"},
		{"too long", input(1, testMaxLen+1), "at most 64"},
		{"negative", []int64{1, -1}, "negative"},
	}
	forEachPolicy(t, func(t *testing.T, p policy) {
		r := &echoRunner{}
		b := startBatcher(t, r, p, BatcherConfig[[]int64]{})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := b.Submit(t.Context(), tt.in)
				if e := assertCode(t, err, CodeInput); e.Retryable() || !strings.Contains(e.Error(), tt.wantErr) {
					t.Fatalf("error %q: want a non-retryable input error containing %q", e, tt.wantErr)
				}
			})
		}
		t.Run("cancelled", func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			if _, err := b.Submit(ctx, input(1, 1)); !errors.Is(err, context.Canceled) {
				t.Fatalf("Submit with a cancelled ctx = %v, want context.Canceled", err)
			}
		})
		t.Run("classified by Check", func(t *testing.T) {
			refused := newError("fake.Check", CodeConfig, errors.New("built without the model"))
			b := startBatcher(t, refusingRunner{refused}, p, BatcherConfig[[]int64]{})
			if _, err := b.Submit(t.Context(), input(1, 1)); err != refused {
				t.Fatalf("Submit = %v, want Check's own error", err)
			}
		})
		if len(r.batches) != 0 {
			t.Errorf("runner called with %v", r.batches)
		}
	})
}

func TestBatcherClose(t *testing.T) {
	forEachPolicy(t, func(t *testing.T, p policy) {
		t.Run("submit after close", func(t *testing.T) {
			b := startBatcher(t, &echoRunner{}, p, BatcherConfig[[]int64]{})
			b.Close()
			b.Close() // idempotent
			_, err := b.Submit(t.Context(), input(1, 1))
			if e := assertCode(t, err, CodeClosed); !errors.Is(err, ErrClosed) || !e.Retryable() {
				t.Fatalf("Submit after Close = %v; want a retryable ErrClosed", err)
			}
		})
		t.Run("waits for the running batch", func(t *testing.T) {
			r := newManualRunner()
			b, _ := newTestBatcher(t, r, p, BatcherConfig[[]int64]{MaxBatch: 1})
			res := submitAsync(t.Context(), b, input(4, 2))
			c := <-r.calls
			closed := make(chan struct{})
			go func() {
				b.Close()
				close(closed)
			}()
			select { // a Close that returned early would do so at once
			case <-closed:
				t.Fatal("Close returned while a batch was running")
			case <-time.After(50 * time.Millisecond):
			}
			c.echo()
			<-closed
			wantSubmitRow(t, res, 4, 2)
		})
		t.Run("runs queued inputs without waiting", func(t *testing.T) {
			r := newManualRunner()
			b, clock := newTestBatcher(t, r, p, BatcherConfig[[]int64]{MaxBatch: 4}) // timers never fire here
			res := submitAsync(t.Context(), b, input(6, 5))
			<-clock.armed
			closed := make(chan struct{})
			go func() {
				b.Close()
				close(closed)
			}()
			c := <-r.calls
			if !slices.Equal(c.markers, []int64{6}) {
				t.Fatalf("batch holds %v, want [6]", c.markers)
			}
			c.echo()
			<-closed
			wantSubmitRow(t, res, 6, 5)
		})
	})
}

func TestBatcherStatsBeforeAnyBatch(t *testing.T) {
	var st BatcherStats
	if st.PaddingEfficiency() != 1 || st.MeanBatchSize() != 0 || st.MeanRunTime() != 0 {
		t.Errorf("zero stats: efficiency %v, mean batch %v, mean run time %v", st.PaddingEfficiency(), st.MeanBatchSize(), st.MeanRunTime())
	}
}

func TestNewBatcherConfig(t *testing.T) {
	tests := []struct {
		name    string
		r       BatchRunner[[]int64]
		cfg     BatcherConfig[[]int64]
		wantErr string
	}{
		{"nearest length without Length", &echoRunner{}, BatcherConfig[[]int64]{Pick: PickNearestLength}, "needs a Length function"},
		{"unknown pick", &echoRunner{}, BatcherConfig[[]int64]{Pick: 7}, "unknown Pick 7"},
		{"nil runner", nil, BatcherConfig[[]int64]{}, "nil BatchRunner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewBatcher(tt.r, tt.cfg)
			if err == nil {
				b.Close()
				t.Fatal("NewBatcher succeeded")
			}
			if e := assertCode(t, err, CodeConfig); !strings.Contains(e.Error(), tt.wantErr) {
				t.Fatalf("error %q: want it to contain %q", e, tt.wantErr)
			}
		})
	}
	t.Run("defaults", func(t *testing.T) {
		cfg, err := BatcherConfig[[]int64]{QueueSize: 3}.withDefaults("test")
		if err != nil {
			t.Fatal(err)
		}
		if cfg.MaxBatch != DefaultMaxBatch || cfg.MaxWait != DefaultMaxWait || cfg.QueueSize != 4*DefaultMaxBatch || cfg.Pick != PickArrival || cfg.Logger == nil {
			t.Errorf("defaults %+v", cfg)
		}
		cfg, err = BatcherConfig[[]int64]{MaxBatch: 4, QueueSize: 9}.withDefaults("test")
		if err != nil || cfg.QueueSize != 9 {
			t.Errorf("QueueSize %d (%v), want 9 kept", cfg.QueueSize, err)
		}
	})
}

func TestPickString(t *testing.T) {
	for p, want := range map[Pick]string{PickArrival: "arrival", PickNearestLength: "nearest_length", 7: "Pick(7)"} {
		if got := p.String(); got != want {
			t.Errorf("Pick(%d).String() = %q, want %q", int(p), got, want)
		}
	}
}

func BenchmarkBatcherSubmit(b *testing.B) {
	for _, p := range policies {
		b.Run(p.name, func(b *testing.B) {
			bt, err := NewBatcher[[]int64](&echoRunner{}, BatcherConfig[[]int64]{MaxBatch: 16, MaxWait: 100 * time.Microsecond,
				Pick: p.pick, Length: p.length, Logger: quietLogger()})
			if err != nil {
				b.Fatal(err)
			}
			defer bt.Close()
			b.RunParallel(func(pb *testing.PB) {
				in := input(1, 8)
				for pb.Next() {
					if _, err := bt.Submit(context.Background(), in); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// TestPooledBatcherRunsBatchesAtOnce checks a batcher over two runners:
// two batches run at the same time, one on each, and with both busy the
// next batch waits for whichever finishes first.
func TestPooledBatcherRunsBatchesAtOnce(t *testing.T) {
	forEachPolicy(t, func(t *testing.T, p policy) {
		ra, rb := newManualRunner(), newManualRunner()
		b, err := newBatcher([]BatchRunner[[]int64]{ra, rb}, p.config(BatcherConfig[[]int64]{MaxBatch: 2}), newFakeClock())
		if err != nil {
			t.Fatal(err)
		}
		if b.Runners() != 2 {
			t.Fatalf("Runners() = %d, want 2", b.Runners())
		}
		res := map[int64]<-chan submitted{}
		submit := func(vs ...int64) {
			for _, v := range vs {
				res[v] = submitAsync(t.Context(), b, input(v, 3))
			}
		}
		submit(0, 1)
		first := <-ra.calls
		submit(2, 3)
		second := <-rb.calls // while the first batch still runs
		for _, tt := range []struct {
			c    runCall
			want []int64
		}{{first, []int64{0, 1}}, {second, []int64{2, 3}}} {
			if got := tt.c.sortedMarkers(); !slices.Equal(got, tt.want) {
				t.Fatalf("batch holds %v, want %v", got, tt.want)
			}
		}
		submit(4, 5)
		second.echo() // the second runner is free first: it takes the next batch
		third := <-rb.calls
		if got := third.sortedMarkers(); !slices.Equal(got, []int64{4, 5}) {
			t.Fatalf("third batch holds %v, want [4 5]", got)
		}
		first.echo()
		third.echo()
		for v := range int64(6) {
			wantSubmitRow(t, res[v], v, 3)
		}
		b.Close()
		if st := b.Stats(); st.Batches != 3 || st.Items != 6 {
			t.Errorf("stats %+v, want 3 batches of 6 items", st)
		}
	})
}

// dimRunner is an echoRunner whose rows have dim floats.
type dimRunner struct {
	echoRunner
	dim int
}

func (r *dimRunner) OutputDim() int { return r.dim }

func TestNewPooledBatcherConfig(t *testing.T) {
	tests := []struct {
		name    string
		rs      []BatchRunner[[]int64]
		wantErr string
	}{
		{"no runner", nil, "no BatchRunner"},
		{"a nil runner", []BatchRunner[[]int64]{&echoRunner{}, nil}, "nil BatchRunner"},
		{"rows of different sizes", []BatchRunner[[]int64]{&echoRunner{}, &dimRunner{dim: testDim + 1}}, "runner 1 gives"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewPooledBatcher(tt.rs, BatcherConfig[[]int64]{})
			if err == nil {
				b.Close()
				t.Fatal("NewPooledBatcher succeeded")
			}
			if e := assertCode(t, err, CodeConfig); !strings.Contains(e.Error(), tt.wantErr) {
				t.Fatalf("error %q: want it to contain %q", e, tt.wantErr)
			}
		})
	}
}
