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
	Items []Item `json:"items"`
}

// NewEmbedTask builds the task for items. Its id is derived from the payload
// content, so enqueueing the same items again is deduplicated by asynq while
// the first task is still known to it (pending, running, retrying, archived or
// retained as completed).
func NewEmbedTask(items []Item, opts ...asynq.Option) (*asynq.Task, string, error) {
	if len(items) == 0 {
		return nil, "", itemvec.Errorf(itemvec.KindBadInput, "workers.NewEmbedTask", "an embed task needs at least one item")
	}
	payload, err := json.Marshal(EmbedPayload{Items: items})
	if err != nil {
		return nil, "", itemvec.Errorf(itemvec.KindBadInput, "workers.NewEmbedTask", "encode payload: %w", err)
	}
	id := TaskID(payload)
	opts = append([]asynq.Option{asynq.TaskID(id)}, opts...)
	return asynq.NewTask(TypeEmbed, payload, opts...), id, nil
}

// TaskID derives a task id from a payload: "embed-" and 32 hex digits of its
// sha256.
func TaskID(payload []byte) string {
	sum := sha256.Sum256(payload)
	return "embed-" + hex.EncodeToString(sum[:16])
}

// handler adapts the worker's pipeline to asynq.
type handler struct {
	pipeline *pipeline
	log      *slog.Logger
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
	at := Attempt{}
	at.Task, _ = asynq.GetTaskID(ctx)
	at.Retry, _ = asynq.GetRetryCount(ctx)
	at.MaxRetry, _ = asynq.GetMaxRetry(ctx)
	res, err := h.pipeline.Process(ctx, p.Items, at)
	if res != nil {
		h.log.Info("task processed", "task", at.Task, "attempt", at.Retry+1,
			"items", len(p.Items), "published", len(res.Published), "up_to_date", len(res.UpToDate),
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
