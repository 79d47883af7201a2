package workers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/itemvec/itemvec/extract"
	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/storage"
)

// ObjectReader fetches the bytes of an object named by an s3:// URI.
// *storage.S3Reader satisfies it.
type ObjectReader interface {
	Get(ctx context.Context, uri string) ([]byte, error)
}

// ImageEncoder turns one prepared image tensor into an embedding; concurrent
// calls may be batched. *onnx.Batcher satisfies it.
type ImageEncoder interface {
	Submit(ctx context.Context, input []float32) ([]float32, error)
}

// VectorStore receives vectors and failure records. *storage.VectorStore
// satisfies it.
type VectorStore interface {
	Publish(ctx context.Context, space string, items []storage.ItemVector) error
	RecordFailures(ctx context.Context, space string, fails []storage.Failure) error
	Get(ctx context.Context, space string, ids ...string) ([]*storage.ItemVector, error)
}

// PipelineConfig wires a Pipeline. Objects, Encoder, Store, ImageModel and
// Fusion are required.
type PipelineConfig struct {
	Objects ObjectReader
	Encoder ImageEncoder
	Store   VectorStore
	// ImageModel says how images are prepared for the encoder.
	ImageModel *onnx.ModelSpec
	// Text embeds product texts; nil leaves the text block empty.
	Text TextEncoder
	// Fusion is the versioned spec; its Space names the Redis key space.
	Fusion *fusion.Spec
	// Limits bound image bytes and pixels; zero means extract's defaults.
	Limits extract.Limits
	// ItemParallelism bounds how many items of one task are in flight at
	// once (default 64). Items run concurrently so the micro-batcher sees
	// full batches even with few worker goroutines.
	ItemParallelism int
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
}

// Pipeline runs items through fetch -> decode+prep -> inference -> fusion ->
// publish. It is safe for concurrent use.
type Pipeline struct {
	cfg   PipelineConfig
	prep  extract.ImageSpec
	fuser *fusion.Fuser
	space string
	log   *slog.Logger
	stats *Stats
}

// NewPipeline checks cfg and returns a Pipeline.
func NewPipeline(cfg PipelineConfig) (*Pipeline, error) {
	switch {
	case cfg.Objects == nil:
		return nil, errors.New("workers: PipelineConfig.Objects is nil")
	case cfg.Encoder == nil:
		return nil, errors.New("workers: PipelineConfig.Encoder is nil")
	case cfg.Store == nil:
		return nil, errors.New("workers: PipelineConfig.Store is nil")
	case cfg.ImageModel == nil || cfg.ImageModel.Image == nil:
		return nil, errors.New("workers: PipelineConfig.ImageModel has no image section")
	case cfg.Fusion == nil:
		return nil, errors.New("workers: PipelineConfig.Fusion is nil")
	}
	if cfg.ItemParallelism <= 0 {
		cfg.ItemParallelism = 64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	fuser, err := fusion.NewFuser(cfg.Fusion)
	if err != nil {
		return nil, err
	}
	return &Pipeline{
		cfg:   cfg,
		prep:  cfg.ImageModel.Image.WithDefaults(),
		fuser: fuser,
		space: cfg.Fusion.Space(),
		log:   cfg.Logger,
		stats: &Stats{},
	}, nil
}

// Space is the Redis key space this pipeline writes to.
func (p *Pipeline) Space() string { return p.space }

// Stats returns the pipeline's cumulative per-stage counters.
func (p *Pipeline) Stats() *Stats { return p.stats }

// Attempt describes which try of a task this is.
type Attempt struct {
	Task     string
	Retry    int
	MaxRetry int
}

func (a Attempt) last() bool { return a.Retry >= a.MaxRetry }

// Result is what one Process call did.
type Result struct {
	// Published are the ids whose vectors were written.
	Published []string
	// UpToDate are ids skipped on a retry because Redis already holds a
	// vector with the same content hash.
	UpToDate []string
	// Failed are items recorded as failed in Redis (bad input, or retryable
	// errors on the last attempt).
	Failed []*ItemError
	// Retry are items that failed with a retryable error on a non-final
	// attempt; Process returns a *RetryError when there are any. On the last
	// attempt such items are in Failed and Process returns a final
	// *RetryError, so asynq archives the task with the reason.
	Retry []*ItemError
}

// Process embeds and publishes items. A bad item never stops the others. The
// error is non-nil when the task should be retried (some item failed in a
// retryable way, or publishing failed), or when the last attempt still had
// such items (a final *RetryError: the task is to be archived).
func (p *Pipeline) Process(ctx context.Context, items []Item, at Attempt) (*Result, error) {
	res := &Result{}
	work := make([]Item, 0, len(items))
	hashes := make(map[string]string, len(items))
	seen := make(map[string]bool, len(items))
	var failed []*ItemError
	for _, it := range items {
		if err := validateID(it.ID); err != nil {
			failed = append(failed, &ItemError{ItemID: it.ID, Stage: "validate", Err: err, unkeyed: true})
			continue
		}
		if seen[it.ID] {
			failed = append(failed, &ItemError{ItemID: it.ID, Stage: "validate", Err: errDuplicateID, unkeyed: true})
			continue
		}
		if err := validateItem(it); err != nil {
			failed = append(failed, &ItemError{ItemID: it.ID, Stage: "validate", Err: err})
			continue
		}
		seen[it.ID] = true
		hashes[it.ID] = p.contentHash(it)
		work = append(work, it)
	}
	if at.Retry > 0 && len(work) > 0 {
		work, res.UpToDate = p.skipUpToDate(ctx, work, hashes)
	}

	vecs := make([]*storage.ItemVector, len(work))
	errs := make([]*ItemError, len(work))
	sem := make(chan struct{}, p.cfg.ItemParallelism)
	var wg sync.WaitGroup
	for i := range work {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			vecs[i], errs[i] = p.embed(ctx, work[i], hashes[work[i].ID])
		}()
	}
	wg.Wait()

	var ready []storage.ItemVector
	var gaveUp []*ItemError
	for i, v := range vecs {
		if errs[i] != nil {
			switch {
			case !errs[i].Retryable():
				failed = append(failed, errs[i])
			case at.last():
				failed = append(failed, errs[i])
				gaveUp = append(gaveUp, errs[i])
			default:
				res.Retry = append(res.Retry, errs[i])
			}
			continue
		}
		ready = append(ready, *v)
	}
	if len(ready) > 0 {
		start := time.Now()
		err := p.cfg.Store.Publish(ctx, p.space, ready)
		p.stats.Publish.add(time.Since(start), len(ready))
		if err != nil {
			return res, fmt.Errorf("publish %d vectors to space %s: %w", len(ready), p.space, err)
		}
		for _, v := range ready {
			res.Published = append(res.Published, v.ID)
		}
	}
	if len(failed) > 0 {
		if recs := p.failureRecords(failed, at); len(recs) > 0 {
			if err := p.cfg.Store.RecordFailures(ctx, p.space, recs); err != nil {
				return res, fmt.Errorf("record %d item failures: %w", len(recs), err)
			}
		}
		res.Failed = failed
		for _, f := range failed {
			p.log.Warn("item failed", "task", at.Task, "item", f.ItemID, "kind", f.Kind(), "reason", f.Error())
		}
	}
	if len(res.Retry) > 0 {
		return res, &RetryError{Items: res.Retry}
	}
	if len(gaveUp) > 0 {
		// Failing the last attempt makes asynq archive the task with the
		// reason, where an operator looks; the items are recorded above.
		return res, &RetryError{Items: gaveUp, Final: true}
	}
	return res, nil
}

// RetryError says some items of a task failed in a way another attempt may
// fix. Final means this was the last attempt: the items were recorded as
// failed and the task is to be archived. Its message names the first few.
type RetryError struct {
	Items []*ItemError
	Final bool
}

func (e *RetryError) Error() string {
	msg := fmt.Sprintf("%d item(s) failed with retryable errors", len(e.Items))
	if e.Final {
		msg = fmt.Sprintf("gave up on %d item(s) after the last attempt (recorded as failed)", len(e.Items))
	}
	for i, it := range e.Items {
		if i == 3 {
			msg += "; …"
			break
		}
		msg += "; " + it.Error()
	}
	return msg
}

// Retryable is always true.
func (e *RetryError) Retryable() bool { return true }

func (p *Pipeline) failureRecords(failed []*ItemError, at Attempt) []storage.Failure {
	now := p.cfg.Now()
	out := make([]storage.Failure, 0, len(failed))
	for _, f := range failed {
		if f.unkeyed {
			continue
		}
		reason := f.Error()
		if f.Retryable() {
			reason = fmt.Sprintf("gave up after %d attempts: %s", at.Retry+1, reason)
		}
		out = append(out, storage.Failure{
			ID: f.ItemID, Kind: f.Kind(), Reason: reason, URI: f.URI,
			Task: at.Task, Attempt: at.Retry + 1, At: now,
		})
	}
	return out
}

// skipUpToDate drops items whose published content hash already matches, so a
// retried task does not redo the work its earlier attempt finished. A lookup
// failure is not fatal: the items are simply processed again.
func (p *Pipeline) skipUpToDate(ctx context.Context, work []Item, hashes map[string]string) (todo []Item, skipped []string) {
	ids := make([]string, len(work))
	for i, it := range work {
		ids[i] = it.ID
	}
	have, err := p.cfg.Store.Get(ctx, p.space, ids...)
	if err != nil {
		p.log.Warn("cannot check published vectors; processing every item again", "err", err)
		return work, nil
	}
	for i, it := range work {
		if i < len(have) && have[i] != nil && have[i].ContentHash == hashes[it.ID] {
			skipped = append(skipped, it.ID)
			continue
		}
		todo = append(todo, it)
	}
	return todo, skipped
}

// embed runs one item through every stage but publishing.
func (p *Pipeline) embed(ctx context.Context, it Item, hash string) (*storage.ItemVector, *ItemError) {
	var image []float32
	if len(it.Images) > 0 {
		tensor, uri, ierr := p.prepareFirstImage(ctx, it)
		if ierr != nil {
			return nil, ierr
		}
		start := time.Now()
		emb, err := p.cfg.Encoder.Submit(ctx, tensor)
		p.stats.Inference.add(time.Since(start), 1)
		if err != nil {
			return nil, &ItemError{ItemID: it.ID, Stage: "encode", URI: uri, Err: err}
		}
		image = emb
	}
	var text []float32
	if p.cfg.Text != nil && it.Text != nil {
		start := time.Now()
		emb, err := p.cfg.Text.EmbedText(ctx, it.Text)
		p.stats.Text.add(time.Since(start), 1)
		if err != nil {
			return nil, &ItemError{ItemID: it.ID, Stage: "text", Err: err}
		}
		text = emb
	}
	start := time.Now()
	v, err := p.fuser.Fuse(fusion.Inputs{Image: image, Text: text, Behavior: it.Behavior})
	p.stats.Fusion.add(time.Since(start), 1)
	if err != nil {
		return nil, &ItemError{ItemID: it.ID, Stage: "fuse", Err: err}
	}
	return &storage.ItemVector{
		ID:          it.ID,
		Vector:      v.Values,
		Blocks:      v.Blocks,
		Modalities:  v.Modalities,
		SpecID:      v.SpecID,
		SpecHash:    v.SpecHash,
		ContentHash: hash,
		UpdatedAt:   p.cfg.Now(),
	}, nil
}

// prepareFirstImage fetches and prepares the item's images in order and
// returns the first that works. When none does, the error of the first image
// is returned, unless a later one failed retryably (then retrying may help).
func (p *Pipeline) prepareFirstImage(ctx context.Context, it Item) ([]float32, string, *ItemError) {
	var first, retry *ItemError
	for _, uri := range it.Images {
		tensor, ierr := p.prepareImage(ctx, it.ID, uri)
		if ierr == nil {
			return tensor, uri, nil
		}
		if first == nil {
			first = ierr
		}
		if retry == nil && ierr.Retryable() {
			retry = ierr
		}
		if ctx.Err() != nil {
			break
		}
	}
	if retry != nil {
		return nil, "", retry
	}
	return nil, "", first
}

func (p *Pipeline) prepareImage(ctx context.Context, id, uri string) ([]float32, *ItemError) {
	start := time.Now()
	data, err := p.cfg.Objects.Get(ctx, uri)
	p.stats.Fetch.add(time.Since(start), 1)
	if err != nil {
		return nil, &ItemError{ItemID: id, Stage: "fetch", URI: uri, Err: err}
	}
	start = time.Now()
	tensor, err := extract.PrepareImage(data, p.prep, p.cfg.Limits)
	p.stats.Decode.add(time.Since(start), 1)
	if err != nil {
		return nil, &ItemError{ItemID: id, Stage: "decode", URI: uri, Err: err}
	}
	return tensor, nil
}

// contentHash identifies what a vector was computed from: the item as
// submitted and the fusion spec (which names the models). Recommenders can
// use it to tell whether a vector changed; retries use it to skip work.
func (p *Pipeline) contentHash(it Item) string {
	b, _ := json.Marshal(it) // an Item always marshals: plain fields and maps with string keys
	h := sha256.New()
	h.Write([]byte(p.fuser.Hash()))
	h.Write([]byte{0})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))[:32]
}
