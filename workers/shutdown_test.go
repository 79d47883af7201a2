package workers

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/itemvec/itemvec/storage/redistest"
)

// holdEncoder holds every Submit until release is closed, and closes
// started when the first one arrives.
type holdEncoder struct {
	meanEncoder
	started, release chan struct{}
	once             sync.Once
}

func (e *holdEncoder) Submit(ctx context.Context, in []float32) ([]float32, error) {
	e.once.Do(func() { close(e.started) })
	<-e.release
	return e.meanEncoder.Submit(ctx, in)
}

// TestShutdown_MidRun: SIGTERM (Shutdown) while a task runs. Within
// ShutdownTimeout the running task finishes and the others stay queued;
// past it, the running task goes back to the queue without using an
// attempt. Either way another worker then publishes every item.
func TestShutdown_MidRun(t *testing.T) {
	for _, tc := range []struct {
		name      string
		timeout   time.Duration
		releaseIn time.Duration // when the held task may go on, after Shutdown starts
		pending   int           // tasks left in the queue after Shutdown
	}{
		{"running task finishes", 10 * time.Second, 300 * time.Millisecond, 3},
		{"running task outlives the timeout", 300 * time.Millisecond, 2 * time.Second, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rdb := redistest.Start(t).Client()
			ctx := t.Context()
			gate := &holdEncoder{started: make(chan struct{}), release: make(chan struct{})}
			first := newFixture(t, rdb, func(c *Config, p *pipelineParts) {
				c.Queue, c.Concurrency, c.ShutdownTimeout, c.PollInterval = "term", 1, tc.timeout, 50*time.Millisecond
				p.image = gate
			})
			client := asynq.NewClientFromRedisClient(rdb)
			var ids []string
			for i := range 4 {
				items := []Item{item(fmt.Sprintf("t%d-a", i), "s3://b/red.jpg"), item(fmt.Sprintf("t%d-b", i), "s3://b/blue.jpg")}
				task, _, err := NewEmbedTask(first.w.Space(), "", items, asynq.Queue("term"), asynq.MaxRetry(3))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := client.EnqueueContext(ctx, task); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, items[0].ID, items[1].ID)
			}
			if err := first.w.Start(ctx); err != nil {
				t.Fatal(err)
			}
			<-gate.started
			time.AfterFunc(tc.releaseIn, func() { close(gate.release) })
			if err := first.w.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			insp := asynq.NewInspectorFromRedisClient(rdb)
			info, err := insp.GetQueueInfo("term")
			if err != nil {
				t.Fatal(err)
			}
			if info.Pending != tc.pending || info.Active != 0 || info.Retry != 0 || info.Archived != 0 {
				t.Fatalf("after Shutdown: pending %d active %d retry %d archived %d; want %d pending only",
					info.Pending, info.Active, info.Retry, info.Archived, tc.pending)
			}
			tasks, err := insp.ListPendingTasks("term")
			if err != nil {
				t.Fatal(err)
			}
			for _, task := range tasks {
				if task.Retried != 0 {
					t.Errorf("task %s used an attempt over the shutdown (%d)", task.ID, task.Retried)
				}
			}

			second := newFixture(t, rdb, func(c *Config, _ *pipelineParts) {
				c.Queue, c.PollInterval = "term", 50*time.Millisecond
			})
			if err := second.w.Start(ctx); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				states, err := second.store.States(ctx, second.w.Space(), ids...)
				if err != nil {
					t.Fatal(err)
				}
				done := 0
				for _, s := range states {
					if s.ContentHash != "" {
						done++
					}
				}
				if done == len(ids) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d items published after the second worker ran", done, len(ids))
				}
				time.Sleep(50 * time.Millisecond)
			}
			if n := streamCounts(t, rdb, second.w.Space()); len(n) != len(ids) {
				t.Errorf("stream announces %d ids, want %d", len(n), len(ids))
			} else {
				for id, c := range n {
					if c != 1 {
						t.Errorf("%s announced %d times", id, c)
					}
				}
			}
		})
	}
}
