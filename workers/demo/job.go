package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/hibiken/asynq"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/internal/cputime"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/workers"
	"github.com/itemvec/itemvec/workers/demo/catalog"
)

// ObjectUploader seeds an S3 API with a catalog's images. embedded.S3 and
// the test servers of storage/s3test satisfy it.
type ObjectUploader interface {
	CreateBucket(ctx context.Context, name string) error
	Put(ctx context.Context, bucket, key string, data []byte) error
}

// Job is one catalog job: upload, enqueue, work until drained, read back.
type Job struct {
	// Catalog is what to run; its images are uploaded through Uploader to
	// the S3 API the worker reads.
	Catalog  *catalog.Catalog
	Uploader ObjectUploader
	// ExtraItems and ExtraObjects are added to the catalog's (deliberately
	// broken items, or the catalog again under other ids for a benchmark).
	ExtraItems   []workers.Item
	ExtraObjects map[string][]byte // key in the catalog bucket -> bytes
	// Batch and MaxRetry are the enqueue settings (workers.EnqueueConfig).
	Batch    int
	MaxRetry int
	// ServerCPU, when set, is the CPU time used so far by servers outside
	// this process (a redis-server): RunJob samples it around the run, for
	// Report.ServerCPU. ok false: not measured.
	ServerCPU func() (cpu time.Duration, ok bool)
	// Refresh, once the job is drained, enqueues every item again with
	// only its behaviour counters changed (BumpCounters) and times that run:
	// Report.Refresh, the counters-only refresh beside the full embed.
	Refresh bool
}

// RefreshRun is the counters-only run of a Job with Refresh.
type RefreshRun struct {
	Items     int           // items enqueued with new counters
	Refreshed int           // of them, re-fused from the stored vector (no fetch, decode, inference)
	Elapsed   time.Duration // enqueue to drained
	CPU       time.Duration // process CPU time
}

// ItemsPerSecond is the refresh run's items over its wall time.
func (r *RefreshRun) ItemsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Items) / r.Elapsed.Seconds()
}

// BumpCounters returns it with every device's views and clicks up by one
// (a pc device is added to an item without counters): the daily change of
// a catalog whose media stay the same.
func BumpCounters(it workers.Item) workers.Item {
	b := fusion.Behavior{}
	if it.Behavior != nil {
		b = *it.Behavior
	}
	devices := make(map[string]fusion.DeviceCounters, len(b.Devices)+1)
	for d, c := range b.Devices {
		c.Views++
		c.Clicks++
		devices[d] = c
	}
	if len(devices) == 0 {
		devices["pc"] = fusion.DeviceCounters{Views: 1}
	}
	b.Devices = devices
	it.Behavior = &b
	return it
}

// runRefresh enqueues items with bumped counters and waits until drained.
func runRefresh(ctx context.Context, w *workers.Worker, client *asynq.Client, insp *asynq.Inspector, items []workers.Item, job Job) (*RefreshRun, error) {
	var manifest bytes.Buffer
	enc := json.NewEncoder(&manifest)
	for _, it := range items {
		if err := enc.Encode(BumpCounters(it)); err != nil {
			return nil, err
		}
	}
	before, settled := w.Stats().Refresh.Items(), w.Stats().Settled()
	start, cpu := time.Now(), cputime.Process()
	sum, err := workers.Enqueue(ctx, client, &manifest, workers.EnqueueConfig{
		Space: w.Space(), Batch: job.Batch, Queue: w.Config().Queue, MaxRetry: job.MaxRetry, Logger: w.Config().Logger,
	})
	if err != nil {
		return nil, err
	}
	if err := waitDrained(ctx, insp, w.Config().Queue, settledSince(w, settled, sum.Items)); err != nil {
		return nil, err
	}
	return &RefreshRun{Items: sum.Items, Refreshed: int(w.Stats().Refresh.Items() - before),
		Elapsed: time.Since(start), CPU: cputime.Process() - cpu}, nil
}

// RunJob uploads the job's images, starts w, enqueues the job's manifest on
// w's queue, waits until the queue is drained, shuts w down and reads the
// results back from w's Redis. w must not be started; RunJob does not Close
// it.
func RunJob(ctx context.Context, w *workers.Worker, job Job) (*Report, error) {
	cfg := w.Config()
	if cfg.Redis == nil {
		return nil, itemvec.Errorf(itemvec.KindConfig, "demo.RunJob", "the worker has no Redis")
	}
	cat := job.Catalog
	if err := upload(ctx, job); err != nil {
		return nil, err
	}
	manifest := bytes.NewBuffer(nil)
	titles := make(map[string]string)
	items := slices.Concat(cat.Items, job.ExtraItems)
	enc := json.NewEncoder(manifest)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return nil, fmt.Errorf("encode item %s: %w", it.ID, err)
		}
		if it.Text != nil {
			titles[it.ID] = it.Text.Title
		}
	}

	// The whole job is enqueued before the worker starts, as an ingestion
	// job runs before (and apart from) the workers that drain it: the
	// clock times the worker from Start on a full queue until the queue is
	// drained. (Started first, its idle task slots sleep up to 1.5 ×
	// PollInterval before they look again, which a run of a few seconds
	// would count.)
	client := asynq.NewClientFromRedisClient(cfg.Redis)
	sum, err := workers.Enqueue(ctx, client, manifest, workers.EnqueueConfig{
		Space: w.Space(), Batch: job.Batch, Queue: w.Config().Queue, MaxRetry: job.MaxRetry, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	if rejected := append(sum.Invalid, sum.DuplicateIDs...); len(rejected) > 0 {
		return nil, fmt.Errorf("catalog manifest has %d rejected lines; first: %v", len(rejected), rejected[0])
	}
	// The models are warmed before the clock starts, as a deployed worker
	// warms them before it takes tasks (Start would otherwise do it on the
	// clock).
	if _, err := w.WarmUp(ctx); err != nil {
		return nil, err
	}
	serverCPU := sampleServerCPU(job.ServerCPU)
	settled := w.Stats().Settled()
	start, cpu := time.Now(), cputime.Process()
	if err := w.Start(ctx); err != nil {
		return nil, err
	}
	defer w.Shutdown(context.WithoutCancel(ctx))
	insp := asynq.NewInspectorFromRedisClient(cfg.Redis)
	if err := waitDrained(ctx, insp, w.Config().Queue, settledSince(w, settled, sum.Items)); err != nil {
		return nil, err
	}
	elapsed, cpu := time.Since(start), cputime.Process()-cpu
	outside := serverCPU()
	var refresh *RefreshRun
	if job.Refresh {
		if refresh, err = runRefresh(ctx, w, client, insp, items, job); err != nil {
			return nil, err
		}
	}
	if err := w.Shutdown(ctx); err != nil {
		return nil, err
	}

	space := w.Space()
	store := storage.NewVectorStore(cfg.Redis, storage.StoreConfig{Logger: cfg.Logger})
	rep := &Report{Space: space, Items: sum.Items, Elapsed: elapsed, CPU: cpu, ServerCPU: outside, Titles: titles, Refresh: refresh,
		Vectors: map[string]*storage.ItemVector{}, Stats: w.Stats(), Catalog: cat}
	err = store.ScanItems(ctx, space, func(v *storage.ItemVector) error {
		rep.Vectors[v.ID] = v
		rep.Dim = len(v.Vector)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Published = len(rep.Vectors)
	if rep.Failures, err = store.Failures(ctx, space, 1000); err != nil {
		return nil, err
	}
	sort.Slice(rep.Failures, func(i, j int) bool { return rep.Failures[i].ID < rep.Failures[j].ID })
	if rep.Archived, err = insp.ListArchivedTasks(w.Config().Queue); err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
		return nil, err
	}
	return rep, nil
}

// sampleServerCPU samples cpu now and returns what gives the CPU time used
// since: nil where cpu is nil or fails either time.
func sampleServerCPU(cpu func() (time.Duration, bool)) func() *time.Duration {
	if cpu == nil {
		return func() *time.Duration { return nil }
	}
	before, ok := cpu()
	return func() *time.Duration {
		after, ok2 := cpu()
		if !ok || !ok2 {
			return nil
		}
		d := after - before
		return &d
	}
}

// upload creates the catalog's bucket and puts its images and the job's
// extra objects into it.
func upload(ctx context.Context, job Job) error {
	cat := job.Catalog
	if err := job.Uploader.CreateBucket(ctx, cat.Bucket); err != nil {
		return fmt.Errorf("create bucket %s: %w", cat.Bucket, err)
	}
	for key, path := range cat.Images {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read catalog image: %w", err)
		}
		if err := job.Uploader.Put(ctx, cat.Bucket, key, data); err != nil {
			return fmt.Errorf("upload s3://%s/%s: %w", cat.Bucket, key, err)
		}
	}
	for key, data := range job.ExtraObjects {
		if err := job.Uploader.Put(ctx, cat.Bucket, key, data); err != nil {
			return fmt.Errorf("upload s3://%s/%s: %w", cat.Bucket, key, err)
		}
	}
	return nil
}

// settledSince reports whether w has settled n items since its Settled
// count was from: waitDrained's hint.
func settledSince(w *workers.Worker, from int64, n int) func() bool {
	return func() bool { return w.Stats().Settled()-from >= int64(n) }
}

// waitDrained polls the queue until nothing is pending, running, scheduled
// or waiting for a retry: every 50ms, and every 2ms once settled reports
// that the worker has finished with as many items as were enqueued (a
// hint that the end is near, never the answer: the queue says when it is
// drained), so the run's clock stops within a few milliseconds of the
// last task without asking Redis for the queue's statistics (a Lua script
// and a memory estimate) hundreds of times a second.
func waitDrained(ctx context.Context, insp *asynq.Inspector, queue string, settled func() bool) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	var asked time.Time
	for {
		if settled() || time.Since(asked) >= 50*time.Millisecond {
			asked = time.Now()
			info, err := insp.GetQueueInfo(queue)
			if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
				return fmt.Errorf("inspect queue %s: %w", queue, err)
			}
			if info != nil && info.Pending+info.Active+info.Scheduled+info.Retry == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Replicate returns items rounds-1 more times with ids prefixed by the
// round ("r2-sku-0001", …), so a benchmark can run more items than the
// sample catalog has without tripping the content-derived task
// deduplication.
func Replicate(items []workers.Item, rounds int) []workers.Item {
	var out []workers.Item
	for r := 2; r <= rounds; r++ {
		for _, it := range items {
			it.ID = fmt.Sprintf("r%d-%s", r, it.ID)
			out = append(out, it)
		}
	}
	return out
}

// Settings of the sample job, the defaults of itemvec run and bench: small
// tasks, so that a worker's concurrent tasks keep the micro-batchers busy
// on a 45-product catalog, and quick retries, so that the broken items'
// retries do not dominate a demo.
const (
	DefaultBatch    = 8
	DefaultMaxRetry = 2
	PollInterval    = 100 * time.Millisecond
)

// RetryDelay is the sample job's retry delay: 200ms.
func RetryDelay(int) time.Duration { return 200 * time.Millisecond }

// DefaultCatalogDir is the catalog folder of the setup folder, where make
// setup writes the sample catalog.
func DefaultCatalogDir() string { return filepath.Join(itemvec.DepsDir(), "catalog") }

// LargeSet returns items and objects that run the sample catalog's
// products on the large photo set in dir (make setup writes it to
// .deps/large: 1000 and 2000 px photos, baseline and progressive), rounds
// times: item i of round r is product i mod len(items) with its image
// replaced by photo i, under the id "large-r<r>-<n>". The objects go into
// the catalog's bucket under large/.
func LargeSet(cat *catalog.Catalog, dir string, rounds int) ([]workers.Item, map[string][]byte, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.jpg"))
	if err != nil {
		return nil, nil, err
	}
	if len(paths) == 0 || len(cat.Items) == 0 {
		return nil, nil, itemvec.Errorf(itemvec.KindConfig, "demo.LargeSet", "no large photos in %s: run make setup", dir)
	}
	slices.Sort(paths)
	objects := make(map[string][]byte, len(paths))
	var items []workers.Item
	for i, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, err
		}
		key := "large/" + filepath.Base(path)
		objects[key] = data
		for r := 1; r <= rounds; r++ {
			it := cat.Items[i%len(cat.Items)]
			it.ID = fmt.Sprintf("large-r%d-%03d", r, i)
			it.Images = []string{"s3://" + cat.Bucket + "/" + key}
			items = append(items, it)
		}
	}
	return items, objects, nil
}

// DefaultLargeDir is where make setup writes the large photo set.
func DefaultLargeDir() string { return filepath.Join(itemvec.DepsDir(), "large") }
