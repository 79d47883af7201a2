package onnx

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// TextInput is one tokenized text: what a tokenizer returns for it.
type TextInput struct {
	// IDs are the token ids, special tokens included: at least one, at
	// most the model's MaxLength, none negative.
	IDs []int64
	// AttentionMask is 1 for each token to attend to and 0 for padding the
	// tokenizer added, one per id, with at least one 1. Nil means all 1.
	AttentionMask []int64
	// TypeIDs are the token type (segment) ids, one per id. Nil means all
	// 0, which is what single texts use.
	TypeIDs []int64
}

// check reports what is wrong with in, for a model taking at most maxLen
// tokens.
func (in TextInput) check(maxLen int) error {
	n := len(in.IDs)
	if n == 0 {
		return fmt.Errorf("no token ids")
	}
	if n > maxLen {
		return fmt.Errorf("%d token ids; the model takes at most %d (max_length): truncate when tokenizing", n, maxLen)
	}
	if in.AttentionMask != nil && len(in.AttentionMask) != n {
		return fmt.Errorf("%d token ids but %d attention mask values", n, len(in.AttentionMask))
	}
	if in.TypeIDs != nil && len(in.TypeIDs) != n {
		return fmt.Errorf("%d token ids but %d token type ids", n, len(in.TypeIDs))
	}
	for i, id := range in.IDs {
		if id < 0 {
			return fmt.Errorf("token id %d at position %d is negative", id, i)
		}
	}
	if in.AttentionMask != nil {
		ones := 0
		for i, m := range in.AttentionMask {
			if m != 0 && m != 1 {
				return fmt.Errorf("attention mask value %d at position %d: want 0 or 1", m, i)
			}
			ones += int(m)
		}
		if ones == 0 {
			return fmt.Errorf("the attention mask has no 1: nothing to embed")
		}
	}
	for i, t := range in.TypeIDs {
		if t < 0 {
			return fmt.Errorf("token type id %d at position %d is negative", t, i)
		}
	}
	return nil
}

// TextRunner runs a text model on a batch. [*TextSession] implements it.
type TextRunner interface {
	// Run embeds len(ids) texts; masks and typeIDs are nil or hold one
	// row per text (see [TextSession.Run]). It returns one vector of
	// OutputDim() floats per text and must not keep its arguments.
	Run(ctx context.Context, ids, masks, typeIDs [][]int64) ([][]float32, error)
	// OutputDim is the number of floats returned per text.
	OutputDim() int
	// MaxLength is the most tokens Run accepts per text.
	MaxLength() int
}

// TextBatcherConfig configures [NewTextBatcher].
type TextBatcherConfig struct {
	// MaxBatch is the most texts run in one model call. Zero or negative
	// means DefaultMaxBatch (16).
	MaxBatch int
	// MaxWait is how long a text waits for its batch to fill, counted from
	// when the batcher takes it. Zero or negative means DefaultMaxWait
	// (5ms).
	MaxWait time.Duration
	// QueueSize is the most texts the batcher holds while it chooses what
	// to batch together; callers beyond it wait in Submit. A bigger queue
	// finds closer lengths under load. Values below MaxBatch mean
	// 4×MaxBatch.
	QueueSize int
	// ArrivalOrder makes batches of texts in the order they came, without
	// grouping similar lengths. It exists to measure what grouping saves
	// (see [TextBatcherStats.PaddingEfficiency]); leave it off.
	ArrivalOrder bool
	// Logger receives failed batches. Nil means slog.Default().
	Logger *slog.Logger
}

// TextBatcherStats counts what a [TextBatcher] has done since it started.
type TextBatcherStats struct {
	BatcherStats
	// Tokens is the number of real tokens run (the lengths of the texts),
	// PaddedTokens the number the model computed: each batch's size times
	// its longest text.
	Tokens, PaddedTokens int64
}

// PaddingEfficiency is Tokens/PaddedTokens: 1 when no batch needed
// padding, lower the more of the model's work was spent on padding; 1
// before the first batch.
func (s TextBatcherStats) PaddingEfficiency() float64 {
	if s.PaddedTokens == 0 {
		return 1
	}
	return float64(s.Tokens) / float64(s.PaddedTokens)
}

// TextBatcher turns concurrent single-text calls into batched model runs,
// keeping the padding small.
//
// Like [Batcher], one goroutine takes submitted texts and runs a batch when
// it holds MaxBatch of them or its oldest text has waited MaxWait; batches
// run one at a time. Because a batch is padded to its longest text, the
// batcher does not simply take texts in order: it keeps up to QueueSize of
// them and runs the oldest together with the MaxBatch−1 texts closest to it
// in length (the window of MaxBatch consecutive lengths around it with the
// least padding). Every batch holds the oldest queued text, so no text is
// starved: it waits at most for the batches of the texts queued before it.
// Under light load the queue rarely exceeds MaxBatch and batches are simply
// what came.
//
// The TextBatcher does not own its TextRunner: close the batcher first,
// then the runner.
type TextBatcher struct {
	r         TextRunner
	maxBatch  int
	maxWait   time.Duration
	queueSize int
	arrival   bool
	logger    *slog.Logger
	newTimer  func(time.Duration) batchTimer

	reqs      chan *textRequest
	quit      chan struct{} // closed by Close
	done      chan struct{} // closed when the loop has returned
	closeOnce sync.Once

	mu    sync.Mutex
	stats TextBatcherStats
}

// textRequest is one Submit. Its request holds the caller's context, state,
// copied and resp channels exactly as in [Batcher], so submit, prune and
// takeLive serve both; request.input is unused.
type textRequest struct {
	request
	text    TextInput
	arrived time.Time // when the loop took it
}

// NewTextBatcher starts a batcher in front of r. Call Close to stop it.
func NewTextBatcher(r TextRunner, cfg TextBatcherConfig) *TextBatcher {
	return newTextBatcher(r, cfg, func(d time.Duration) batchTimer { return realTimer{time.NewTimer(d)} })
}

func newTextBatcher(r TextRunner, cfg TextBatcherConfig, newTimer func(time.Duration) batchTimer) *TextBatcher {
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.QueueSize < cfg.MaxBatch {
		cfg.QueueSize = 4 * cfg.MaxBatch
	}
	b := &TextBatcher{
		r:         r,
		maxBatch:  cfg.MaxBatch,
		maxWait:   cfg.MaxWait,
		queueSize: cfg.QueueSize,
		arrival:   cfg.ArrivalOrder,
		logger:    loggerOrDefault(cfg.Logger),
		newTimer:  newTimer,
		reqs:      make(chan *textRequest),
		quit:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	go b.loop()
	return b
}

// Submit embeds one tokenized text as part of a batch and returns its
// OutputDim() floats. It is safe for concurrent use; that is the point.
// The batcher stops reading text once Submit returns.
//
// A text the model cannot take (see [TextInput]) fails at once with a
// [KindInput] error and never reaches a batch, so it cannot fail anyone
// else's. Cancellation, model errors and Close behave as in
// [Batcher.Submit]: a caller whose ctx ends gets ctx.Err() at once and its
// text is dropped if still queued; a model error reaches every caller in
// the batch; after Close, Submit fails with a [KindClosed] error wrapping
// [ErrClosed].
func (b *TextBatcher) Submit(ctx context.Context, text TextInput) ([]float32, error) {
	const op = "onnx.TextBatcher.Submit"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := text.check(b.r.MaxLength()); err != nil {
		return nil, &Error{Op: op, Kind: KindInput, Err: err}
	}
	return submit(ctx, op, b.reqs, b.quit, &textRequest{text: text})
}

// Stats returns a snapshot of the counters.
func (b *TextBatcher) Stats() TextBatcherStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// Close stops taking new texts, runs the texts already queued without
// waiting for MaxWait, waits for the running batch to finish and returns.
// Submit calls made after Close fail. Close is idempotent.
func (b *TextBatcher) Close() {
	b.closeOnce.Do(func() { close(b.quit) })
	<-b.done
}

func (b *TextBatcher) loop() {
	defer close(b.done)
	var queue []*textRequest // in arrival order
	for {
		if len(queue) == 0 {
			select {
			case req := <-b.reqs:
				queue = append(queue, b.take(req))
			case <-b.quit:
				return
			}
		}
		queue = b.fill(queue)
		var batch []*textRequest
		batch, queue = b.pick(queue)
		b.dispatch(batch)
	}
}

func (b *TextBatcher) take(req *textRequest) *textRequest {
	req.arrived = time.Now()
	return req
}

func (b *TextBatcher) closing() bool {
	select {
	case <-b.quit:
		return true
	default:
		return false
	}
}

// fill adds requests to queue until it holds MaxBatch live ones, its oldest
// has waited MaxWait, or the batcher is closing, then takes whatever else
// is already waiting, up to QueueSize.
func (b *TextBatcher) fill(queue []*textRequest) []*textRequest {
	queue = prune(b.drain(queue), b.countDropped)
	if len(queue) == 0 || len(queue) >= b.maxBatch || b.closing() {
		return queue
	}
	wait := b.maxWait - time.Since(queue[0].arrived)
	if wait <= 0 {
		return queue
	}
	timer := b.newTimer(wait)
	defer timer.Stop()
	for {
		select {
		case req := <-b.reqs:
			queue = append(queue, b.take(req))
			if len(queue) >= b.maxBatch {
				// Make room for live callers in place of ones that gave up.
				if queue = prune(queue, b.countDropped); len(queue) >= b.maxBatch {
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
func (b *TextBatcher) drain(queue []*textRequest) []*textRequest {
	for len(queue) < b.queueSize {
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
func (b *TextBatcher) pick(queue []*textRequest) (batch, rest []*textRequest) {
	queue = prune(queue, b.countDropped)
	if len(queue) <= b.maxBatch {
		return queue, nil
	}
	if b.arrival {
		return queue[:b.maxBatch], slices.Clone(queue[b.maxBatch:])
	}
	lengths := make([]int, len(queue))
	for i, req := range queue {
		lengths[i] = len(req.text.IDs)
	}
	chosen := groupByLength(lengths, b.maxBatch)
	for i, req := range queue {
		if chosen[i] {
			batch = append(batch, req)
		} else {
			rest = append(rest, req)
		}
	}
	return batch, rest
}

// groupByLength chooses n of the texts with the given lengths (listed
// oldest first, more than n of them) to run together: the oldest and the
// n−1 others that, in length order, form the window of n around it with
// the least padding. It reports which indexes are chosen.
func groupByLength(lengths []int, n int) []bool {
	order := make([]int, len(lengths))
	for i := range order {
		order[i] = i
	}
	// Stable: equal lengths keep arrival order, so older texts go first.
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

// dispatch runs one batch and answers its callers.
func (b *TextBatcher) dispatch(pending []*textRequest) {
	batch := takeLive(pending, b.countDropped)
	n := len(batch)
	if n == 0 {
		return
	}
	ids := make([][]int64, n)
	masks := make([][]int64, n)
	typeIDs := make([][]int64, n)
	tokens, longest := 0, 0
	for i, req := range batch {
		// Copies: a caller that gives up may reuse its slices at once.
		ids[i] = slices.Clone(req.text.IDs)
		masks[i] = slices.Clone(req.text.AttentionMask)
		typeIDs[i] = slices.Clone(req.text.TypeIDs)
		close(req.copied)
		tokens += len(ids[i])
		longest = max(longest, len(ids[i]))
	}
	if !slices.ContainsFunc(masks, func(m []int64) bool { return m != nil }) {
		masks = nil
	}
	if !slices.ContainsFunc(typeIDs, func(t []int64) bool { return t != nil }) {
		typeIDs = nil
	}

	ctx, stop := batchContext(batch)
	start := time.Now()
	out, err := b.r.Run(ctx, ids, masks, typeIDs)
	elapsed := time.Since(start)
	stop()

	dim := b.r.OutputDim()
	if err == nil {
		err = checkRows(out, n, dim)
	}
	if err != nil {
		b.logger.Warn("onnx: text batch failed", "texts", n, "tokens", tokens, "longest", longest, "err", err)
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

	b.mu.Lock()
	defer b.mu.Unlock()
	b.stats.add(n, elapsed, err != nil)
	b.stats.Tokens += int64(tokens)
	b.stats.PaddedTokens += int64(n * longest)
}

// checkRows fails unless a runner returned n rows of dim floats.
func checkRows(out [][]float32, n, dim int) error {
	if len(out) != n {
		return errorf("onnx.TextBatcher.Submit", KindRuntime, "runner returned %d vectors for a batch of %d", len(out), n)
	}
	for i, row := range out {
		if len(row) != dim {
			return errorf("onnx.TextBatcher.Submit", KindRuntime, "runner returned %d floats for text %d; want %d", len(row), i, dim)
		}
	}
	return nil
}

func (b *TextBatcher) countDropped() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stats.Dropped++
}
