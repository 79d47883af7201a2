package workers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/extract"
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
	// Texts and MeanTokens describe the inputs of BenchTextModelOn.
	Texts      int
	MeanTokens float64
}

// BenchImageModel runs the image sessions on random batches of
// Config.Models.MaxBatch tensors for at least minDuration (and 3 batches),
// after one warm-up run; with several sessions (ModelConfig.ImageSessions)
// all at once, each from its own goroutine, as the worker runs them.
// PerSecond is then the sum of their rates, Batches the sum of their
// batches and Elapsed the longest.
func (w *Worker) BenchImageModel(ctx context.Context, minDuration time.Duration) (*ModelBench, error) {
	img := w.models.image
	batch := w.cfg.Models.MaxBatch
	rng := rand.New(rand.NewPCG(1, 2))
	in := make([]float32, batch*img.session.InputSize())
	for i := range in {
		in[i] = rng.Float32()*2 - 1
	}
	res := make([]*ModelBench, len(img.sessions))
	errs := make([]error, len(img.sessions))
	var wg sync.WaitGroup
	for i, sess := range img.sessions {
		wg.Go(func() {
			res[i], errs[i] = benchLoop(ctx, img.spec.ID, batch, minDuration, func() error {
				_, err := sess.Run(ctx, in, batch)
				return err
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	b := &ModelBench{Model: img.spec.ID, Batch: batch}
	for _, r := range res {
		b.Batches += r.Batches
		b.Elapsed = max(b.Elapsed, r.Elapsed)
		b.PerSecond += r.PerSecond
	}
	return b, nil
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

// BenchTextModelOn runs the text session alone on the texts given,
// tokenized as the pipeline tokenizes them (texts it would leave out are
// skipped), in batches of Config.Models.MaxBatch texts of similar length
// (sorted by length: the best case for the model), cycling through them for
// at least minDuration. PerSecond is texts per second: the limit of the
// text model on exactly what an end-to-end run over the same items embeds.
func (w *Worker) BenchTextModelOn(ctx context.Context, texts []*Text, minDuration time.Duration) (*ModelBench, error) {
	tb, err := w.textBench(ctx, texts)
	if err != nil {
		return nil, err
	}
	return tb.loop(minDuration)
}

// BenchModelsTogether runs the image session (on random tensors, as
// BenchImageModel) and the text session (on texts, as BenchTextModelOn)
// at the same time, each from its own goroutine, with the worker's own
// intra-op threads, for at least minDuration: the models sharing the cores
// side by side, the way the pipeline runs them. An item needs both, so
// min(img.PerSecond, text.PerSecond) is what the models allow this way.
func (w *Worker) BenchModelsTogether(ctx context.Context, texts []*Text, minDuration time.Duration) (img, text *ModelBench, err error) {
	tb, err := w.textBench(ctx, texts)
	if err != nil {
		return nil, nil, err
	}
	var wg sync.WaitGroup
	var imgErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		img, imgErr = w.BenchImageModel(ctx, minDuration)
	}()
	text, err = tb.loop(minDuration)
	wg.Wait()
	if err = errors.Join(imgErr, err); err != nil {
		return nil, nil, err
	}
	return img, text, nil
}

// textBench is the text session with the batches of a text benchmark.
type textBench struct {
	ctx     context.Context
	model   *textModel
	batch   int
	batches [][]extract.Tokens
	texts   int
	mean    float64
}

// textBench tokenizes texts as the pipeline does and sorts them into
// batches of similar length.
func (w *Worker) textBench(ctx context.Context, texts []*Text) (*textBench, error) {
	const op = "workers.Worker.BenchTextModelOn"
	if w.models == nil || w.models.text == nil {
		return nil, itemvec.Errorf(itemvec.KindConfig, op, "the worker has no text model")
	}
	txt := w.models.text
	var seqs []extract.Tokens
	var tokens int
	for _, t := range texts {
		if t == nil {
			continue
		}
		joined := txt.spec.Text.Join(map[string]string{"title": t.Title, "description": t.Description})
		if joined == "" {
			continue
		}
		tk, err := txt.tokenizer.Tokenize(joined)
		if err != nil || len(tk.IDs) == 0 || tk.UnknownShare >= UnknownTextRatio {
			continue
		}
		seqs = append(seqs, tk)
		tokens += len(tk.IDs)
	}
	if len(seqs) == 0 {
		return nil, itemvec.Errorf(itemvec.KindBadInput, op, "none of the %d texts would be embedded", len(texts))
	}
	slices.SortStableFunc(seqs, func(a, b extract.Tokens) int { return len(a.IDs) - len(b.IDs) })
	tb := &textBench{ctx: ctx, model: txt, batch: w.cfg.Models.MaxBatch, texts: len(seqs), mean: float64(tokens) / float64(len(seqs))}
	for i := 0; i < len(seqs); i += tb.batch {
		tb.batches = append(tb.batches, seqs[i:min(i+tb.batch, len(seqs))])
	}
	return tb, nil
}

// loop cycles through the batches for at least minDuration.
func (tb *textBench) loop(minDuration time.Duration) (*ModelBench, error) {
	next, done := 0, 0
	b, err := benchLoop(tb.ctx, tb.model.spec.ID, tb.batch, minDuration, func() error {
		bt := tb.batches[next%len(tb.batches)]
		next++
		done += len(bt)
		_, err := tokensRunner{tb.model.session}.RunBatch(tb.ctx, bt)
		return err
	})
	if err != nil {
		return nil, err
	}
	// benchLoop counts full batches; count the texts actually run (the
	// warm-up run excluded).
	done -= len(tb.batches[0])
	b.PerSecond = float64(done) / b.Elapsed.Seconds()
	b.Texts, b.MeanTokens = tb.texts, tb.mean
	return b, nil
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
