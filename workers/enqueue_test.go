package workers

import (
	"context"
	"errors"
	"image/color"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
)

const manifest = `# a comment, then a blank line

{"id":"a","images":["s3://b/red.jpg"],"behavior":{"price":1,"rating":4,"devices":{"pc":{"views":10,"clicks":1,"carts":0,"orders":0}}}}
{"id":"b","images":["s3://b/blue.jpg"]}
{"id":"c","images":["s3://b/zero.jpg"]}
not json
{"id":"","images":["s3://b/red.jpg"]}
{"id":"d","images":["ftp://b/red.jpg"]}
{"id":"e","imagez":["s3://b/red.jpg"]}
{"id":"f","images":["s3://b/blue.jpg"],"text":{"title":"Blue"}}
`

// redisBackends runs a test against miniredis and a real redis-server.
func redisBackends(t *testing.T, fn func(t *testing.T, rdb redis.UniversalClient)) {
	t.Run("miniredis", func(t *testing.T) {
		mr := miniredis.RunT(t)
		rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		t.Cleanup(func() { rdb.Close() })
		fn(t, rdb)
	})
	t.Run("redis-server", func(t *testing.T) {
		if testing.Short() {
			t.Skip("-short: no redis-server")
		}
		fn(t, redistest.Start(t).Client())
	})
}

func TestEnqueueGroupsValidatesAndDeduplicates(t *testing.T) {
	redisBackends(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		client := asynq.NewClientFromRedisClient(rdb)
		sum, err := Enqueue(ctx, client, strings.NewReader(manifest), EnqueueConfig{Batch: 2})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Items != 4 || sum.Tasks != 2 || sum.Duplicates != 0 {
			t.Errorf("summary %+v, want 4 items in 2 tasks", sum)
		}
		var lines []int
		for _, le := range sum.Invalid {
			lines = append(lines, le.Line)
		}
		if want := []int{6, 7, 8, 9}; !equalInts(lines, want) {
			t.Errorf("invalid lines %v, want %v (%v)", lines, want, sum.Invalid)
		}
		again, err := Enqueue(ctx, client, strings.NewReader(manifest), EnqueueConfig{Batch: 2})
		if err != nil {
			t.Fatal(err)
		}
		if again.Tasks != 0 || again.Duplicates != 2 {
			t.Errorf("re-enqueue: %+v, want 2 duplicates and no new task", again)
		}
		info, err := asynq.NewInspectorFromRedisClient(rdb).GetQueueInfo("default")
		if err != nil {
			t.Fatal(err)
		}
		if info.Pending != 2 {
			t.Errorf("queue holds %d pending tasks, want 2", info.Pending)
		}
	})
}

// TestServerDrainsQueue runs the asynq server wiring with the stand-in
// encoder: every good item ends in Redis, bad ones are recorded, and the
// queue drains.
func TestServerDrainsQueue(t *testing.T) {
	redisBackends(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb, func(c *Config, _ *pipelineParts) { c.Concurrency = 2 })
		f.objects.data["s3://b/green.jpg"] = testJPEG(t, color.RGBA{G: 200})
		if err := f.w.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		defer f.w.Shutdown(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		sum, err := Enqueue(ctx, asynq.NewClientFromRedisClient(rdb), strings.NewReader(manifest), EnqueueConfig{Batch: 3})
		if err != nil {
			t.Fatal(err)
		}
		if err := waitDrained(ctx, asynq.NewInspectorFromRedisClient(rdb), "default"); err != nil {
			t.Fatal(err)
		}
		store := f.store
		got, err := store.Get(ctx, f.w.Space(), "a", "b", "f", "c")
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range []string{"a", "b", "f"} {
			if got[i] == nil {
				t.Errorf("%s was not published", id)
			}
		}
		if got[3] != nil {
			t.Errorf("zero-byte item c was published")
		}
		fails, err := store.Failures(ctx, f.w.Space(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(fails) != 1 || fails[0].ID != "c" || fails[0].Kind != "decode_empty" {
			t.Errorf("failures %+v, want item c decode_empty", fails)
		}
		if sum.Items != 4 {
			t.Errorf("enqueued %d items", sum.Items)
		}
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRetryThenArchive: an object that keeps failing in a retryable way makes
// asynq retry the task; after the last retry the item is recorded with the
// reason, the task is archived with it, and its batch-mate is published.
func TestRetryThenArchive(t *testing.T) {
	redisBackends(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb, func(c *Config, _ *pipelineParts) {
			c.Concurrency, c.PollInterval = 1, 20*time.Millisecond
			c.RetryDelay = func(int) time.Duration { return 10 * time.Millisecond }
		})
		f.objects.errs = map[string]error{
			"s3://b/flaky.jpg": &itemvec.Error{Kind: itemvec.KindUnavailable, Op: "storage.S3Reader.Get", Code: storage.CodeUnavailable,
				Err: errors.New("s3://b/flaky.jpg: service unavailable, retry later: 503 Service Unavailable")},
		}
		if err := f.w.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		defer f.w.Shutdown(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		m := `{"id":"ok","images":["s3://b/red.jpg"]}
{"id":"flaky","images":["s3://b/flaky.jpg"]}
`
		if _, err := Enqueue(ctx, asynq.NewClientFromRedisClient(rdb), strings.NewReader(m), EnqueueConfig{MaxRetry: 2}); err != nil {
			t.Fatal(err)
		}
		insp := asynq.NewInspectorFromRedisClient(rdb)
		if err := waitDrained(ctx, insp, "default"); err != nil {
			t.Fatal(err)
		}
		if n := f.objects.gets["s3://b/flaky.jpg"]; n != 3 {
			t.Errorf("flaky object fetched %d times, want 3 (1 try + 2 retries)", n)
		}
		if n := f.objects.gets["s3://b/red.jpg"]; n != 1 {
			t.Errorf("published item fetched %d times; retries must skip it", n)
		}
		archived, err := insp.ListArchivedTasks("default")
		if err != nil {
			t.Fatal(err)
		}
		if len(archived) != 1 || archived[0].Retried != 2 || !strings.Contains(archived[0].LastErr, "503 Service Unavailable") {
			t.Fatalf("archived %+v, want one task retried twice with the S3 reason", archived)
		}
		store := f.store
		fails, _ := store.Failures(ctx, f.w.Space(), 10)
		if len(fails) != 1 || fails[0].ID != "flaky" || !strings.Contains(fails[0].Reason, "gave up after 3 attempts") {
			t.Errorf("failures %+v", fails)
		}
		if got, _ := store.Get(ctx, f.w.Space(), "ok"); got[0] == nil {
			t.Error("the good item of the archived task was not published")
		}
	})
}

// waitDrained polls the queue until nothing is pending, running, scheduled
// or waiting for a retry.
func waitDrained(ctx context.Context, insp *asynq.Inspector, queue string) error {
	for {
		info, err := insp.GetQueueInfo(queue)
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			return err
		}
		if info != nil && info.Pending+info.Active+info.Scheduled+info.Retry == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
