package onnx

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fake text runners return, for a text, [its first id, its length].
const (
	testTextDim    = 2
	testTextMaxLen = 64
)

// text returns a text of length tokens whose first id is the marker v.
func text(v int64, length int) TextInput {
	ids := make([]int64, length)
	ids[0] = v
	return TextInput{IDs: ids}
}

func wantTextRow(v int64, length int) []float32 { return []float32{float32(v), float32(length)} }

func echoTexts(ids [][]int64) [][]float32 {
	out := make([][]float32, len(ids))
	for i, row := range ids {
		out[i] = wantTextRow(row[0], len(row))
	}
	return out
}

// textCall is one Run of manualTextRunner, waiting for the test's reply.
type textCall struct {
	ctx   context.Context
	ids   [][]int64
	reply chan textReply
}

type textReply struct {
	out [][]float32
	err error
}

func (c textCall) echo()          { c.reply <- textReply{out: echoTexts(c.ids)} }
func (c textCall) fail(err error) { c.reply <- textReply{err: err} }

// markers returns the marker (first id) of each text in the call.
func (c textCall) markers() []int64 {
	m := make([]int64, len(c.ids))
	for i, row := range c.ids {
		m[i] = row[0]
	}
	return m
}

// manualTextRunner hands every Run to the test on calls and returns what
// the test replies.
type manualTextRunner struct{ calls chan textCall }

func newManualTextRunner() *manualTextRunner { return &manualTextRunner{calls: make(chan textCall)} }

func (r *manualTextRunner) Run(ctx context.Context, ids, _, _ [][]int64) ([][]float32, error) {
	c := textCall{ctx: ctx, ids: ids, reply: make(chan textReply)}
	r.calls <- c
	rep := <-c.reply
	return rep.out, rep.err
}

func (r *manualTextRunner) OutputDim() int { return testTextDim }
func (r *manualTextRunner) MaxLength() int { return testTextMaxLen }

// echoTextRunner answers every Run at once and records the batch sizes.
type echoTextRunner struct {
	mu      sync.Mutex
	batches []int
}

func (r *echoTextRunner) Run(_ context.Context, ids, masks, typeIDs [][]int64) ([][]float32, error) {
	r.mu.Lock()
	r.batches = append(r.batches, len(ids))
	r.mu.Unlock()
	if (masks != nil && len(masks) != len(ids)) || (typeIDs != nil && len(typeIDs) != len(ids)) {
		return nil, errors.New("mask or type id rows do not match the ids")
	}
	return echoTexts(ids), nil
}

func (r *echoTextRunner) OutputDim() int { return testTextDim }
func (r *echoTextRunner) MaxLength() int { return testTextMaxLen }

func submitTextAsync(ctx context.Context, b *TextBatcher, in TextInput) <-chan submitted {
	ch := make(chan submitted, 1)
	go func() {
		row, err := b.Submit(ctx, in)
		ch <- submitted{row, err}
	}()
	return ch
}

func wantTextResult(t *testing.T, ch <-chan submitted, v int64, length int) {
	t.Helper()
	res := <-ch
	if res.err != nil {
		t.Fatalf("text %d: Submit: %v", v, res.err)
	}
	if want := wantTextRow(v, length); !slices.Equal(res.row, want) {
		t.Fatalf("text %d: got row %v, want %v", v, res.row, want)
	}
}

// quietTextBatcher starts a text batcher with fake timers that fire only
// when the test says so; MaxWait is long so that real time never expires
// it either.
func quietTextBatcher(r TextRunner, cfg TextBatcherConfig) (*TextBatcher, *fakeTimers) {
	timers := newFakeTimers()
	if cfg.MaxWait == 0 {
		cfg.MaxWait = time.Hour
	}
	cfg.Logger = quietLogger()
	return newTextBatcher(r, cfg, timers.newTimer), timers
}

func TestTextBatcherRowsGoToTheirCallers(t *testing.T) {
	tests := []struct {
		name     string
		maxBatch int
		callers  int
		arrival  bool
	}{
		{"one at a time", 1, 10, false},
		{"single caller", 4, 1, false},
		{"uneven batches", 4, 37, false},
		{"default batch size", 0, 100, false},
		{"arrival order", 4, 37, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &echoTextRunner{}
			b := NewTextBatcher(r, TextBatcherConfig{MaxBatch: tt.maxBatch, MaxWait: time.Millisecond, ArrivalOrder: tt.arrival, Logger: quietLogger()})
			var wg sync.WaitGroup
			for i := range tt.callers {
				wg.Go(func() {
					length := 1 + i%testTextMaxLen
					in := text(int64(i), length)
					if i%3 == 0 {
						in.AttentionMask = slices.Repeat([]int64{1}, length)
					}
					row, err := b.Submit(t.Context(), in)
					if err != nil {
						t.Errorf("text %d: %v", i, err)
						return
					}
					if want := wantTextRow(int64(i), length); !slices.Equal(row, want) {
						t.Errorf("text %d: got row %v, want %v", i, row, want)
					}
					_ = append(row, -1)
				})
			}
			wg.Wait()
			b.Close()
			checkBatches(t, "texts", r.batches, tt.maxBatch, tt.callers, b.Stats().BatcherStats)
		})
	}
}

func TestTextBatcherRunsFullBatchWithoutWaiting(t *testing.T) {
	r := newManualTextRunner()
	b, _ := quietTextBatcher(r, TextBatcherConfig{MaxBatch: 3})
	var results []<-chan submitted
	for v := range 3 {
		results = append(results, submitTextAsync(t.Context(), b, text(int64(v), 2+v)))
	}
	c := <-r.calls
	if got := slices.Sorted(slices.Values(c.markers())); !slices.Equal(got, []int64{0, 1, 2}) {
		t.Fatalf("batch holds texts %v, want 0..2", got)
	}
	c.echo()
	for v, ch := range results {
		wantTextResult(t, ch, int64(v), 2+v)
	}
	b.Close()
	st := b.Stats()
	if st.Batches != 1 || st.Items != 3 || st.Tokens != 2+3+4 || st.PaddedTokens != 3*4 {
		t.Errorf("stats %+v after one batch of lengths 2, 3, 4", st)
	}
	if got, want := st.PaddingEfficiency(), 9.0/12; got != want {
		t.Errorf("PaddingEfficiency = %v, want %v", got, want)
	}
}

func TestTextBatcherFlushesAfterMaxWait(t *testing.T) {
	r := newManualTextRunner()
	b, timers := quietTextBatcher(r, TextBatcherConfig{MaxBatch: 8, MaxWait: 7 * time.Hour})
	defer b.Close()
	res := submitTextAsync(t.Context(), b, text(5, 3))
	timer := <-timers.armed
	if timer.d <= 0 || timer.d > 7*time.Hour {
		t.Errorf("timer set for %v, want at most MaxWait (7h)", timer.d)
	}
	timer.fire()
	c := <-r.calls
	if got := c.markers(); !slices.Equal(got, []int64{5}) {
		t.Fatalf("got batch %v, want the single text 5", got)
	}
	c.echo()
	wantTextResult(t, res, 5, 3)
}

// TestGroupByLength checks which texts the batcher runs together when it
// holds more than MaxBatch.
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

// TestTextBatcherPick checks how a batcher holding more than MaxBatch
// texts splits them into the next batch and the rest.
func TestTextBatcherPick(t *testing.T) {
	lengths := []int{40, 3, 41, 4, 42, 5} // texts 1..6, oldest first
	tests := []struct {
		name      string
		arrival   bool
		gaveUp    int64 // marker of a caller who gave up, or 0
		wantBatch []int64
		wantRest  []int64
	}{
		{"grouped around the oldest", false, 0, []int64{1, 3, 5}, []int64{2, 4, 6}},
		{"arrival order", true, 0, []int64{1, 2, 3}, []int64{4, 5, 6}},
		{"oldest gave up", false, 1, []int64{2, 4, 6}, []int64{3, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &TextBatcher{maxBatch: 3, arrival: tt.arrival}
			gone, cancel := context.WithCancel(t.Context())
			cancel()
			var queue []*textRequest
			for i, n := range lengths {
				req := &textRequest{text: text(int64(i+1), n)}
				req.ctx = t.Context()
				if int64(i+1) == tt.gaveUp {
					req.ctx = gone
				}
				queue = append(queue, req)
			}
			batch, rest := b.pick(queue)
			markers := func(reqs []*textRequest) []int64 {
				var m []int64
				for _, req := range reqs {
					m = append(m, req.text.IDs[0])
				}
				return m
			}
			if !slices.Equal(markers(batch), tt.wantBatch) || !slices.Equal(markers(rest), tt.wantRest) {
				t.Fatalf("pick = %v + %v, want %v + %v", markers(batch), markers(rest), tt.wantBatch, tt.wantRest)
			}
			if wantDropped := int64(min(tt.gaveUp, 1)); b.Stats().Dropped != wantDropped {
				t.Errorf("Dropped = %d, want %d", b.Stats().Dropped, wantDropped)
			}
		})
	}
}

func TestTextBatcherSkipsCallersWhoGaveUp(t *testing.T) {
	r := newManualTextRunner()
	b, timers := quietTextBatcher(r, TextBatcherConfig{MaxBatch: 2})
	defer b.Close()
	ctx, cancel := context.WithCancel(t.Context())
	gone := submitTextAsync(ctx, b, text(1, 2))
	<-timers.armed // text 1 is queued
	cancel()
	if res := <-gone; !errors.Is(res.err, context.Canceled) {
		t.Fatalf("cancelled Submit = %v, want context.Canceled", res.err)
	}
	second := submitTextAsync(t.Context(), b, text(2, 2))
	third := submitTextAsync(t.Context(), b, text(3, 2))
	c := <-r.calls
	if got := slices.Sorted(slices.Values(c.markers())); !slices.Equal(got, []int64{2, 3}) {
		t.Fatalf("batch holds texts %v, want 2 and 3 only", got)
	}
	c.echo()
	wantTextResult(t, second, 2, 2)
	wantTextResult(t, third, 3, 2)
	if st := b.Stats(); st.Dropped != 1 {
		t.Errorf("Dropped = %d, want 1", st.Dropped)
	}
}

func TestTextBatcherCallerGivesUpDuringRun(t *testing.T) {
	r := newManualTextRunner()
	b, _ := quietTextBatcher(r, TextBatcherConfig{MaxBatch: 2})
	defer b.Close()
	ctx, cancel := context.WithCancel(t.Context())
	in := text(1, 3)
	gone := submitTextAsync(ctx, b, in)
	stays := submitTextAsync(t.Context(), b, text(2, 3))
	c := <-r.calls
	cancel()
	if res := <-gone; !errors.Is(res.err, context.Canceled) {
		t.Fatalf("cancelled Submit = %v, want context.Canceled while its batch runs", res.err)
	}
	in.IDs[0] = 99 // the caller may reuse its slices once Submit returns
	if err := c.ctx.Err(); err != nil {
		t.Fatalf("batch context ended (%v) though one caller still waits", err)
	}
	if got := slices.Sorted(slices.Values(c.markers())); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("batch holds %v: the batcher must run on its own copy of the ids", got)
	}
	c.echo()
	wantTextResult(t, stays, 2, 3)
}

func TestTextBatcherCancelsRunWhenEveryCallerGivesUp(t *testing.T) {
	r := newManualTextRunner()
	b, _ := quietTextBatcher(r, TextBatcherConfig{MaxBatch: 1})
	ctx, cancel := context.WithCancel(t.Context())
	gone := submitTextAsync(ctx, b, text(1, 1))
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

func TestTextBatcherErrorsReachEveryCaller(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name      string
		reply     textReply
		check     func(error) bool
		retryable bool
	}{
		{"runner error", textReply{err: boom}, func(err error) bool { return errors.Is(err, boom) }, false},
		{"typed runtime error", textReply{err: &Error{Op: "test", Kind: KindRuntime, Err: boom}}, func(err error) bool { return errors.Is(err, boom) }, true},
		{"too few rows", textReply{out: [][]float32{{1, 2}}}, func(err error) bool {
			return strings.Contains(fmt.Sprint(err), "1 vectors for a batch of 3")
		}, true},
		{"short row", textReply{out: [][]float32{{1, 2}, {1}, {1, 2}}}, func(err error) bool {
			return strings.Contains(fmt.Sprint(err), "1 floats for text 1; want 2")
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newManualTextRunner()
			b, _ := quietTextBatcher(r, TextBatcherConfig{MaxBatch: 3})
			defer b.Close()
			var results []<-chan submitted
			for v := range 3 {
				results = append(results, submitTextAsync(t.Context(), b, text(int64(v), 1)))
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

func TestTextBatcherRejectsBadInput(t *testing.T) {
	r := &echoTextRunner{}
	b := NewTextBatcher(r, TextBatcherConfig{Logger: quietLogger()})
	defer b.Close()
	tests := []struct {
		name    string
		in      TextInput
		wantErr string
	}{
		{"empty", TextInput{}, "no token ids"},
		{"too long", text(1, testTextMaxLen+1), "at most 64"},
		{"mask length", TextInput{IDs: []int64{1, 2}, AttentionMask: []int64{1}}, "1 attention mask values"},
		{"type ids length", TextInput{IDs: []int64{1, 2}, TypeIDs: []int64{0, 0, 0}}, "3 token type ids"},
		{"all masked", TextInput{IDs: []int64{1, 2}, AttentionMask: []int64{0, 0}}, "no 1"},
		{"negative id", TextInput{IDs: []int64{-1}}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.Submit(t.Context(), tt.in)
			if e := assertKind(t, err, KindInput); e.Retryable() || !strings.Contains(e.Error(), tt.wantErr) {
				t.Fatalf("error %q: want a non-retryable input error containing %q", e, tt.wantErr)
			}
		})
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := b.Submit(ctx, text(1, 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit with a cancelled ctx = %v, want context.Canceled", err)
	}
	if len(r.batches) != 0 {
		t.Errorf("runner called with %v", r.batches)
	}
}

func TestTextBatcherClose(t *testing.T) {
	t.Run("submit after close", func(t *testing.T) {
		b := NewTextBatcher(&echoTextRunner{}, TextBatcherConfig{Logger: quietLogger()})
		b.Close()
		b.Close() // idempotent
		_, err := b.Submit(t.Context(), text(1, 1))
		if e := assertKind(t, err, KindClosed); !errors.Is(err, ErrClosed) || !e.Retryable() {
			t.Fatalf("Submit after Close = %v; want a retryable ErrClosed", err)
		}
	})
	t.Run("waits for the running batch", func(t *testing.T) {
		r := newManualTextRunner()
		b, _ := quietTextBatcher(r, TextBatcherConfig{MaxBatch: 1})
		res := submitTextAsync(t.Context(), b, text(4, 2))
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
		wantTextResult(t, res, 4, 2)
	})
	t.Run("runs queued texts without waiting", func(t *testing.T) {
		r := newManualTextRunner()
		b, timers := quietTextBatcher(r, TextBatcherConfig{MaxBatch: 4})
		res := submitTextAsync(t.Context(), b, text(6, 5))
		<-timers.armed
		closed := make(chan struct{})
		go func() {
			b.Close()
			close(closed)
		}()
		c := <-r.calls
		if got := c.markers(); !slices.Equal(got, []int64{6}) {
			t.Fatalf("batch holds %v, want [6]", got)
		}
		c.echo()
		<-closed
		wantTextResult(t, res, 6, 5)
	})
}

func TestTextBatcherStatsBeforeAnyBatch(t *testing.T) {
	var st TextBatcherStats
	if st.PaddingEfficiency() != 1 || st.MeanBatchSize() != 0 {
		t.Errorf("zero stats: efficiency %v, mean batch %v", st.PaddingEfficiency(), st.MeanBatchSize())
	}
}
