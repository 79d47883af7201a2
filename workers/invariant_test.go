package workers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
)

// faultStore wraps the real store: plan decides, per Publish or
// RecordFailures call (counted from 1), what goes wrong.
type faultStore struct {
	*storage.VectorStore
	mu        sync.Mutex
	publishes int
	records   int
	// publish returns the fault of Publish call n: nil (pass), or an
	// error; with afterWrite the write happens and then the error is
	// returned (the reply was lost).
	publish func(n int) (err error, afterWrite bool)
	record  func(n int) error
}

func (s *faultStore) Publish(ctx context.Context, space string, items []storage.ItemVector) error {
	s.mu.Lock()
	s.publishes++
	n := s.publishes
	s.mu.Unlock()
	if s.publish != nil {
		if err, after := s.publish(n); err != nil {
			if after {
				if werr := s.VectorStore.Publish(ctx, space, items); werr != nil {
					return werr
				}
			}
			return err
		}
	}
	return s.VectorStore.Publish(ctx, space, items)
}

func (s *faultStore) RecordFailures(ctx context.Context, space string, fails []storage.Failure) error {
	s.mu.Lock()
	s.records++
	n := s.records
	s.mu.Unlock()
	if s.record != nil {
		if err := s.record(n); err != nil {
			return err
		}
	}
	return s.VectorStore.RecordFailures(ctx, space, fails)
}

func unavailable(msg string) error {
	return &itemvec.Error{Kind: itemvec.KindUnavailable, Op: "storage.VectorStore.Publish", Code: storage.CodeUnavailable, Err: errors.New(msg)}
}

func outOfMemory() error {
	return &itemvec.Error{Kind: itemvec.KindConfig, Op: "storage.VectorStore.Publish", Code: storage.CodeOutOfMemory,
		Err: errors.New("itemvec:x: Redis is out of memory: OOM command not allowed")}
}

// newFaultFixture is a fixture on a real redis-server whose pipeline
// writes through fs (wrapping the real store) and retries Redis writes
// after 1 ms waits.
func newFaultFixture(t *testing.T, fs *faultStore) (*fixture, redis.UniversalClient) {
	t.Helper()
	rdb := redistest.Start(t).Client()
	f := newFixture(t, rdb, func(_ *Config, p *pipelineParts) {
		fs.VectorStore = storage.NewVectorStore(rdb, storage.StoreConfig{Logger: quietLogger()})
		p.store = fs
	})
	f.w.pipe.storeRetry = []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}
	return f, rdb
}

// streamCounts counts the update-stream entries per item id.
func streamCounts(t *testing.T, rdb redis.UniversalClient, space string) map[string]int {
	t.Helper()
	msgs, err := rdb.XRange(t.Context(), storage.StreamKey(space), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, m := range msgs {
		out[fmt.Sprint(m.Values["id"])]++
	}
	return out
}

// accounted checks the invariant for ids: each is published or has a
// failure record, and none is announced twice.
func accounted(t *testing.T, f *fixture, rdb redis.UniversalClient, ids ...string) {
	t.Helper()
	states, err := f.store.States(t.Context(), f.w.Space(), ids...)
	if err != nil {
		t.Fatal(err)
	}
	counts := streamCounts(t, rdb, f.w.Space())
	for i, id := range ids {
		if states[i].ContentHash == "" && !states[i].Failed {
			t.Errorf("item %s lost: neither published nor recorded as failed", id)
		}
		if counts[id] > 1 {
			t.Errorf("item %s announced %d times on the update stream", id, counts[id])
		}
	}
}

func TestProcess_RedisWriteFaults(t *testing.T) {
	items := []Item{item("a", "s3://b/red.jpg"), item("b", "s3://b/blue.jpg"), item("c")}
	ids := []string{"a", "b", "c"}
	tests := []struct {
		name          string
		fs            *faultStore
		wantPublished int
		wantErr       func(error) bool
		wantFailKind  string // kind of every recorded failure, "" for none
	}{
		{
			name: "transient twice, then through",
			fs: &faultStore{publish: func(n int) (error, bool) {
				if n <= 2 {
					return unavailable("LOADING Redis is loading the dataset in memory"), false
				}
				return nil, false
			}},
			wantPublished: 3,
			wantErr:       func(err error) bool { return err == nil },
		},
		{
			name: "written but the reply was lost: not announced twice",
			fs: &faultStore{publish: func(n int) (error, bool) {
				if n == 1 {
					return unavailable("read: connection reset by peer"), true
				}
				return nil, false
			}},
			wantPublished: 3,
			wantErr:       func(err error) bool { return err == nil },
		},
		{
			name: "away for longer than the attempt: a StoreError, nothing recorded",
			fs: &faultStore{publish: func(int) (error, bool) {
				return unavailable("dial tcp: connection refused"), false
			}},
			wantPublished: 0,
			wantErr: func(err error) bool {
				_, ok := errors.AsType[*StoreError](err)
				return ok && itemvec.IsRetryable(err)
			},
		},
		{
			name:          "out of memory: every item recorded at the publish stage",
			fs:            &faultStore{publish: func(int) (error, bool) { return outOfMemory(), false }},
			wantPublished: 0,
			wantErr:       func(err error) bool { return err != nil && !itemvec.IsRetryable(err) },
			wantFailKind:  "publish_out_of_memory",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, rdb := newFaultFixture(t, tc.fs)
			res, err := f.w.pipe.Process(t.Context(), items, Attempt{Task: "t", MaxRetry: 3})
			if !tc.wantErr(err) {
				t.Fatalf("Process error = %v", err)
			}
			if len(res.Published) != tc.wantPublished {
				t.Errorf("published %v, want %d items", res.Published, tc.wantPublished)
			}
			fails, ferr := f.store.Failures(t.Context(), f.w.Space(), 0)
			if ferr != nil {
				t.Fatal(ferr)
			}
			if tc.wantFailKind == "" && len(fails) != 0 {
				t.Errorf("failures recorded: %+v", fails)
			}
			for _, fl := range fails {
				if fl.Kind != tc.wantFailKind || !strings.Contains(fl.Reason, "out of memory") {
					t.Errorf("failure %+v, want kind %s with the reason", fl, tc.wantFailKind)
				}
			}
			if _, store := errors.AsType[*StoreError](err); store {
				// The task comes back: once Redis is there, everything is
				// published exactly once.
				tc.fs.publish = nil
				if _, err := f.w.pipe.Process(t.Context(), items, Attempt{Task: "t", MaxRetry: 3}); err != nil {
					t.Fatalf("after the outage: %v", err)
				}
			}
			accounted(t, f, rdb, ids...)
		})
	}
}

func TestProcess_RecordFailuresTransientThenThrough(t *testing.T) {
	fs := &faultStore{record: func(n int) error {
		if n == 1 {
			return unavailable("LOADING")
		}
		return nil
	}}
	f, rdb := newFaultFixture(t, fs)
	_, err := f.w.pipe.Process(t.Context(), []Item{item("ok", "s3://b/red.jpg"), item("gone", "s3://b/nope.jpg")}, Attempt{Task: "t"})
	if err != nil {
		t.Fatal(err)
	}
	accounted(t, f, rdb, "ok", "gone")
}

func TestProcess_RedeliveredTaskIsNotAnnouncedTwice(t *testing.T) {
	f, rdb := newFaultFixture(t, &faultStore{})
	items := []Item{item("a", "s3://b/red.jpg"), item("b")}
	for range 2 { // asynq redelivers after a lost worker with the same retry count
		if _, err := f.w.pipe.Process(t.Context(), items, Attempt{Task: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := streamCounts(t, rdb, f.w.Space()); n["a"] != 1 || n["b"] != 1 {
		t.Errorf("stream entries per item = %v, want 1 each", n)
	}
}

func TestServer_StoreErrorDoesNotUseAnAttempt(t *testing.T) {
	isFailure := serverIsFailure
	if isFailure(fmt.Errorf("wrapped: %w", &StoreError{Err: unavailable("x")})) {
		t.Error("a StoreError counts as a failed attempt")
	}
	if !isFailure(&RetryError{}) || !isFailure(asynq.ErrLeaseExpired) {
		t.Error("item retries and lost workers must count as attempts")
	}
}

// TestSweep_RecordsItemsOfArchivedTasks runs the sweep against real asynq
// state on a real redis-server: an archived task whose items are partly
// published and partly recorded gets records for the rest, once.
func TestSweep_RecordsItemsOfArchivedTasks(t *testing.T) {
	rdb := redistest.Start(t).Client()
	f := newFixture(t, rdb)
	ctx := t.Context()
	items := []Item{item("published", "s3://b/red.jpg"), item("recorded", "s3://b/nope.jpg"), item("lost", "s3://b/blue.jpg"), item("stale")}
	// "published" and "recorded" are done; "stale" has a vector of other content.
	if _, err := f.w.pipe.Process(ctx, items[:2], Attempt{Task: "earlier"}); err != nil {
		t.Fatal(err)
	}
	old := item("stale")
	old.Behavior.Price = 1
	if _, err := f.w.pipe.Process(ctx, []Item{old}, Attempt{Task: "earlier"}); err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClientFromRedisClient(rdb)
	task, id, err := NewEmbedTask(f.w.Space(), "", items, asynq.Queue(f.w.cfg.Queue))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.EnqueueContext(ctx, task); err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	if err := insp.ArchiveTask(f.w.cfg.Queue, id); err != nil {
		t.Fatal(err)
	}

	res, err := f.w.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Tasks != 1 || res.Recorded != 2 {
		t.Fatalf("sweep = %+v, want 1 task and 2 items (lost, stale) recorded", res)
	}
	fails, err := f.store.Failures(ctx, f.w.Space(), 0)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]storage.Failure{}
	for _, fl := range fails {
		byID[fl.ID] = fl
	}
	for _, want := range []string{"lost", "stale"} {
		fl, ok := byID[want]
		if !ok || fl.Kind != "task_archived" || fl.Task != id || !strings.Contains(fl.Reason, "was archived") {
			t.Errorf("%s: record %+v, want a task_archived record of task %s", want, fl, id)
		}
	}
	if byID["recorded"].Kind != "fetch_object_missing" {
		t.Errorf("the existing record was replaced: %+v", byID["recorded"])
	}
	if again, err := f.w.Sweep(ctx); err != nil || again.Tasks != 0 || again.Recorded != 0 {
		t.Errorf("second sweep = %+v, %v; want nothing to do", again, err)
	}
	accounted(t, f, rdb, "published", "recorded", "lost", "stale")
}
