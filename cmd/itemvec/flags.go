package main

import (
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/extract"
	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/workers"
)

// Each group of flags is declared once, here, and added to the commands
// that take it. Defaults are the packages' exported defaults.

type redisFlags struct{ url string }

func (f *redisFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.url, "redis", "redis://127.0.0.1:6379/0",
		"Redis URL (redis:// or rediss://; password in the URL: redis://:secret@host:6379/0); for a Redis Cluster, the nodes' URLs separated by commas")
}

func (f *redisFlags) client() (redis.UniversalClient, error) { return storage.NewRedisClient(f.url) }

// store connects to Redis and returns the vector store and its closer.
func (f *redisFlags) store() (*storage.VectorStore, func() error, error) {
	rdb, err := f.client()
	if err != nil {
		return nil, nil, err
	}
	return storage.NewVectorStore(rdb, storage.StoreConfig{}), rdb.Close, nil
}

type s3Flags struct {
	endpoint  string
	region    string
	pathStyle bool
	maxBytes  int64
	timeout   time.Duration
}

func (f *s3Flags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.endpoint, "s3-endpoint", "", "S3 API endpoint URL (empty = AWS); e.g. http://minio:9000")
	cmd.Flags().StringVar(&f.region, "s3-region", storage.DefaultS3Region, "S3 region")
	cmd.Flags().BoolVar(&f.pathStyle, "s3-path-style", false, "use path-style addressing (MinIO and most S3-compatible servers)")
	cmd.Flags().Int64Var(&f.maxBytes, "s3-max-object-bytes", storage.DefaultMaxObjectBytes, "refuse objects larger than this (bad input, not retried)")
	cmd.Flags().DurationVar(&f.timeout, "s3-timeout", storage.DefaultS3Timeout, "timeout of one S3 request, retries included")
}

func (f *s3Flags) config() storage.S3Config {
	return storage.S3Config{Endpoint: f.endpoint, Region: f.region, PathStyle: f.pathStyle,
		MaxObjectBytes: f.maxBytes, Timeout: f.timeout}
}

// modelFlags say which models to run, where, and how to batch and bound
// their input.
type modelFlags struct {
	specFlags
	device    string
	threads   int
	sessions  int
	maxBatch  int
	maxWait   time.Duration
	modelsDir string
	ortLib    string
	maxPixels int64
	cpuPolicy string
}

// specFlags name the specs that decide a worker's space: the image and
// text models and the fusion spec. itemvec enqueue takes them too, to derive
// the space it enqueues for.
type specFlags struct {
	imageModel string
	textModel  string
	fusionSpec string
}

func (f *specFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.imageModel, "image-model", "", "image model spec file (JSON); default: the built-in MobileNetV2 spec")
	cmd.Flags().StringVar(&f.textModel, "text-model", workers.TextModelUSELite,
		"text model: "+workers.TextModelUSELite+" (built-in Universal Sentence Encoder Lite, English), "+workers.TextModelNone+", or a model spec file (JSON with a text section)")
	cmd.Flags().StringVar(&f.fusionSpec, "fusion-spec", "", "fusion spec file (JSON); default: built-in v2 (image + use-lite text + behaviour), or v1 (image + behaviour) with --text-model none")
}

// space is the space a worker with these specs writes to.
func (f *specFlags) space() (string, error) {
	space, _, err := workers.SpaceFor(workers.ModelConfig{Image: f.imageModel, Text: f.textModel, Fusion: f.fusionSpec})
	return space, err
}

func (f *modelFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.device, "device", string(onnx.DeviceCPU), "execution provider: cpu, cuda, or auto (cuda if it loads, else cpu)")
	cmd.Flags().IntVar(&f.threads, "threads", 0, "ONNX Runtime intra-op threads per model (0 = the CPUs shared out between the models; -1 = ORT's default, every core per model)")
	cmd.Flags().IntVar(&f.sessions, "image-sessions", 0, "sessions (copies) of the image model behind its micro-batcher, running batches at once (0 = on the CPU with --threads 0, one 1-thread session per CPU of the image model's share, at most 4; else 1)")
	cmd.Flags().IntVar(&f.maxBatch, "max-batch", onnx.DefaultMaxBatch, "micro-batchers: run a model on at most this many inputs at once")
	cmd.Flags().DurationVar(&f.maxWait, "max-wait", onnx.DefaultMaxWait, "micro-batchers: run a partial batch after this wait")
	cmd.Flags().StringVar(&f.modelsDir, "models-dir", "", "folder of model files named by specs (default $ITEMVEC_MODELS_DIR, else .deps/models or $ITEMVEC_DEPS/models)")
	f.specFlags.add(cmd)
	cmd.Flags().StringVar(&f.ortLib, "ort-lib", "", "path of libonnxruntime.so (default .deps/ort/libonnxruntime.so.1)")
	cmd.Flags().Int64Var(&f.maxPixels, "max-image-pixels", extract.DefaultMaxPixels, "refuse images with more pixels than this, before decoding")
	cmd.Flags().StringVar(&f.cpuPolicy, "cpu-policy", workers.CPUPolicyAuto,
		"Linux CPU scheduling policy of the process's threads: batch (SCHED_BATCH: no wakeup preemption, fewer context switches), normal, or auto (batch on the CPU device; with CUDA the process is left as it is)")
}

// config is the workers.Config the model flags describe (models, device,
// batching and image limits); the caller adds Redis, S3 and serving.
func (f *modelFlags) config() (workers.Config, error) {
	dev, err := onnx.ParseDevice(f.device)
	if err != nil {
		return workers.Config{}, err
	}
	return workers.Config{
		Models: workers.ModelConfig{
			Dir: f.modelsDir, Image: f.imageModel, Text: f.textModel, Fusion: f.fusionSpec,
			ORTLibrary: f.ortLib, Device: dev, Threads: f.threads, ImageSessions: f.sessions, MaxBatch: f.maxBatch, MaxWait: f.maxWait,
		},
		Limits:    extract.Limits{MaxPixels: f.maxPixels},
		CPUPolicy: f.cpuPolicy,
	}, nil
}

// serveFlags say how a worker serves tasks.
type serveFlags struct {
	concurrency       int
	decodeParallelism int
	queue             string
	vectorEncoding    string
	blockCopies       bool
}

func (f *serveFlags) add(cmd *cobra.Command) {
	cmd.Flags().IntVar(&f.concurrency, "concurrency", workers.DefaultConcurrency, "tasks processed at once")
	cmd.Flags().IntVar(&f.decodeParallelism, "decode-parallelism", 0, "images decoded and prepared at once, across tasks (0 = one per CPU; fetches are not counted)")
	cmd.Flags().StringVar(&f.vectorEncoding, "vector-encoding", storage.EncodingFloat32,
		"how vec is stored: float32, or float16 (half the memory; a space keeps the encoding it was created with)")
	cmd.Flags().BoolVar(&f.blockCopies, "block-copies", false, "also store each block as its own field (vec:image, vec:text, vec:behavior); they are slices of vec")
	cmd.Flags().StringVar(&f.queue, "queue", "", "asynq queue to serve (default: the queue of the worker's space, named after it, where itemvec enqueue puts its tasks)")
}

func (f *serveFlags) apply(cfg *workers.Config) {
	cfg.Concurrency, cfg.DecodeParallelism, cfg.Queue = f.concurrency, f.decodeParallelism, f.queue
	cfg.VectorEncoding, cfg.BlockCopies = f.vectorEncoding, f.blockCopies
}

// opsFlags are the long-running worker's: its HTTP listener and its grace
// period on SIGTERM.
type opsFlags struct {
	httpAddr        string
	shutdownTimeout time.Duration
	ui, uiWritable  bool
}

func (f *opsFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.httpAddr, "http-addr", workers.DefaultHTTPAddr,
		"where to serve /metrics, /healthz and /readyz (\"\" turns the listener off; \":9464\" listens on every interface)")
	cmd.Flags().DurationVar(&f.shutdownTimeout, "shutdown-timeout", workers.DefaultShutdownTimeout,
		"on SIGTERM, how long running tasks may finish; tasks still running then go back to the queue")
	cmd.Flags().BoolVar(&f.ui, "ui", false, "serve asynq's web UI (asynqmon) under /ui/ on --http-addr, read-only")
	cmd.Flags().BoolVar(&f.uiWritable, "ui-writable", false, "let the web UI delete, run and archive tasks and pause queues (with --ui)")
}

func (f *opsFlags) apply(cfg *workers.Config) {
	cfg.HTTPAddr, cfg.ShutdownTimeout = f.httpAddr, f.shutdownTimeout
	cfg.UI, cfg.UIWritable = f.ui, f.uiWritable
}

// taskFlags say how a manifest becomes tasks. batch is the command's
// default for --batch.
type taskFlags struct {
	batch    int
	maxRetry int
}

func (f *taskFlags) add(cmd *cobra.Command, batch, maxRetry int) {
	cmd.Flags().IntVar(&f.batch, "batch", batch, "items per task")
	cmd.Flags().IntVar(&f.maxRetry, "max-retry", maxRetry, "retries of a task before it is archived")
}
