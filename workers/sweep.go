package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/itemvec/itemvec/storage"
)

// DefaultSweepInterval is how often a worker sweeps its queue's archived
// tasks.
const DefaultSweepInterval = time.Minute

// sweepPage is how many archived tasks one Inspector call lists.
const sweepPage = 100

// SweepResult says what one sweep of archived tasks did.
type SweepResult struct {
	// Tasks is how many archived tasks were accounted for in this sweep
	// (each task is swept once).
	Tasks int
	// Recorded is how many of their items got a failure record because
	// they had neither a vector of that content nor a failure record.
	Recorded int
}

// sweeper makes the invariant "every enqueued item ends published or with
// a failure record that says why" hold on the paths the task handler does
// not see: asynq archives a task on its own when the worker running its
// last attempt was lost (kill -9, OOM kill, partition: the lease expired),
// and when Redis refused even the failure records. For each archived
// itemvec:embed task of its queue not swept before, the sweeper records a
// failure for every item Redis has neither a vector (with that content) nor
// a failure record for, then marks the task swept (storage.SweptKey).
// Sweeping is idempotent; several workers may sweep at once.
type sweeper struct {
	insp *asynq.Inspector
	pipe *pipeline
	// store is the worker's store; the sweep's own bookkeeping (swept
	// marks) is not part of the pipeline's VectorStore interface.
	store *storage.VectorStore
	queue string

	mu        sync.Mutex // one sweep at a time per worker
	lastCount int
	lastFull  time.Time
}

// Sweep accounts for the items of the archived tasks of the queue.
func (s *sweeper) Sweep(ctx context.Context) (SweepResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var res SweepResult
	for page := 1; ; page++ {
		tasks, err := s.insp.ListArchivedTasks(s.queue, asynq.PageSize(sweepPage), asynq.Page(page))
		if errors.Is(err, asynq.ErrQueueNotFound) {
			return res, nil
		}
		if err != nil {
			return res, fmt.Errorf("list archived tasks of queue %s: %w", s.queue, err)
		}
		n, rec, err := s.sweepTasks(ctx, tasks)
		res.Tasks += n
		res.Recorded += rec
		if err != nil || len(tasks) < sweepPage {
			return res, err
		}
	}
}

// sweepTasks accounts for one page of archived tasks.
func (s *sweeper) sweepTasks(ctx context.Context, tasks []*asynq.TaskInfo) (swept, recorded int, err error) {
	var embeds []*asynq.TaskInfo
	for _, t := range tasks {
		if t.Type == TypeEmbed {
			embeds = append(embeds, t)
		}
	}
	if len(embeds) == 0 {
		return 0, 0, nil
	}
	ids := make([]string, len(embeds))
	for i, t := range embeds {
		ids[i] = t.ID
	}
	done, err := s.store.Swept(ctx, s.pipe.space, ids...)
	if err != nil {
		return 0, 0, err
	}
	var fails []storage.Failure
	var marked []string
	now := s.pipe.now()
	for i, t := range embeds {
		if done[i] {
			continue
		}
		f, err := s.unaccounted(ctx, t, now)
		if err != nil {
			return swept, recorded, err
		}
		fails = append(fails, f...)
		marked = append(marked, t.ID)
	}
	if err := s.pipe.store.RecordFailures(ctx, s.pipe.space, fails); err != nil {
		return swept, recorded, err
	}
	if err := s.store.MarkSwept(ctx, s.pipe.space, now, marked...); err != nil {
		return swept, recorded, err
	}
	for _, f := range fails {
		s.pipe.log.Warn("item of an archived task recorded as failed", "task", f.Task, "item", f.ID, "kind", f.Kind, "reason", f.Reason)
	}
	return len(marked), len(fails), nil
}

// unaccounted returns the failure records the items of archived task t
// lack.
func (s *sweeper) unaccounted(ctx context.Context, t *asynq.TaskInfo, now time.Time) ([]storage.Failure, error) {
	var p EmbedPayload
	if err := json.Unmarshal(t.Payload, &p); err != nil {
		s.pipe.log.Error("archived task has no itemvec:embed payload; nothing to record", "task", t.ID, "err", err)
		return nil, nil
	}
	var items []Item
	seen := make(map[string]bool, len(p.Items))
	for _, it := range p.Items {
		if validateID(it.ID) != nil || seen[it.ID] {
			continue // logged by the attempt that saw it; no key can hold it
		}
		seen[it.ID] = true
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil, nil
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	states, err := s.pipe.store.States(ctx, s.pipe.space, ids...)
	if err != nil {
		return nil, err
	}
	kind, why := StageTask+"_archived", "its last error: "+t.LastErr
	if strings.Contains(t.LastErr, asynq.ErrLeaseExpired.Error()) {
		kind, why = StageTask+"_worker_lost", "the worker running its last attempt was lost (killed, out of memory, or cut off from Redis)"
	}
	var out []storage.Failure
	for i, it := range items {
		if states[i].Failed || states[i].ContentHash == s.pipe.contentHash(it) {
			continue
		}
		out = append(out, storage.Failure{
			ID:   it.ID,
			Kind: kind,
			Reason: fmt.Sprintf("task %s was archived after %d attempt(s) without a result for this item; %s; enqueue the item again",
				t.ID, t.Retried+1, why),
			Task:    t.ID,
			Attempt: t.Retried + 1,
			At:      now,
			Item:    itemJSON(&it),
		})
	}
	return out, nil
}

// run sweeps now and then every interval until ctx ends. Between full
// sweeps (every 10 intervals) it skips a sweep when the archive's size has
// not changed.
func (s *sweeper) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.tick(ctx, interval)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *sweeper) tick(ctx context.Context, interval time.Duration) {
	info, err := s.insp.GetQueueInfo(s.queue)
	count := -1
	if err == nil {
		count = info.Archived
	}
	now := time.Now()
	if count == 0 || (count == s.lastCount && now.Sub(s.lastFull) < 10*interval) {
		s.lastCount = count
		return
	}
	res, err := s.Sweep(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.pipe.log.Warn("sweep of archived tasks failed; it runs again later", "queue", s.queue, "err", err)
		}
		return
	}
	s.lastCount, s.lastFull = count, now
	if res.Recorded > 0 {
		s.pipe.log.Warn("swept archived tasks", "queue", s.queue, "tasks", res.Tasks, "items_recorded", res.Recorded)
	}
}
