package workers

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
)

// EnqueueConfig controls how a manifest becomes tasks.
type EnqueueConfig struct {
	// Batch is the number of items per task (default DefaultBatch, 16).
	Batch int
	// Queue is the asynq queue (default DefaultQueue).
	Queue string
	// MaxRetry is how often a task is retried before it is archived
	// (default DefaultMaxRetry, 5; negative means 0).
	MaxRetry int
	// DedupWindow is how long a completed task is retained, so enqueueing
	// the same content again within it is a no-op (default
	// DefaultDedupWindow, 1h).
	DedupWindow time.Duration
	// MaxLineBytes bounds one manifest line (default DefaultMaxLineBytes,
	// 1 MiB).
	MaxLineBytes int
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// WithDefaults returns a copy of c with zero fields set to their defaults.
func (c EnqueueConfig) WithDefaults() EnqueueConfig {
	if c.Batch <= 0 {
		c.Batch = DefaultBatch
	}
	c.Queue = cmp.Or(c.Queue, DefaultQueue)
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
	return c
}

// LineError is a manifest line that was not enqueued.
type LineError struct {
	Line int
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// EnqueueSummary says what Enqueue did.
type EnqueueSummary struct {
	Items      int
	Tasks      int
	Duplicates int // tasks asynq already knew (same content enqueued before)
	TaskIDs    []string
	Invalid    []LineError
}

// TaskEnqueuer is the part of *asynq.Client Enqueue uses.
type TaskEnqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Enqueue reads a JSON-lines manifest (one Item per line; blank lines and
// lines starting with # are skipped), checks every item, and enqueues the
// valid ones in tasks of cfg.Batch items. Invalid lines are reported in the
// summary and never reach the queue. An error is returned only when reading
// or enqueueing fails; tasks enqueued before that stay enqueued, and running
// Enqueue again is safe because task ids are derived from content.
func Enqueue(ctx context.Context, q TaskEnqueuer, manifest io.Reader, cfg EnqueueConfig) (*EnqueueSummary, error) {
	cfg = cfg.WithDefaults()
	sum := &EnqueueSummary{}
	sc := bufio.NewScanner(manifest)
	sc.Buffer(make([]byte, 64*1024), cfg.MaxLineBytes)
	var batch []Item
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		task, id, err := NewEmbedTask(batch, asynq.Queue(cfg.Queue), asynq.MaxRetry(cfg.MaxRetry), asynq.Retention(cfg.DedupWindow))
		if err != nil {
			return err
		}
		_, err = q.EnqueueContext(ctx, task)
		switch {
		case errors.Is(err, asynq.ErrTaskIDConflict), errors.Is(err, asynq.ErrDuplicateTask):
			sum.Duplicates++
		case err != nil:
			return fmt.Errorf("enqueue task %s: %w", id, err)
		default:
			sum.Tasks++
		}
		sum.Items += len(batch)
		sum.TaskIDs = append(sum.TaskIDs, id)
		batch = batch[:0]
		return nil
	}
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		var it Item
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&it); err != nil {
			sum.Invalid = append(sum.Invalid, LineError{Line: line, Err: fmt.Errorf("not an item: %w", err)})
			continue
		}
		if err := ValidateItem(it); err != nil {
			sum.Invalid = append(sum.Invalid, LineError{Line: line, Err: err})
			continue
		}
		batch = append(batch, it)
		if len(batch) == cfg.Batch {
			if err := flush(); err != nil {
				return sum, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line %d is longer than %d bytes: %w", line+1, cfg.MaxLineBytes, err)
		}
		return sum, fmt.Errorf("read manifest: %w", err)
	}
	if err := flush(); err != nil {
		return sum, err
	}
	for _, le := range sum.Invalid {
		cfg.Logger.Warn("manifest line skipped", "line", le.Line, "reason", le.Err)
	}
	return sum, nil
}
