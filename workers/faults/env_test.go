package faults_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
	"github.com/itemvec/itemvec/storage/s3test"
	"github.com/itemvec/itemvec/workers"
	"github.com/itemvec/itemvec/workers/demo"
	"github.com/itemvec/itemvec/workers/demo/catalog"
)

// job is the sample catalog, rounds times over, in S3.
type job struct {
	items []workers.Item
	cat   *catalog.Catalog
}

// needDeps fails (make test) or skips (go test) without the models and
// the sample catalog.
func needDeps(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the fault suite runs real models and servers")
	}
	testdeps.Require(t, "ort/libonnxruntime.so.1", "models/mobilenetv2_nsfwjs_gap.onnx", "catalog/manifest.jsonl")
}

// newJob uploads the sample catalog's images to s3 and returns its items
// rounds times (ids prefixed per round).
func newJob(t *testing.T, s3 *s3test.Server, rounds int) *job {
	t.Helper()
	cat, err := catalog.Load(testdeps.Dir(t) + "/catalog")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := s3.CreateBucket(ctx, cat.Bucket); err != nil {
		t.Fatal(err)
	}
	for key, path := range cat.Images {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s3.Put(ctx, cat.Bucket, key, data); err != nil {
			t.Fatal(err)
		}
	}
	return &job{cat: cat, items: append(append([]workers.Item(nil), cat.Items...), demo.Replicate(cat.Items, rounds)...)}
}

func (j *job) ids() []string {
	ids := make([]string, len(j.items))
	for i, it := range j.items {
		ids[i] = it.ID
	}
	return ids
}

// enqueue puts the items on queue in tasks of 8, up to 3 retries each.
func enqueue(t *testing.T, rdb redis.UniversalClient, queue string, items []workers.Item) {
	t.Helper()
	var manifest bytes.Buffer
	enc := json.NewEncoder(&manifest)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := workers.Enqueue(t.Context(), asynq.NewClientFromRedisClient(rdb), &manifest,
		workers.EnqueueConfig{Space: suiteSpace, Batch: 8, Queue: queue, MaxRetry: 3, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Items != len(items) {
		t.Fatalf("enqueued %d items of %d", sum.Items, len(items))
	}
}

// suiteSpace is the space of the suite's worker (workerConfig): the
// built-in models and fusion spec v2.
var suiteSpace = workers.BuiltinSpaces()[0]

// workerConfig is the suite's worker: the built-in models, quick polls
// and retries.
func workerConfig(rdb redis.UniversalClient, s3 storage.S3Config, queue string) workers.Config {
	return workers.Config{
		Redis: rdb, S3: s3, Queue: queue, Concurrency: 3,
		PollInterval: 100 * time.Millisecond, SweepInterval: time.Second,
		RetryDelay: func(int) time.Duration { return 200 * time.Millisecond },
		Models:     workers.ModelConfig{Device: onnx.DeviceCPU, MaxBatch: 8, MaxWait: 2 * time.Millisecond},
		Logger:     quiet(),
	}
}

func quiet() *slog.Logger {
	if os.Getenv("ITEMVEC_FAULTS_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.DiscardHandler)
}

// waitDrained waits until nothing of queue is pending, active, scheduled
// or waiting for a retry.
func waitDrained(t *testing.T, rdb redis.UniversalClient, queue string, within time.Duration) {
	t.Helper()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		info, err := insp.GetQueueInfo(queue)
		if err == nil && info.Pending+info.Active+info.Scheduled+info.Retry == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("queue %s not drained within %s", queue, within)
}

// published counts the items of space that have a vector.
func published(t *testing.T, rdb redis.UniversalClient, space string) int {
	n, err := rdb.XLen(t.Context(), storage.StreamKey(space)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0
	}
	return int(n)
}

// tally is the invariant's count for one fault case.
type tally struct {
	Enqueued, Published, Failed, Lost, Duplicates, Corrupt int
	FailKinds                                              map[string]int
}

func (c tally) String() string {
	return fmt.Sprintf("enqueued %d, published %d, failed %d, lost %d, announced twice %d, corrupt %d; failure kinds %v",
		c.Enqueued, c.Published, c.Failed, c.Lost, c.Duplicates, c.Corrupt, c.FailKinds)
}

// checkInvariant asserts that every id is published xor recorded as
// failed, that no vector is corrupt (length dim, unit norm) and that no id
// is announced twice on the update stream.
func checkInvariant(t *testing.T, rdb redis.UniversalClient, space string, dim int, ids []string) tally {
	t.Helper()
	ctx := t.Context()
	store := storage.NewVectorStore(rdb, storage.StoreConfig{Logger: quiet()})
	c := tally{Enqueued: len(ids), FailKinds: map[string]int{}}
	states, err := store.States(ctx, space, ids...)
	if err != nil {
		t.Fatal(err)
	}
	var pub []string
	for i, id := range ids {
		s := states[i]
		switch {
		case s.ContentHash != "" && s.Failed:
			t.Errorf("item %s is both published and recorded as failed", id)
		case s.ContentHash != "":
			c.Published++
			pub = append(pub, id)
		case s.Failed:
			c.Failed++
		default:
			c.Lost++
			if c.Lost <= 5 {
				t.Errorf("item %s lost: neither published nor recorded as failed", id)
			}
		}
	}
	for i := 0; i < len(pub); i += 200 {
		vs, err := store.Get(ctx, space, pub[i:min(i+200, len(pub))]...)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			var sq float64
			for _, x := range v.Vector {
				sq += float64(x) * float64(x)
			}
			if len(v.Vector) != dim || math.IsNaN(sq) || math.Abs(math.Sqrt(sq)-1) > 1e-4 {
				c.Corrupt++
				t.Errorf("item %s: corrupt vector (len %d, want %d; norm %v)", v.ID, len(v.Vector), dim, math.Sqrt(sq))
			}
		}
	}
	fails, err := store.Failures(ctx, space, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fails {
		c.FailKinds[f.Kind]++
		if f.Reason == "" {
			t.Errorf("item %s: failure record without a reason", f.ID)
		}
	}
	msgs, err := rdb.XRange(ctx, storage.StreamKey(space), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	// Once per content: a changed item (new counters) is announced again.
	seen := map[[2]string]int{}
	for _, m := range msgs {
		seen[[2]string{fmt.Sprint(m.Values["id"]), fmt.Sprint(m.Values["content_hash"])}]++
	}
	for key, n := range seen {
		if n > 1 {
			c.Duplicates += n - 1
			t.Errorf("item %s announced %d times on the update stream with content %s", key[0], n, key[1])
		}
	}
	if c.Published+c.Failed != c.Enqueued {
		t.Errorf("published %d + failed %d != enqueued %d", c.Published, c.Failed, c.Enqueued)
	}
	return c
}

// startRedis runs a persistent redis-server (redistest.StartPersistent) and
// returns it with a client closed at the end of the test.
func startRedis(t *testing.T, keyLoadDelay int) (*redistest.Persistent, *redis.Client) {
	t.Helper()
	r := redistest.StartPersistent(t, keyLoadDelay)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	t.Cleanup(func() { rdb.Close() })
	return r, rdb
}

// startWorker starts a worker of workerConfig on queue, closed at the end
// of the test.
func startWorker(t *testing.T, rdb redis.UniversalClient, s3 storage.S3Config, queue string) *workers.Worker {
	t.Helper()
	w, err := workers.New(t.Context(), workerConfig(rdb, s3, queue))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if err := w.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	return w
}
