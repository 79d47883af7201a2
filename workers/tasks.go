package workers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/itemvec/itemvec"
)

// TypeEmbed is the asynq task type of an embedding job.
const TypeEmbed = "itemvec:embed"

// EmbedPayload is the JSON payload of an itemvec:embed task.
type EmbedPayload struct {
	// Space is the space the task was enqueued for: only a worker of that
	// space embeds it. Empty in tasks enqueued before spaces were routed;
	// a worker takes those as its own.
	Space string `json:"space,omitempty"`
	Items []Item `json:"items"`
}

// QueueFor is the asynq queue of a space's tasks: its name. Workers of a
// space serve it, so two workers of different specs on one Redis never take
// each other's work.
func QueueFor(space string) string { return space }

// NewEmbedTask builds the task for items, for space, queued on the space's
// queue (an asynq.Queue option in opts overrides it). Its id is derived from
// the space, the payload and run (see TaskID), so enqueueing the same items
// for the same space again is deduplicated by asynq while the first task is
// still known to it (pending, running, retrying or retained as completed),
// while the same items for another space, or with another run, are new tasks.
func NewEmbedTask(space, run string, items []Item, opts ...asynq.Option) (*asynq.Task, string, error) {
	const op = "workers.NewEmbedTask"
	if space == "" {
		return nil, "", itemvec.Errorf(itemvec.KindConfig, op, "an embed task needs the space it is for")
	}
	if len(items) == 0 {
		return nil, "", itemvec.Errorf(itemvec.KindBadInput, op, "an embed task needs at least one item")
	}
	payload, err := json.Marshal(EmbedPayload{Space: space, Items: items})
	if err != nil {
		return nil, "", itemvec.Errorf(itemvec.KindBadInput, op, "encode payload: %w", err)
	}
	id := TaskID(space, run, payload)
	opts = append([]asynq.Option{asynq.TaskID(id), asynq.Queue(QueueFor(space))}, opts...)
	return asynq.NewTask(TypeEmbed, payload, opts...), id, nil
}

// TaskID derives a task id: "embed-", the space, "-", 32 hex digits of the
// payload's sha256, and "-" run when run is not empty. A run names a
// deliberate re-run (itemvec enqueue --force, itemvec failures retry): its
// tasks are new even where the same content was enqueued before.
func TaskID(space, run string, payload []byte) string {
	sum := sha256.Sum256(payload)
	id := "embed-" + space + "-" + hex.EncodeToString(sum[:16])
	if run != "" {
		id += "-" + run
	}
	return id
}

// handler adapts the worker's pipeline to asynq.
type handler struct {
	pipeline *pipeline
	log      *slog.Logger
	// forward enqueues a task of another space on that space's queue; nil
	// without Redis.
	forward TaskEnqueuer
}

// ProcessTask implements asynq.Handler for TypeEmbed.
func (h *handler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p EmbedPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("payload is not an itemvec:embed payload (%v): %w", err, asynq.SkipRetry)
	}
	if len(p.Items) == 0 {
		return fmt.Errorf("payload has no items: %w", asynq.SkipRetry)
	}
	if p.Space != "" && p.Space != h.pipeline.space {
		return h.reroute(ctx, t, p.Space)
	}
	at := Attempt{}
	at.Task, _ = asynq.GetTaskID(ctx)
	at.Retry, _ = asynq.GetRetryCount(ctx)
	at.MaxRetry, _ = asynq.GetMaxRetry(ctx)
	res, err := h.pipeline.Process(ctx, p.Items, at)
	if res != nil {
		h.log.Info("task processed", "task", at.Task, "attempt", at.Retry+1,
			"items", len(p.Items), "published", len(res.Published), "refreshed", len(res.Refreshed), "up_to_date", len(res.UpToDate),
			"failed", len(res.Failed), "retry", len(res.Retry))
	}
	h.pipeline.metrics.tasks.WithLabelValues(taskOutcome(err, at)).Inc()
	if err != nil && !itemvec.IsRetryable(err) {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return err
}

// taskOutcome names what asynq does with a task after an attempt that
// returned err.
func taskOutcome(err error, at Attempt) string {
	_, store := errors.AsType[*StoreError](err)
	switch {
	case err == nil:
		return "done"
	case store && !at.last():
		return "store_retry"
	case !itemvec.IsRetryable(err) || at.last():
		return "archived"
	default:
		return "retry"
	}
}

// reroute moves a task of another space, found on this worker's queue
// (a queue shared by hand with --queue), to its space's queue, under the
// same id, instead of embedding it into the wrong space.
func (h *handler) reroute(ctx context.Context, t *asynq.Task, space string) error {
	id, _ := asynq.GetTaskID(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	if h.forward == nil {
		return fmt.Errorf("task %s is for space %s, this worker writes %s: %w", id, space, h.pipeline.space, asynq.SkipRetry)
	}
	_, err := h.forward.EnqueueContext(ctx, asynq.NewTask(TypeEmbed, t.Payload()),
		asynq.TaskID(id), asynq.Queue(QueueFor(space)), asynq.MaxRetry(maxRetry), asynq.Retention(DefaultDedupWindow))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask) {
		return fmt.Errorf("task %s is for space %s; moving it to queue %s: %w", id, space, QueueFor(space), err)
	}
	h.log.Warn("task of another space moved to its queue", "task", id, "space", space, "worker_space", h.pipeline.space,
		"queue", QueueFor(space))
	h.pipeline.metrics.tasks.WithLabelValues("rerouted").Inc()
	return nil
}
