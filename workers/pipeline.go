package workers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/extract"
	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/storage"
)

// ObjectReader fetches the bytes of an object named by an s3:// URI.
// *storage.S3Reader satisfies it.
type ObjectReader interface {
	Get(ctx context.Context, uri string) ([]byte, error)
}

// ImageEncoder turns one prepared image tensor into an embedding; concurrent
// calls may be batched. The worker's *onnx.Batcher satisfies it.
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

// pipelineParts are what a pipeline runs: the worker's models, or
// stand-ins in tests. All but text and store are required.
type pipelineParts struct {
	objects   ObjectReader
	image     ImageEncoder
	imageSpec extract.ImageSpec
	text      TextEncoder // nil: no text block
	store     VectorStore // nil: embedOne only
	fusion    *fusion.Spec
}

// pipeline runs items through fetch -> decode+prep -> inference -> fusion
// -> publish. It is safe for concurrent use; a Worker has one, and every
// path that embeds an item (tasks, itemvec embed) goes through it.
type pipeline struct {
	pipelineParts
	fuser       *fusion.Fuser
	limits      extract.Limits
	parallelism int
	space       string
	log         *slog.Logger
	now         func() time.Time
	stats       *Stats
}

// newPipeline validates and hashes the fusion spec once and returns a
// pipeline; cfg has its defaults applied.
func newPipeline(parts pipelineParts, cfg Config) (*pipeline, error) {
	fuser, err := fusion.NewFuser(parts.fusion)
	if err != nil {
		return nil, err
	}
	return &pipeline{
		pipelineParts: parts,
		fuser:         fuser,
		limits:        cfg.Limits,
		parallelism:   cfg.ItemParallelism,
		space:         parts.fusion.Space(),
		log:           cfg.Logger,
		now:           cfg.Now,
		stats:         &Stats{},
	}, nil
}

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

// Embedding is what embedding one item produced: the vector the worker
// stores and the model outputs it was fused from.
type Embedding struct {
	// Vector is what the worker publishes for the item.
	Vector *storage.ItemVector
	// Image is the image model's output (before fusion); nil without an
	// image. ImageURI is the image that was embedded.
	Image    []float32
	ImageURI string
	// Text is what the text model was given and returned.
	Text TextEmbedding
}

// Process embeds and publishes items. A bad item never stops the others. The
// error is non-nil when the task should be retried (some item failed in a
// retryable way, or publishing failed), or when the last attempt still had
// such items (a final *RetryError: the task is to be archived).
func (p *pipeline) Process(ctx context.Context, items []Item, at Attempt) (*Result, error) {
	res := &Result{}
	work := make([]Item, 0, len(items))
	hashes := make(map[string]string, len(items))
	seen := make(map[string]bool, len(items))
	var failed []*ItemError
	for _, it := range items {
		if err := validateID(it.ID); err != nil {
			failed = append(failed, &ItemError{ItemID: it.ID, Stage: StageValidate, Err: err, unkeyed: true})
			continue
		}
		if seen[it.ID] {
			failed = append(failed, &ItemError{ItemID: it.ID, Stage: StageValidate, Err: errDuplicateID(), unkeyed: true})
			continue
		}
		if err := ValidateItem(it); err != nil {
			failed = append(failed, &ItemError{ItemID: it.ID, Stage: StageValidate, Err: err})
			continue
		}
		seen[it.ID] = true
		hashes[it.ID] = p.contentHash(it)
		work = append(work, it)
	}
	if at.Retry > 0 && len(work) > 0 {
		work, res.UpToDate = p.skipUpToDate(ctx, work, hashes)
	}

	embs := make([]*Embedding, len(work))
	errs := make([]*ItemError, len(work))
	sem := make(chan struct{}, p.parallelism)
	var wg sync.WaitGroup
	for i := range work {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			embs[i], errs[i] = p.embed(ctx, work[i], hashes[work[i].ID])
		}()
	}
	wg.Wait()

	var ready []storage.ItemVector
	var gaveUp []*ItemError
	for i, e := range embs {
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
		ready = append(ready, *e.Vector)
	}
	if len(ready) > 0 {
		start := time.Now()
		err := p.store.Publish(ctx, p.space, ready)
		p.stats.Publish.add(time.Since(start), len(ready))
		if err != nil {
			return res, itemvec.Wrap("workers.publish", fmt.Errorf("publish %d vectors to space %s: %w", len(ready), p.space, err))
		}
		for _, v := range ready {
			res.Published = append(res.Published, v.ID)
		}
	}
	if len(failed) > 0 {
		if recs := p.failureRecords(failed, at); len(recs) > 0 {
			if err := p.store.RecordFailures(ctx, p.space, recs); err != nil {
				return res, itemvec.Wrap("workers.recordFailures", fmt.Errorf("record %d item failures: %w", len(recs), err))
			}
		}
		res.Failed = failed
		for _, f := range failed {
			if itemvec.KindOf(f.Err) == itemvec.KindInternal {
				p.log.Error("item failed with an unclassified error: this is a bug in itemvec, please report it",
					"task", at.Task, "item", f.ItemID, "kind", f.Code(), "reason", f.Error())
				continue
			}
			p.log.Warn("item failed", "task", at.Task, "item", f.ItemID, "kind", f.Code(), "reason", f.Error())
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

func (p *pipeline) failureRecords(failed []*ItemError, at Attempt) []storage.Failure {
	now := p.now()
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
			ID: f.ItemID, Kind: f.Code(), Reason: reason, URI: f.URI,
			Task: at.Task, Attempt: at.Retry + 1, At: now,
		})
	}
	return out
}

// skipUpToDate drops items whose published content hash already matches, so a
// retried task does not redo the work its earlier attempt finished. A lookup
// failure is not fatal: the items are simply processed again.
func (p *pipeline) skipUpToDate(ctx context.Context, work []Item, hashes map[string]string) (todo []Item, skipped []string) {
	ids := make([]string, len(work))
	for i, it := range work {
		ids[i] = it.ID
	}
	have, err := p.store.Get(ctx, p.space, ids...)
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
func (p *pipeline) embed(ctx context.Context, it Item, hash string) (*Embedding, *ItemError) {
	e := &Embedding{}
	if len(it.Images) > 0 {
		tensor, uri, ierr := p.prepareFirstImage(ctx, it)
		if ierr != nil {
			return nil, ierr
		}
		start := time.Now()
		emb, err := p.image.Submit(ctx, tensor)
		p.stats.Inference.add(time.Since(start), 1)
		if err != nil {
			return nil, &ItemError{ItemID: it.ID, Stage: StageEncode, URI: uri, Err: err}
		}
		e.Image, e.ImageURI = emb, uri
	}
	if p.text != nil && it.Text != nil {
		start := time.Now()
		te, err := p.text.EmbedText(ctx, it.Text)
		p.stats.Text.add(time.Since(start), 1)
		if err != nil {
			return nil, &ItemError{ItemID: it.ID, Stage: StageText, Err: err}
		}
		e.Text = te
	}
	start := time.Now()
	v, err := p.fuser.Fuse(fusion.Inputs{Image: e.Image, Text: e.Text.Vector, Behavior: it.Behavior})
	p.stats.Fusion.add(time.Since(start), 1)
	if err != nil {
		return nil, &ItemError{ItemID: it.ID, Stage: StageFuse, Err: err}
	}
	e.Vector = &storage.ItemVector{
		ID:          it.ID,
		Vector:      v.Values,
		Blocks:      v.Blocks,
		Modalities:  v.Modalities,
		SpecID:      v.SpecID,
		SpecHash:    v.SpecHash,
		ContentHash: hash,
		UpdatedAt:   p.now(),
	}
	return e, nil
}

// embedOne validates one item and embeds it without publishing: what
// itemvec embed shows.
func (p *pipeline) embedOne(ctx context.Context, it Item) (*Embedding, error) {
	if err := ValidateItem(it); err != nil {
		return nil, &ItemError{ItemID: it.ID, Stage: StageValidate, Err: err}
	}
	e, ierr := p.embed(ctx, it, p.contentHash(it))
	if ierr != nil {
		return nil, ierr
	}
	return e, nil
}

// prepareFirstImage fetches and prepares the item's images in order and
// returns the first that works. When none does, the error of the first image
// is returned, unless a later one failed retryably (then retrying may help).
func (p *pipeline) prepareFirstImage(ctx context.Context, it Item) ([]float32, string, *ItemError) {
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

func (p *pipeline) prepareImage(ctx context.Context, id, uri string) ([]float32, *ItemError) {
	start := time.Now()
	data, err := p.objects.Get(ctx, uri)
	p.stats.Fetch.add(time.Since(start), 1)
	if err != nil {
		return nil, &ItemError{ItemID: id, Stage: StageFetch, URI: uri, Err: err}
	}
	start = time.Now()
	tensor, err := extract.PrepareImage(data, p.imageSpec, p.limits)
	p.stats.Decode.add(time.Since(start), 1)
	if err != nil {
		return nil, &ItemError{ItemID: id, Stage: StageDecode, URI: uri, Err: err}
	}
	return tensor, nil
}

// contentHash identifies what a vector was computed from: the item as
// submitted and the fusion spec (which names the models). Recommenders can
// use it to tell whether a vector changed; retries use it to skip work.
func (p *pipeline) contentHash(it Item) string {
	b, _ := json.Marshal(it) // an Item always marshals: plain fields and maps with string keys
	h := sha256.New()
	h.Write([]byte(p.fuser.Hash()))
	h.Write([]byte{0})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))[:32]
}
