package faults_test

import (
	"testing"
	"time"

	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
	"github.com/itemvec/itemvec/storage/s3test"
	"github.com/itemvec/itemvec/workers"
)

// TestCluster runs the sample catalog end to end (real models, a real S3
// server) on a real 3-master Redis Cluster: asynq's queue and the vectors
// live on the cluster, and the contract's invariant holds.
func TestCluster(t *testing.T) {
	needDeps(t)
	c := redistest.StartCluster(t, 3)
	rdb, err := storage.NewRedisClient(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	s3 := s3test.StartVersity(t)
	j := newJob(t, s3, 2)
	w := startWorker(t, rdb, s3.ReaderConfig(), "")
	queue := workers.QueueFor(w.Space())
	enqueue(t, rdb, queue, j.items)
	waitDrained(t, rdb, queue, 4*time.Minute)
	got := checkInvariant(t, rdb, w.Space(), dim, j.ids())
	t.Logf("CLUSTER 3 masters: %v", got)
	if got.Published != len(j.items) {
		t.Errorf("published %d of %d on the cluster", got.Published, len(j.items))
	}
}
