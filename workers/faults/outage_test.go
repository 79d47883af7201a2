package faults_test

import (
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/s3test"
	"github.com/itemvec/itemvec/workers"
	"github.com/itemvec/itemvec/workers/faults"
)

// TestS3OutageThenRetry: S3 answers every GET with 500 or 503 SlowDown
// until the tasks are archived and every item is recorded as failed; then
// the outage ends and itemvec failures retry (workers.RetryFailures)
// publishes every item, with no failure record left.
func TestS3OutageThenRetry(t *testing.T) {
	needDeps(t)
	_, rdb := startRedis(t, 0)
	ctx := t.Context()
	s3 := s3test.StartVersity(t)
	j := newJob(t, s3, 0)
	outage := faults.Config{Rate: 1, Seed: 3, Kinds: []faults.Fault{faults.Status500, faults.SlowDown}}
	proxy, err := faults.NewProxy(s3.Endpoint(), outage)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	cfg := s3.ReaderConfig()
	cfg.Endpoint = proxy.URL()
	w := startWorker(t, rdb, cfg, "")
	queue := workers.QueueFor(w.Space())
	enqueue(t, rdb, queue, j.items)
	waitDrained(t, rdb, queue, 4*time.Minute)
	during := checkInvariant(t, rdb, w.Space(), dim, j.ids())
	t.Logf("OUTAGE every S3 GET failed %v: %v", proxy.Counts(), during)
	if during.Published != 0 || during.Failed != len(j.items) {
		t.Fatalf("during the outage: %v; want every item recorded as failed", during)
	}

	proxy.SetConfig(faults.Config{})
	store := storage.NewVectorStore(rdb, storage.StoreConfig{Logger: quiet()})
	sum, err := workers.RetryFailures(ctx, store, asynq.NewClientFromRedisClient(rdb),
		workers.EnqueueConfig{Space: w.Space(), Batch: 8, MaxRetry: 3, Logger: quiet()}, []string{"fetch"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Matched != len(j.items) || len(sum.NoItem) != 0 || sum.Enqueue.Items != len(j.items) {
		t.Fatalf("retry: %d records matched, %d without item, %d items enqueued; want %d, 0, %d",
			sum.Matched, len(sum.NoItem), sum.Enqueue.Items, len(j.items), len(j.items))
	}
	waitDrained(t, rdb, queue, 4*time.Minute)
	after := checkInvariant(t, rdb, w.Space(), dim, j.ids())
	t.Logf("RETRY after the outage: %d tasks: %v", sum.Enqueue.Tasks, after)
	if after.Published != len(j.items) || after.Failed != 0 {
		t.Errorf("after the retry: %v; want every item published", after)
	}
}
