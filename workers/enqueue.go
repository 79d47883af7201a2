package workers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec"
)

// EnqueueConfig controls how a manifest becomes tasks.
type EnqueueConfig struct {
	// Space is the space the items are enqueued for (required): only the
	// workers of that space take the tasks, and it is part of every task id,
	// so the same manifest enqueued for two spaces is two sets of tasks.
	// SpaceFor gives the space of a model configuration.
	Space string
	// Run, when set, marks a deliberate re-run: it is appended to every
	// task id, so the tasks are new even where the same content was
	// enqueued before within the dedup window (itemvec enqueue --force uses
	// NewRun). Items already published with the same content are still
	// skipped by the workers: their vectors would not change.
	Run string
	// Batch is the number of items per task (default DefaultBatch, 16).
	Batch int
	// Queue is the asynq queue; empty (the default) means QueueFor(Space).
	Queue string
	// MaxRetry is how often a task is retried before it is archived
	// (default DefaultMaxRetry, 5; negative means 0).
	MaxRetry int
	// DedupWindow is how long a completed task is retained, so enqueueing
	// the same content again within it is a no-op (default
	// DefaultDedupWindow, 1h).
	DedupWindow time.Duration
	// MaxLineBytes bounds one manifest line, its line end not counted
	// (default DefaultMaxLineBytes, 1 MiB). A longer line is an invalid
	// line; reading holds no more than this many bytes of a line.
	MaxLineBytes int
	// Strict checks the whole manifest before enqueueing anything: when a
	// line is invalid or repeats an id, nothing is enqueued and Enqueue
	// returns an itemvec.KindBadInput error.
	Strict bool
	// Inspector, when set, lets an archived task be run again: when a
	// task id is already known to asynq as archived (it failed for good,
	// e.g. during an S3 outage), the archived task is deleted and the task
	// enqueued anew, and counted in EnqueueSummary.Rerun. Without it an
	// archived task counts as known, like a pending one.
	Inspector TaskInspector
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Progress, when set, is called after each task is enqueued (or found
	// already enqueued) with the counts so far; itemvec enqueue draws its
	// progress from it. It must return quickly.
	Progress func(EnqueueProgress)

	// retryDelays are the waits before each new attempt of a task whose
	// enqueue failed transiently (default enqueueRetryDelays).
	retryDelays []time.Duration
}

// EnqueueProgress is how far an Enqueue has come.
type EnqueueProgress struct {
	// Lines read, Items placed in tasks, Tasks new and KnownTasks already
	// enqueued, DuplicateIDs and Invalid lines rejected so far.
	Lines, Items, Tasks, KnownTasks, DuplicateIDs, Invalid int
}

// progress reports sum to cfg.Progress, if set.
func (c EnqueueConfig) progress(sum *EnqueueSummary) {
	if c.Progress != nil {
		c.Progress(EnqueueProgress{Lines: sum.Lines, Items: sum.Items, Tasks: sum.Tasks, KnownTasks: sum.KnownTasks,
			DuplicateIDs: len(sum.DuplicateIDs), Invalid: len(sum.Invalid)})
	}
}

// enqueueRetryDelays: a task whose enqueue fails transiently is tried up to
// three more times.
var enqueueRetryDelays = []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}

// WithDefaults returns a copy of c with zero fields set to their defaults.
func (c EnqueueConfig) WithDefaults() EnqueueConfig {
	if c.Batch <= 0 {
		c.Batch = DefaultBatch
	}
	c.Queue = cmp.Or(c.Queue, QueueFor(c.Space))
	if c.MaxRetry < 0 {
		c.MaxRetry = 0
	} else if c.MaxRetry == 0 {
		c.MaxRetry = DefaultMaxRetry
	}
	if c.DedupWindow <= 0 {
		c.DedupWindow = DefaultDedupWindow
	}
	if c.MaxLineBytes <= 0 {
		c.MaxLineBytes = DefaultMaxLineBytes
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.retryDelays == nil {
		c.retryDelays = enqueueRetryDelays
	}
	return c
}

// LineError is a manifest line that was not enqueued, and why. Err is an
// itemvec.KindBadInput error.
type LineError struct {
	// Line is the line's number, from 1.
	Line int
	// ID is the item id the line names, when it could be read.
	ID  string
	Err error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns Err.
func (e LineError) Unwrap() error { return e.Err }

// EnqueueSummary says what Enqueue did with every line it read:
//
//	Lines == Skipped + Items + len(DuplicateIDs) + len(Invalid) + Unsent
//
// (see [EnqueueSummary.Accounted]). When Enqueue stopped early, Lines counts
// the lines read up to there; the rest of the manifest was not read.
type EnqueueSummary struct {
	// Lines is the number of lines read.
	Lines int
	// Skipped counts blank lines and comments (lines starting with #).
	Skipped int
	// Items counts the valid items placed in tasks: KnownItems of them in
	// tasks asynq already knew, the others in new ones.
	Items int
	// KnownItems counts the items of KnownTasks.
	KnownItems int
	// Tasks counts the tasks enqueued now.
	Tasks int
	// KnownTasks counts tasks asynq already knew: the same content was
	// enqueued before for the same space, within the dedup window, and is
	// pending, running, waiting for a retry or retained as completed.
	KnownTasks int
	// Rerun counts the tasks of Tasks that replaced an archived task of the
	// same id (see EnqueueConfig.Inspector).
	Rerun int
	// TaskIDs are the ids of the new and the known tasks, in manifest order.
	TaskIDs []string
	// DuplicateIDs are the lines whose item id an earlier line already
	// had; the first line with an id is the one enqueued.
	DuplicateIDs []LineError
	// Invalid are the lines that are not one valid item.
	Invalid []LineError
	// Unsent counts valid item lines that were read but not enqueued:
	// enqueueing stopped with an error, or Strict refused the manifest.
	Unsent int
}

// Accounted reports whether every line read is counted exactly once.
func (s *EnqueueSummary) Accounted() bool {
	return s.Lines == s.Skipped+s.Items+len(s.DuplicateIDs)+len(s.Invalid)+s.Unsent
}

// TaskEnqueuer is the part of *asynq.Client Enqueue uses.
type TaskEnqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// TaskInspector is the part of *asynq.Inspector Enqueue uses to run
// archived tasks again.
type TaskInspector interface {
	GetTaskInfo(queue, id string) (*asynq.TaskInfo, error)
	DeleteTask(queue, id string) error
}

// NewRun returns a fresh run name for EnqueueConfig.Run: "r" and the
// current time in base 36 milliseconds, e.g. "rmi8k2f3a".
func NewRun(now time.Time) string { return "r" + strconv.FormatInt(now.UnixMilli(), 36) }

// Enqueue reads a JSON-lines manifest and enqueues its items in tasks of
// cfg.Batch items. The manifest is read as a stream; every line it reads is
// accounted for in the summary (see [EnqueueSummary]):
//
//   - Blank lines and lines starting with # are skipped. A UTF-8 byte order
//     mark at the start is skipped; a UTF-16 one is an itemvec.KindBadInput
//     error before anything is enqueued.
//   - A line must be exactly one JSON object of an [Item]'s fields, in valid
//     UTF-8 (and without lone surrogate escapes such as \ud800), no longer
//     than cfg.MaxLineBytes, and pass [ValidateItem]. Any other line is
//     reported in Invalid with its reason and never reaches the queue.
//   - An id that an earlier line already had is rejected and reported in
//     DuplicateIDs: the first line with an id wins.
//
// A task whose enqueue fails transiently (network, timeouts, Redis LOADING
// or READONLY) is tried again with backoff. When enqueueing fails for good,
// or ctx is done, or reading fails, Enqueue stops there without reading the
// rest: the items read but not enqueued are counted in Unsent, tasks
// enqueued before stay enqueued, and the error says where it stopped.
// Running Enqueue again on the same manifest with the same Batch is safe:
// task ids are derived from content, so tasks already enqueued are known.
//
// With cfg.Strict the whole manifest is checked first and nothing is
// enqueued unless every line is valid and every id unique. It is read
// twice: by seeking back when manifest is an io.ReadSeeker that can seek (a
// file, not a pipe), otherwise from a temporary file the first pass spools
// it to.
//
// The summary is never nil, also with an error.
func Enqueue(ctx context.Context, q TaskEnqueuer, manifest io.Reader, cfg EnqueueConfig) (*EnqueueSummary, error) {
	cfg = cfg.WithDefaults()
	if err := checkSpaceName(cfg.Space); err != nil {
		return &EnqueueSummary{}, err
	}
	var sum *EnqueueSummary
	var err error
	if cfg.Strict {
		sum, err = enqueueStrict(ctx, q, manifest, cfg)
	} else {
		sum = &EnqueueSummary{}
		err = enqueueAll(ctx, q, manifest, cfg, sum)
	}
	for _, le := range sum.Invalid {
		cfg.Logger.Warn("manifest line skipped", "line", le.Line, "reason", le.Err)
	}
	for _, le := range sum.DuplicateIDs {
		cfg.Logger.Warn("manifest line skipped", "line", le.Line, "id", le.ID, "reason", le.Err)
	}
	return sum, err
}

// enqueueStrict checks the whole manifest, then enqueues it all, or nothing.
func enqueueStrict(ctx context.Context, q TaskEnqueuer, manifest io.Reader, cfg EnqueueConfig) (*EnqueueSummary, error) {
	first, again, done, err := replayable(manifest)
	if err != nil {
		return &EnqueueSummary{}, err
	}
	defer done()
	check := &EnqueueSummary{}
	valid := 0
	if err := scanManifest(ctx, first, cfg.MaxLineBytes, check, func(int, Item) error { valid++; return nil }); err != nil {
		check.Unsent = valid
		return check, stopped(err, check.Lines, valid)
	}
	if bad := len(check.Invalid) + len(check.DuplicateIDs); bad > 0 {
		check.Unsent = valid
		return check, itemvec.Errorf(itemvec.KindBadInput, opEnqueue,
			"strict: %d of %d lines are invalid or repeat an id (%d invalid, %d duplicate ids); nothing was enqueued",
			bad, check.Lines, len(check.Invalid), len(check.DuplicateIDs))
	}
	r, err := again()
	if err != nil {
		check.Unsent = valid
		return check, itemvec.Errorf(itemvec.KindUnavailable, opEnqueue, "strict: read the manifest again: %w; nothing was enqueued", err)
	}
	sum := &EnqueueSummary{}
	return sum, enqueueAll(ctx, q, r, cfg, sum)
}

// replayable returns a reader of manifest for a first pass and a function
// that returns one for a second: manifest itself, sought back to where it
// was, when it can seek; otherwise a temporary file the first pass spools
// to. done releases the temporary file.
func replayable(manifest io.Reader) (first io.Reader, again func() (io.Reader, error), done func(), err error) {
	if rs, ok := manifest.(io.ReadSeeker); ok {
		if pos, err := rs.Seek(0, io.SeekCurrent); err == nil {
			again = func() (io.Reader, error) {
				_, err := rs.Seek(pos, io.SeekStart)
				return rs, err
			}
			return rs, again, func() {}, nil
		}
	}
	f, err := os.CreateTemp("", "itemvec-manifest-*.jsonl")
	if err != nil {
		return nil, nil, nil, itemvec.Errorf(itemvec.KindUnavailable, opEnqueue, "strict: spool the manifest: %w", err)
	}
	again = func() (io.Reader, error) {
		_, err := f.Seek(0, io.SeekStart)
		return f, err
	}
	done = func() {
		_ = f.Close()
		_ = os.Remove(f.Name())
	}
	return io.TeeReader(manifest, f), again, done, nil
}

// enqueueAll reads the manifest from r into sum and enqueues its valid items.
func enqueueAll(ctx context.Context, q TaskEnqueuer, r io.Reader, cfg EnqueueConfig, sum *EnqueueSummary) error {
	b := &batcher{q: q, cfg: cfg, sum: sum}
	err := scanManifest(ctx, r, cfg.MaxLineBytes, sum, func(line int, it Item) error { return b.add(ctx, line, it) })
	if err == nil {
		err = b.flush(ctx)
	}
	if err != nil {
		sum.Unsent += len(b.items)
		if fe, ok := errors.AsType[*flushError](err); ok {
			err = fe.err
		} else {
			err = stopped(err, sum.Lines, len(b.items))
		}
	}
	return err
}

// rerunSafe ends the error of an Enqueue that stopped part way.
const rerunSafe = "running the same command again is safe: tasks already enqueued are recognised by their content-derived ids"

// stopped is the error of an Enqueue that stopped reading after line
// because of err (ctx done, or a read error), with unsent items read but not
// enqueued.
func stopped(err error, line, unsent int) error {
	kind := itemvec.KindOf(err)
	if kind == itemvec.KindInternal {
		kind = itemvec.KindUnavailable
	}
	if kind == itemvec.KindBadInput { // the UTF-16 check: nothing was read
		return err
	}
	return &itemvec.Error{Kind: kind, Op: opEnqueue, Code: itemvec.CodeOf(err), Err: fmt.Errorf(
		"enqueue stopped after line %d: %w; %d item(s) read were not sent and the rest of the manifest was not read; %s",
		line, err, unsent, rerunSafe)}
}

// batcher groups valid items into tasks and enqueues them.
type batcher struct {
	q     TaskEnqueuer
	cfg   EnqueueConfig
	sum   *EnqueueSummary
	items []Item
	first int // line of items[0]
	last  int // line of the last item
}

// add puts the item of line in the batch and enqueues the batch when it is
// full.
func (b *batcher) add(ctx context.Context, line int, it Item) error {
	if len(b.items) == 0 {
		b.first = line
	}
	b.items = append(b.items, it)
	b.last = line
	if len(b.items) < b.cfg.Batch {
		return nil
	}
	return b.flush(ctx)
}

// flushError is the failure to enqueue the task of a batch.
type flushError struct{ err error }

func (e *flushError) Error() string { return e.err.Error() }
func (e *flushError) Unwrap() error { return e.err }

// flush enqueues the batch as one task, trying again with backoff while it
// fails transiently.
func (b *batcher) flush(ctx context.Context) error {
	if len(b.items) == 0 {
		return nil
	}
	task, id, err := NewEmbedTask(b.cfg.Space, b.cfg.Run, b.items, asynq.Queue(b.cfg.Queue), asynq.MaxRetry(b.cfg.MaxRetry), asynq.Retention(b.cfg.DedupWindow))
	if err != nil {
		return b.fail(id, itemvec.KindOf(err), err)
	}
	rerun := false
	for attempt := 0; ; attempt++ {
		_, err = b.q.EnqueueContext(ctx, task)
		if errors.Is(err, asynq.ErrTaskIDConflict) && !rerun && b.archived(id) {
			// An archived task of this id blocks nothing: run it again.
			if derr := b.cfg.Inspector.DeleteTask(b.cfg.Queue, id); derr == nil || errors.Is(derr, asynq.ErrTaskNotFound) {
				rerun = true
				_, err = b.q.EnqueueContext(ctx, task)
			}
		}
		if err == nil || errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) ||
			!transientEnqueueError(err) || attempt == len(b.cfg.retryDelays) {
			break
		}
		wait := b.cfg.retryDelays[attempt]
		b.cfg.Logger.Warn("enqueue failed, trying again", "task", id, "lines", fmt.Sprintf("%d-%d", b.first, b.last),
			"attempt", attempt+1, "in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return b.fail(id, itemvec.KindOf(ctx.Err()), fmt.Errorf("%w (after: %v)", ctx.Err(), err))
		case <-t.C:
		}
	}
	switch {
	case errors.Is(err, asynq.ErrTaskIDConflict), errors.Is(err, asynq.ErrDuplicateTask):
		b.sum.KnownTasks++
		b.sum.KnownItems += len(b.items)
	case err != nil:
		kind := itemvec.KindConfig
		switch {
		case ctx.Err() != nil:
			kind = itemvec.KindOf(ctx.Err())
		case transientEnqueueError(err):
			kind = itemvec.KindUnavailable
		}
		return b.fail(id, kind, err)
	default:
		b.sum.Tasks++
		if rerun {
			b.sum.Rerun++
		}
	}
	b.sum.Items += len(b.items)
	b.sum.TaskIDs = append(b.sum.TaskIDs, id)
	b.items = b.items[:0]
	b.cfg.progress(b.sum)
	return nil
}

// archived reports whether asynq holds task id as archived.
func (b *batcher) archived(id string) bool {
	if b.cfg.Inspector == nil {
		return false
	}
	info, err := b.cfg.Inspector.GetTaskInfo(b.cfg.Queue, id)
	return err == nil && info.State == asynq.TaskStateArchived
}

// fail is the error of the batch's task id that could not be enqueued.
func (b *batcher) fail(id string, kind itemvec.Kind, err error) error {
	lines, items := fmt.Sprintf("lines %d-%d", b.first, b.last), "items"
	if b.first == b.last {
		lines = fmt.Sprintf("line %d", b.first)
	}
	if len(b.items) == 1 {
		items = "item"
	}
	return &flushError{err: &itemvec.Error{Kind: kind, Op: opEnqueue, Err: fmt.Errorf(
		"enqueue stopped at line %d: task %s of %s (%d %s) was not enqueued: %w; the rest of the manifest was not read; %s",
		b.last, id, lines, len(b.items), items, err, rerunSafe)}}
}

// transientMarkers are texts of failures that pass. asynq flattens the
// go-redis error of its Lua scripts into a string ("redis eval error:
// ..."), so they are also matched in the message.
var transientMarkers = []string{
	"LOADING ", "READONLY ", "MASTERDOWN ", "TRYAGAIN ", "CLUSTERDOWN ", "BUSY ", "max number of clients",
	"connection refused", "connection reset", "broken pipe", "i/o timeout", "no route to host",
	"network is unreachable", "EOF", "connection pool timeout",
}

// transientEnqueueError reports whether an enqueue failure may pass if
// tried again: network failures and timeouts, and Redis replies that say
// the server is loading, failing over or busy.
func transientEnqueueError(err error) bool {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, redis.ErrClosed):
		return false
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, redis.ErrPoolTimeout),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		redis.IsLoadingError(err), redis.IsReadOnlyError(err), redis.IsMasterDownError(err),
		redis.IsTryAgainError(err), redis.IsClusterDownError(err), redis.IsMaxClientsError(err):
		return true
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	msg := err.Error()
	for _, m := range transientMarkers {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}
