package workers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/storage"
)

// ObjectUploader seeds an S3 API with a catalog's images. storage.EmbeddedS3
// and the test servers satisfy it.
type ObjectUploader interface {
	CreateBucket(ctx context.Context, name string) error
	Put(ctx context.Context, bucket, key string, data []byte) error
}

// JobConfig describes one catalog job: upload, enqueue, work until drained,
// read back. itemvec run uses it on an in-process Redis and S3; the
// end-to-end tests use it on redis-server and a real S3 server.
type JobConfig struct {
	Redis    redis.UniversalClient
	S3       storage.S3Config
	Uploader ObjectUploader
	Catalog  *Catalog
	// Extra items and objects are added to the catalog's (the end-to-end
	// test and the demo use them for deliberately broken items).
	ExtraItems   []Item
	ExtraObjects map[string][]byte // key in the catalog bucket -> bytes
	Encoder      *Encoder
	Text         *TextModel // nil: no text block
	Fusion       *fusion.Spec
	Concurrency  int
	Batch        int
	MaxRetry     int
	RetryDelay   func(n int) time.Duration
	Logger       *slog.Logger
}

// JobReport is what a job did, read back from Redis.
type JobReport struct {
	Space     string
	Items     int // items enqueued
	Published int
	Failures  []storage.Failure
	Vectors   map[string]*storage.ItemVector
	Titles    map[string]string
	Dim       int
	Elapsed   time.Duration // enqueue to drained
	Archived  []*asynq.TaskInfo
	Stats     *Stats
	Catalog   *Catalog
}

// Catalog is a set of products to run: their items, the local files of their
// images and the bucket those go to. Groups lists near-duplicate products
// (the same photo cropped, flipped or re-encoded), when known, so reports
// and tests can check that they come out most similar.
type Catalog struct {
	Bucket string
	Images map[string]string // object key -> local file
	Items  []Item
	Groups [][]string
}

// SameGroup reports whether a and b are near-duplicates of each other.
func (c *Catalog) SameGroup(a, b string) bool {
	for _, g := range c.Groups {
		if slices.Contains(g, a) && slices.Contains(g, b) {
			return true
		}
	}
	return false
}

// HasDuplicates reports whether id is in a near-duplicate group.
func (c *Catalog) HasDuplicates(id string) bool {
	for _, g := range c.Groups {
		if slices.Contains(g, id) {
			return true
		}
	}
	return false
}

// NearDuplicatePairs lists every pair of ids within a group.
func (c *Catalog) NearDuplicatePairs() [][2]string {
	var pairs [][2]string
	for _, g := range c.Groups {
		for i := range g {
			for j := i + 1; j < len(g); j++ {
				pairs = append(pairs, [2]string{g[i], g[j]})
			}
		}
	}
	return pairs
}

// ItemsPerSecond is published items over the job's wall time.
func (r *JobReport) ItemsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Published) / r.Elapsed.Seconds()
}

// RunJob uploads the catalog's images, enqueues its manifest, runs a worker
// server until the queue is drained, and reads the results back.
func RunJob(ctx context.Context, cfg JobConfig) (*JobReport, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	cat := cfg.Catalog
	if err := cfg.Uploader.CreateBucket(ctx, cat.Bucket); err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", cat.Bucket, err)
	}
	for key, path := range cat.Images {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read catalog image: %w", err)
		}
		if err := cfg.Uploader.Put(ctx, cat.Bucket, key, data); err != nil {
			return nil, fmt.Errorf("upload s3://%s/%s: %w", cat.Bucket, key, err)
		}
	}
	for key, data := range cfg.ExtraObjects {
		if err := cfg.Uploader.Put(ctx, cat.Bucket, key, data); err != nil {
			return nil, fmt.Errorf("upload s3://%s/%s: %w", cat.Bucket, key, err)
		}
	}

	objects, err := storage.NewS3Reader(ctx, cfg.S3)
	if err != nil {
		return nil, err
	}
	store := storage.NewVectorStore(cfg.Redis, storage.StoreConfig{Logger: log})
	pcfg := PipelineConfig{
		Objects: objects, Encoder: cfg.Encoder.Batcher, Store: store,
		ImageModel: cfg.Encoder.Spec, Fusion: cfg.Fusion, Logger: log,
	}
	if cfg.Text != nil {
		pcfg.Text = cfg.Text
	}
	pipe, err := NewPipeline(pcfg)
	if err != nil {
		return nil, err
	}
	if err := store.SetCurrent(ctx, pipe.Space()); err != nil {
		return nil, err
	}

	manifest := bytes.NewBuffer(nil)
	titles := make(map[string]string)
	for _, it := range slices.Concat(cat.Items, cfg.ExtraItems) {
		b, err := jsonLine(it)
		if err != nil {
			return nil, err
		}
		manifest.Write(b)
		if it.Text != nil {
			titles[it.ID] = it.Text.Title
		}
	}

	srv, mux := NewServer(cfg.Redis, &Handler{Pipeline: pipe, Logger: log}, ServerConfig{
		Concurrency: cfg.Concurrency, RetryDelay: cfg.RetryDelay, Logger: log,
		PollInterval: 100 * time.Millisecond,
	})
	if err := srv.Start(mux); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	defer srv.Shutdown()

	start := time.Now()
	client := asynq.NewClientFromRedisClient(cfg.Redis)
	sum, err := Enqueue(ctx, client, manifest, EnqueueConfig{Batch: cfg.Batch, MaxRetry: cfg.MaxRetry, Logger: log})
	if err != nil {
		return nil, err
	}
	if len(sum.Invalid) > 0 {
		return nil, fmt.Errorf("catalog manifest has %d invalid lines; first: %v", len(sum.Invalid), sum.Invalid[0])
	}
	insp := asynq.NewInspectorFromRedisClient(cfg.Redis)
	if err := waitDrained(ctx, insp, "default"); err != nil {
		return nil, err
	}
	elapsed := time.Since(start)

	rep := &JobReport{Space: pipe.Space(), Items: sum.Items, Elapsed: elapsed, Titles: titles,
		Vectors: map[string]*storage.ItemVector{}, Stats: pipe.Stats(), Catalog: cat}
	err = store.ScanItems(ctx, pipe.Space(), func(v *storage.ItemVector) error {
		rep.Vectors[v.ID] = v
		rep.Dim = len(v.Vector)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Published = len(rep.Vectors)
	if rep.Failures, err = store.Failures(ctx, pipe.Space(), 1000); err != nil {
		return nil, err
	}
	sort.Slice(rep.Failures, func(i, j int) bool { return rep.Failures[i].ID < rep.Failures[j].ID })
	if rep.Archived, err = insp.ListArchivedTasks("default"); err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
		return nil, err
	}
	return rep, nil
}

// waitDrained polls the queue until nothing is pending, running, scheduled or
// waiting for a retry.
func waitDrained(ctx context.Context, insp *asynq.Inspector, queue string) error {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		info, err := insp.GetQueueInfo(queue)
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			return fmt.Errorf("inspect queue %s: %w", queue, err)
		}
		if info != nil && info.Pending+info.Active+info.Scheduled+info.Retry == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
