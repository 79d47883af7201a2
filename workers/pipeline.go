package workers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/extract"
	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/internal/cputime"
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
	States(ctx context.Context, space string, ids ...string) ([]storage.ItemState, error)
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
	metrics   *metrics // nil: the pipeline makes its own
}

// pipeline runs items through fetch -> decode+prep -> inference -> fusion
// -> publish. It is safe for concurrent use; a Worker has one, and every
// path that embeds an item (tasks, itemvec embed) goes through it.
type pipeline struct {
	pipelineParts
	fuser       *fusion.Fuser
	prep        *extract.Preparer
	tensors     sync.Pool     // *[]float32 of prep.TensorSize(), reused once Submit returns
	decodeSlots chan struct{} // bounds concurrent decode+prep to Config.DecodeParallelism
	parallelism int
	space       string
	log         *slog.Logger
	now         func() time.Time
	stats       *Stats
	// storeRetry are the waits between the tries of a Redis write that
	// failed transiently, within one attempt of a task.
	storeRetry []time.Duration
	metrics    *metrics
	repeats    *repeatLog
}

// defaultStoreRetry rides out a Redis restart or failover of a few seconds
// within one attempt: 0.2 + 0.5 + 1 + 2 + 4 s. A longer outage ends the
// attempt with a *StoreError, which asynq retries without counting it.
var defaultStoreRetry = []time.Duration{200 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}

// newPipeline validates and hashes the fusion spec once and returns a
// pipeline; cfg has its defaults applied.
func newPipeline(parts pipelineParts, cfg Config) (*pipeline, error) {
	fuser, err := fusion.NewFuser(parts.fusion)
	if err != nil {
		return nil, err
	}
	prep, err := extract.NewPreparer(parts.imageSpec, cfg.Limits)
	if err != nil {
		return nil, err
	}
	m := parts.metrics
	if m == nil {
		m = newMetrics()
	}
	stats := &Stats{}
	m.observeStages(stats)
	repeats := newRepeatLog(cfg.Logger, m.reg, DefaultRepeatInterval, cfg.Now)
	if tm, ok := parts.text.(*textModel); ok {
		tm.warn = repeats.Warn
	}
	return &pipeline{
		metrics:       m,
		repeats:       repeats,
		pipelineParts: parts,
		fuser:         fuser,
		prep:          prep,
		decodeSlots:   make(chan struct{}, max(1, cfg.DecodeParallelism)),
		parallelism:   cfg.ItemParallelism,
		space:         parts.fusion.Space(),
		log:           cfg.Logger,
		now:           cfg.Now,
		stats:         stats,
		storeRetry:    defaultStoreRetry,
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
	// Refreshed are the ids of Published whose media (image versions, text,
	// models) were unchanged: they were re-fused from their stored vectors
	// with new behaviour counters, without fetch, decode or inference.
	Refreshed []string
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

// Process embeds and publishes items. A bad item never stops the others.
// Every item of the task ends published, up to date, recorded as failed,
// or (on a non-final attempt) in Result.Retry; the error is non-nil when
// the task should be retried (some item failed in a retryable way), when
// the last attempt still had such items (a final *RetryError: the task is
// to be archived, the items are recorded), or when Redis could not take
// the results (a *StoreError after the tries of p.storeRetry; a
// non-retryable Redis error once what could be recorded was).
func (p *pipeline) Process(ctx context.Context, items []Item, at Attempt) (res *Result, err error) {
	p.metrics.inFlight.Add(float64(len(items)))
	defer func() {
		p.metrics.inFlight.Sub(float64(len(items)))
		p.metrics.processed(res)
	}()
	res = &Result{}
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
		seen[it.ID] = true
		if err := ValidateItem(it); err != nil {
			failed = append(failed, &ItemError{ItemID: it.ID, Stage: StageValidate, Err: err})
			continue
		}
		hashes[it.ID] = p.contentHash(it)
		work = append(work, it)
	}
	// Every attempt, the first included, skips what Redis already holds:
	// asynq delivers a task again after a lost worker or a lost reply,
	// whatever its retry count says.
	var media map[string]string
	work, res.UpToDate, media = p.skipUpToDate(ctx, work, hashes)

	embs := make([]*Embedding, len(work))
	errs := make([]*ItemError, len(work))
	refreshed := make([]bool, len(work))
	sem := make(chan struct{}, p.parallelism)
	var wg sync.WaitGroup
	for i := range work {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			it := work[i]
			if e, ok := p.tryRefresh(ctx, it, hashes[it.ID], media[it.ID]); ok {
				embs[i] = e
				refreshed[i] = true
				return
			}
			embs[i], errs[i] = p.embed(ctx, it, hashes[it.ID])
		}()
	}
	wg.Wait()

	var ready []storage.ItemVector
	for i, e := range embs {
		if errs[i] != nil {
			failed, res.Retry = p.triage(errs[i], at, failed, res.Retry)
			continue
		}
		ready = append(ready, *e.Vector)
	}
	published, refused, pubErr := p.publish(ctx, ready)
	res.Published = published
	if len(published) > 0 {
		done := make(map[string]bool, len(published))
		for _, id := range published {
			done[id] = true
		}
		for i, it := range work {
			if refreshed[i] && done[it.ID] {
				res.Refreshed = append(res.Refreshed, it.ID)
				p.stats.Refresh.add(0, 1)
			}
		}
		for _, v := range ready {
			if !done[v.ID] {
				continue
			}
			for _, w := range v.Warnings {
				code, _, _ := strings.Cut(w, ":")
				p.metrics.warnings.WithLabelValues(code).Inc()
				p.log.Warn("item published with a warning", "task", at.Task, "item", v.ID, "warning", w)
			}
		}
	}
	for _, f := range refused {
		failed, res.Retry = p.triage(f, at, failed, res.Retry)
	}
	if pubErr != nil && itemvec.IsRetryable(pubErr) {
		// Redis is away: recording failures would fail too. The task comes
		// back (without counting an attempt) and redoes what is missing.
		return res, pubErr
	}
	if err := p.record(ctx, failed, at, items); err != nil {
		return res, err
	}
	res.Failed = failed
	p.logFailures(failed, at)
	if pubErr != nil {
		return res, pubErr
	}
	if len(res.Retry) > 0 {
		return res, &RetryError{Items: res.Retry}
	}
	var gaveUp []*ItemError
	for _, f := range failed {
		if f.Retryable() {
			gaveUp = append(gaveUp, f)
		}
	}
	if len(gaveUp) > 0 {
		// Failing the last attempt makes asynq archive the task with the
		// reason, where an operator looks; the items are recorded above.
		return res, &RetryError{Items: gaveUp, Final: true}
	}
	return res, nil
}

// triage files one item failure: recorded now (not retryable, or the last
// attempt) or retried with the task.
func (p *pipeline) triage(e *ItemError, at Attempt, failed, retry []*ItemError) ([]*ItemError, []*ItemError) {
	if e.Retryable() && !at.last() {
		return failed, append(retry, e)
	}
	return append(failed, e), retry
}

// publish writes ready to Redis, trying again after p.storeRetry waits
// while the error is transient, and returns the ids written, the items
// Redis refused one by one (a *storage.PartialError: WRONGTYPE on a
// foreign key) and the error that stopped the batch, if any: a *StoreError
// when Redis stayed unavailable, else the non-retryable error, with every
// unwritten item also in refused so that it gets a failure record.
func (p *pipeline) publish(ctx context.Context, ready []storage.ItemVector) (published []string, refused []*ItemError, err error) {
	todo := ready
	for try := 0; len(todo) > 0; try++ {
		start := time.Now()
		err = p.store.Publish(ctx, p.space, todo)
		p.stats.Publish.add(time.Since(start), len(todo))
		if partial, ok := errors.AsType[*storage.PartialError](err); ok {
			bad := make(map[string]bool, len(partial.Items))
			for _, it := range partial.Items {
				bad[it.ID] = true
				refused = append(refused, &ItemError{ItemID: it.ID, Stage: StagePublish, Err: it.Err})
			}
			for _, v := range todo {
				if !bad[v.ID] {
					published = append(published, v.ID)
				}
			}
			return published, refused, nil
		}
		if err == nil {
			for _, v := range todo {
				published = append(published, v.ID)
			}
			return published, refused, nil
		}
		err = itemvec.Wrap("workers.publish", fmt.Errorf("publish %d vectors to space %s: %w", len(todo), p.space, err))
		if !itemvec.IsRetryable(err) {
			for _, v := range todo {
				refused = append(refused, &ItemError{ItemID: v.ID, Stage: StagePublish, Err: err})
			}
			return published, refused, err
		}
		if try == len(p.storeRetry) || !sleep(ctx, p.storeRetry[try]) {
			return published, refused, &StoreError{Err: err}
		}
		p.log.Warn("Redis did not take the vectors; trying again", "space", p.space, "items", len(todo), "err", err)
		// The failed EXEC may have run (its reply was lost): never announce
		// an item twice on the update stream.
		var done []string
		todo, done = p.unwritten(ctx, todo)
		published = append(published, done...)
	}
	return published, refused, nil
}

// unwritten drops from todo the vectors Redis already holds with the same
// content hash. When it cannot tell, it keeps them all.
func (p *pipeline) unwritten(ctx context.Context, todo []storage.ItemVector) (rest []storage.ItemVector, done []string) {
	ids := make([]string, len(todo))
	for i, v := range todo {
		ids[i] = v.ID
	}
	states, err := p.store.States(ctx, p.space, ids...)
	if err != nil {
		return todo, nil
	}
	for i, v := range todo {
		if states[i].ContentHash == v.ContentHash {
			done = append(done, v.ID)
			continue
		}
		rest = append(rest, v)
	}
	return rest, done
}

// record writes the failure records of failed, trying again while Redis is
// transiently away; then a *StoreError.
// items are the task's items: each record keeps its item, so that
// itemvec failures retry can enqueue it again.
func (p *pipeline) record(ctx context.Context, failed []*ItemError, at Attempt, items []Item) error {
	recs := p.failureRecords(failed, at, items)
	if len(recs) == 0 {
		return nil
	}
	for try := 0; ; try++ {
		err := p.store.RecordFailures(ctx, p.space, recs)
		if err == nil {
			return nil
		}
		err = itemvec.Wrap("workers.recordFailures", fmt.Errorf("record %d item failures: %w", len(recs), err))
		if !itemvec.IsRetryable(err) {
			return err
		}
		if try == len(p.storeRetry) || !sleep(ctx, p.storeRetry[try]) {
			return &StoreError{Err: err}
		}
	}
}

func (p *pipeline) logFailures(failed []*ItemError, at Attempt) {
	for _, f := range failed {
		if itemvec.KindOf(f.Err) == itemvec.KindInternal {
			p.log.Error("item failed with an unclassified error: this is a bug in itemvec, please report it",
				"task", at.Task, "item", f.ItemID, "kind", f.Code(), "reason", f.Error())
			continue
		}
		p.repeats.Warn("item_failed:"+f.Code(), "item failed", "task", at.Task, "item", f.ItemID, "kind", f.Code(), "reason", f.Error())
	}
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (p *pipeline) failureRecords(failed []*ItemError, at Attempt, items []Item) []storage.Failure {
	if len(failed) == 0 {
		return nil
	}
	now := p.now()
	byID := make(map[string]*Item, len(items))
	for i := range items {
		if _, dup := byID[items[i].ID]; !dup {
			byID[items[i].ID] = &items[i]
		}
	}
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
			Task: at.Task, Attempt: at.Retry + 1, At: now, Item: itemJSON(byID[f.ItemID]),
		})
	}
	return out
}

// skipUpToDate drops items whose published content hash already matches,
// so a task delivered again does not redo (or re-announce) what an earlier
// delivery finished. A lookup failure is not fatal: the items are simply
// processed again.
//
// media maps the other items that have a vector to its media hash.
func (p *pipeline) skipUpToDate(ctx context.Context, work []Item, hashes map[string]string) (todo []Item, skipped []string, media map[string]string) {
	if len(work) == 0 {
		return work, nil, nil
	}
	ids := make([]string, len(work))
	for i, it := range work {
		ids[i] = it.ID
	}
	states, err := p.store.States(ctx, p.space, ids...)
	if err != nil {
		p.log.Warn("cannot check published vectors; processing every item again", "err", err)
		return work, nil, nil
	}
	for i, it := range work {
		if states[i].ContentHash != "" && states[i].ContentHash == hashes[it.ID] {
			skipped = append(skipped, it.ID)
			continue
		}
		if states[i].MediaHash != "" {
			if media == nil {
				media = make(map[string]string)
			}
			media[it.ID] = states[i].MediaHash
		}
		todo = append(todo, it)
	}
	return todo, skipped, media
}

// tryRefresh re-fuses it from its stored vector when its media are
// unchanged since (see unchangedMedia); ok is false when the item needs
// the full path.
func (p *pipeline) tryRefresh(ctx context.Context, it Item, hash, stored string) (*Embedding, bool) {
	if stored == "" || !p.unchangedMedia(ctx, it, stored) {
		return nil, false
	}
	got, err := p.store.Get(ctx, p.space, it.ID)
	if err != nil || len(got) != 1 {
		p.log.Debug("stored vector unreadable; embedding the item in full", "item", it.ID, "err", err)
		return nil, false
	}
	return p.refresh(it, hash, got[0])
}

// embed runs one item through every stage but publishing.
func (p *pipeline) embed(ctx context.Context, it Item, hash string) (*Embedding, *ItemError) {
	e := &Embedding{}
	var versions []string
	used := -1
	if len(it.Images) > 0 {
		tensor, uri, vs, ierr := p.prepareFirstImage(ctx, it)
		if ierr != nil {
			return nil, ierr
		}
		versions, used = vs, len(vs)-1
		start := time.Now()
		emb, err := p.image.Submit(ctx, *tensor)
		p.stats.Inference.add(time.Since(start), 1)
		// Submit has copied the tensor into its batch (or given up on it).
		p.tensors.Put(tensor)
		if err != nil {
			return nil, &ItemError{ItemID: it.ID, Stage: StageEncode, URI: uri, Err: err}
		}
		e.Image, e.ImageURI = emb, uri
	}
	if p.text != nil && it.Text != nil {
		start := time.Now()
		te, err := p.text.EmbedText(ctx, it.Text)
		p.stats.Text.add(time.Since(start), 1)
		p.stats.Text.addCPU(te.tokenizeCPU)
		if err != nil {
			return nil, &ItemError{ItemID: it.ID, Stage: StageText, Err: err}
		}
		e.Text = te
	}
	start := time.Now()
	var v *fusion.Vector
	var err error
	cpu := cputime.Measure(func() {
		v, err = p.fuser.Fuse(fusion.Inputs{Image: e.Image, Text: e.Text.Vector, Behavior: it.Behavior})
	})
	p.stats.Fusion.add(time.Since(start), 1)
	p.stats.Fusion.addCPU(cpu)
	if err != nil {
		return nil, &ItemError{ItemID: it.ID, Stage: StageFuse, Err: err}
	}
	e.Vector = p.itemVector(it, v, hash, p.mediaHash(it, versions, used))
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
//
// versions are the versions of the images tried, the one returned last
// ("" where the reader has none or the fetch failed).
func (p *pipeline) prepareFirstImage(ctx context.Context, it Item) (_ *[]float32, _ string, versions []string, _ *ItemError) {
	var first, retry *ItemError
	for _, uri := range it.Images {
		tensor, version, ierr := p.prepareImage(ctx, it.ID, uri)
		versions = append(versions, version)
		if ierr == nil {
			return tensor, uri, versions, nil
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
		return nil, "", nil, retry
	}
	return nil, "", nil, first
}

// prepareImage fetches one image and prepares its tensor, in a buffer from
// p.tensors that the caller puts back. Fetches run as many at once as
// items are in flight; decode+prep, which is CPU-bound, waits for one of
// p.decodeSlots.
//
// version is the object's version when the reader knows it.
func (p *pipeline) prepareImage(ctx context.Context, id, uri string) (_ *[]float32, version string, _ *ItemError) {
	start := time.Now()
	var data []byte
	var err error
	if vr, ok := p.objects.(VersionedReader); ok {
		data, version, err = vr.GetVersion(ctx, uri)
	} else {
		data, err = p.objects.Get(ctx, uri)
	}
	p.stats.Fetch.add(time.Since(start), 1)
	if err != nil {
		return nil, "", &ItemError{ItemID: id, Stage: StageFetch, URI: uri, Err: err}
	}
	select {
	case p.decodeSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, version, &ItemError{ItemID: id, Stage: StageDecode, URI: uri, Err: ctx.Err()}
	}
	tensor, _ := p.tensors.Get().(*[]float32)
	if tensor == nil {
		t := make([]float32, p.prep.TensorSize())
		tensor = &t
	}
	start = time.Now()
	cpu := cputime.Measure(func() { err = p.prep.Prepare(data, *tensor) })
	p.stats.Decode.add(time.Since(start), 1)
	p.stats.Decode.addCPU(cpu)
	<-p.decodeSlots
	if err != nil {
		p.tensors.Put(tensor)
		return nil, version, &ItemError{ItemID: id, Stage: StageDecode, URI: uri, Err: err}
	}
	return tensor, version, nil
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

// itemJSON is it as a manifest line, for its failure record; nil for nil.
func itemJSON(it *Item) json.RawMessage {
	if it == nil {
		return nil
	}
	b, err := json.Marshal(it)
	if err != nil {
		return nil // an item that came from JSON encodes again
	}
	return b
}
