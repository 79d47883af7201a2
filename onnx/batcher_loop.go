package onnx

import (
	"cmp"
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/itemvec/itemvec/internal/cputime"
)

// This file is the Batcher's goroutine: it takes requests, chooses each
// batch by the Pick policy, runs it and answers its callers.

func (b *Batcher[In]) loop() {
	var wg sync.WaitGroup
	defer close(b.done)
	defer wg.Wait()
	for _, r := range b.runners {
		wg.Go(r.serve)
		defer close(r.work)
	}
	var queue []*request[In] // in arrival order
	for {
		// A batch is chosen only once a runner is free to take it, so
		// that inputs arriving meanwhile join it.
		r := <-b.idle
		if len(queue) == 0 {
			select {
			case req := <-b.reqs:
				queue = append(queue, b.take(req))
			case <-b.quit:
				return
			}
		}
		queue = b.fill(queue)
		var batch []*request[In]
		batch, queue = b.pick(queue)
		r.work <- batch
	}
}

// runner is one of a Batcher's BatchRunners with the goroutine that runs
// its batches.
type runner[In any] struct {
	b    *Batcher[In]
	r    BatchRunner[In]
	work chan []*request[In] // buffered (1): the loop hands a batch only to an idle runner
	ins  []In                // the inputs of the running batch, reused: runners do not keep them
}

// serve runs the batches handed to the runner until work is closed, then
// returns.
func (r *runner[In]) serve() {
	// One thread per runner, so that its CPU clock measures the runs.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for batch := range r.work {
		r.dispatch(batch)
		r.b.idle <- r
	}
}

func (b *Batcher[In]) take(req *request[In]) *request[In] {
	req.arrived = b.clock.Now()
	return req
}

// fill adds requests to queue until it holds MaxBatch live ones, its oldest
// has waited MaxWait, or the batcher is closing, then takes whatever else
// is already waiting, up to QueueSize.
func (b *Batcher[In]) fill(queue []*request[In]) []*request[In] {
	queue = prune(b.drain(queue), b.countDropped)
	if len(queue) == 0 || len(queue) >= b.cfg.MaxBatch || b.closing() {
		return queue
	}
	wait := b.cfg.MaxWait - b.clock.Now().Sub(queue[0].arrived)
	if wait <= 0 {
		return queue
	}
	timer := b.clock.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case req := <-b.reqs:
			queue = append(queue, b.take(req))
			if len(queue) >= b.cfg.MaxBatch {
				// Make room for live callers in place of ones that gave up.
				if queue = prune(queue, b.countDropped); len(queue) >= b.cfg.MaxBatch {
					return b.drain(queue)
				}
			}
		case <-timer.C():
			return b.drain(queue)
		case <-b.quit:
			return queue
		}
	}
}

// drain takes the requests whose callers are already waiting to hand them
// over, up to QueueSize, without blocking.
func (b *Batcher[In]) drain(queue []*request[In]) []*request[In] {
	for len(queue) < b.cfg.QueueSize {
		select {
		case req := <-b.reqs:
			queue = append(queue, b.take(req))
		default:
			return queue
		}
	}
	return queue
}

// pick splits queue into the next batch and the rest, both in arrival
// order.
func (b *Batcher[In]) pick(queue []*request[In]) (batch, rest []*request[In]) {
	queue = prune(queue, b.countDropped)
	n := b.cfg.MaxBatch
	if len(queue) <= n {
		return queue, nil
	}
	if b.cfg.Pick == PickArrival {
		return queue[:n], slices.Clone(queue[n:])
	}
	lengths := make([]int, len(queue))
	for i, req := range queue {
		lengths[i] = req.length
	}
	chosen := groupByLength(lengths, n)
	for i, req := range queue {
		if chosen[i] {
			batch = append(batch, req)
		} else {
			rest = append(rest, req)
		}
	}
	return batch, rest
}

// groupByLength chooses n of the inputs with the given lengths (listed
// oldest first, more than n of them) to run together: the oldest and the
// n−1 others that, in length order, form the window of n around it with
// the least padding. It reports which indexes are chosen.
func groupByLength(lengths []int, n int) []bool {
	order := make([]int, len(lengths))
	for i := range order {
		order[i] = i
	}
	// Stable: equal lengths keep arrival order, so older inputs go first.
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(lengths[a], lengths[b]) })
	oldest := slices.Index(order, 0)
	best, bestWaste := -1, 0
	for start := max(0, oldest-n+1); start <= min(oldest, len(order)-n); start++ {
		window := order[start : start+n]
		waste := 0
		longest := lengths[window[n-1]]
		for _, i := range window {
			waste += longest - lengths[i]
		}
		if best < 0 || waste < bestWaste {
			best, bestWaste = start, waste
		}
	}
	chosen := make([]bool, len(lengths))
	for _, i := range order[best : best+n] {
		chosen[i] = true
	}
	return chosen
}

// prune removes, in place, the requests whose callers have given up,
// marking each abandoned and calling dropped for it.
func prune[In any](reqs []*request[In], dropped func()) []*request[In] {
	live := reqs[:0]
	for _, req := range reqs {
		if req.ctx.Err() == nil && req.state.Load() == queued {
			live = append(live, req)
			continue
		}
		req.state.CompareAndSwap(queued, abandoned)
		dropped()
	}
	clear(reqs[len(live):])
	return live
}

// takeLive returns, in place, the requests of a batch about to run whose
// callers still wait, each moved from queued to taken; the others are
// marked abandoned and dropped is called for each.
func takeLive[In any](reqs []*request[In], dropped func()) []*request[In] {
	batch := reqs[:0]
	for _, req := range reqs {
		if req.ctx.Err() == nil && req.state.CompareAndSwap(queued, taken) {
			batch = append(batch, req)
			continue
		}
		req.state.CompareAndSwap(queued, abandoned)
		dropped()
	}
	return batch
}

// dispatch runs one batch and answers its callers.
func (r *runner[In]) dispatch(pending []*request[In]) {
	b := r.b
	batch := takeLive(pending, b.countDropped)
	n := len(batch)
	if n == 0 {
		return
	}
	ins := r.ins[:0]
	lengths, longest := 0, 0
	oldest := batch[0].arrived
	for _, req := range batch {
		if req.arrived.Before(oldest) {
			oldest = req.arrived
		}
		ins = append(ins, req.in)
		lengths += req.length
		longest = max(longest, req.length)
	}

	ctx, stop := batchContext(batch)
	start, cpu := b.clock.Now(), cputime.Thread()
	out, err := r.r.RunBatch(ctx, ins)
	elapsed, cpu := b.clock.Now().Sub(start), cputime.Thread()-cpu
	stop()
	clear(ins) // hold no caller's input until the next batch
	r.ins = ins[:0]

	dim := r.r.OutputDim()
	if err == nil {
		err = checkRows(out, n, dim)
	}
	if err != nil {
		attrs := []any{"items", n, "err", err}
		if b.cfg.Length != nil {
			attrs = append(attrs, "lengths", lengths, "longest", longest)
		}
		b.cfg.Logger.Warn("onnx: batch failed", attrs...)
	}
	for i, req := range batch {
		if err != nil {
			req.resp <- result{err: err}
			continue
		}
		// Full slice expression: a caller appending to its row must not
		// write into another caller's.
		req.resp <- result{row: out[i][:dim:dim]}
	}

	if b.cfg.Observe != nil {
		b.cfg.Observe(BatchInfo{
			Size: n, MaxBatch: b.cfg.MaxBatch, Wait: start.Sub(oldest), Run: elapsed, CPU: cpu,
			Longest: longest, Lengths: lengths, Err: err,
		})
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	st := &b.stats
	st.Batches++
	st.Items += int64(n)
	st.RunTime += elapsed
	st.LargestBatch = max(st.LargestBatch, n)
	if err != nil {
		st.Failed++
	}
	if b.cfg.Length != nil {
		st.Lengths += int64(lengths)
		st.PaddedLengths += int64(n * longest)
	}
}

// batchContext returns a context for running batch that is cancelled once
// every caller in it has given up, and a function to release it.
func batchContext[In any](batch []*request[In]) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var live atomic.Int64
	live.Store(int64(len(batch)))
	stops := make([]func() bool, len(batch))
	for i, req := range batch {
		stops[i] = context.AfterFunc(req.ctx, func() {
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
