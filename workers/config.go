package workers

import (
	"cmp"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/extract"
	"github.com/itemvec/itemvec/internal/sched"
	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/storage"
)

// Defaults of [Config] and [ModelConfig], applied to zero fields by
// [Config.WithDefaults]. They are exported so that the command line shows
// and uses the same values.
const (
	// DefaultConcurrency is the number of tasks a worker processes at once:
	// enough items in flight to keep both micro-batchers full while others
	// are fetched and decoded (measured on 2 cores: 8 gave 63–67 items/s,
	// 4 gave 50–60).
	DefaultConcurrency = 8
	// CPUPolicyAuto, CPUPolicyBatch and CPUPolicyNormal are the values of
	// Config.CPUPolicy.
	CPUPolicyAuto   = "auto"
	CPUPolicyBatch  = string(sched.Batch)
	CPUPolicyNormal = string(sched.Normal)
	// DefaultShutdownTimeout is how long Shutdown waits for running tasks.
	DefaultShutdownTimeout = 30 * time.Second
	// DefaultItemParallelism bounds the items of one task in flight.
	DefaultItemParallelism = 64
	// DefaultMaxRetry is how often a task is retried before it is archived.
	DefaultMaxRetry = 5
	// DefaultBatch is the number of items per task of an enqueued manifest.
	DefaultBatch = 16
	// DefaultDedupWindow is how long a finished task's id is kept, so that
	// enqueueing the same content again within it adds no work.
	DefaultDedupWindow = time.Hour
	// DefaultMaxLineBytes bounds one manifest line.
	DefaultMaxLineBytes = 1 << 20
)

// Text model names [ModelConfig.Text] accepts besides a spec file.
const (
	// TextModelUSELite is the built-in text model, Universal Sentence
	// Encoder Lite (English), and the default.
	TextModelUSELite = "use-lite"
	// TextModelNone turns the text block off (fusion spec v1).
	TextModelNone = "none"
)

// ModelsDirEnv overrides the default models folder.
const ModelsDirEnv = "ITEMVEC_MODELS_DIR"

// Config configures a [Worker]. The zero value of every field but Redis
// means its documented default; [Config.WithDefaults] applies them, in this
// one place.
type Config struct {
	// Redis holds the task queue and receives the vectors. It is required
	// to Start a worker; [Worker.Embed] does not use it. The worker does not
	// close it.
	Redis redis.UniversalClient
	// S3 says where item images are read from (the standard AWS credential
	// chain signs the requests).
	S3 storage.S3Config
	// Objects, when set, reads item objects instead of an S3 reader made
	// from S3: itemvec embed reads local files through it, and tests put
	// fault-injecting readers here.
	Objects ObjectReader
	// Models says which models to run, on which device, and how to batch.
	Models ModelConfig
	// Limits bound image bytes and pixels; zero fields mean extract's
	// defaults (32 MiB, 50 MP).
	Limits extract.Limits

	// VectorEncoding is how vec is stored: storage.EncodingFloat32 (the
	// default, "") or storage.EncodingFloat16 (half the bytes; see
	// docs/contract.md for the measured retrieval agreement). A space keeps
	// the encoding it was created with: a worker configured otherwise
	// refuses to start.
	VectorEncoding string
	// BlockCopies also stores each block as its own field (vec:image,
	// vec:text, vec:behavior). They are slices of vec, whose layout the
	// space's meta gives, so they are off by default.
	BlockCopies bool

	// Queue is the asynq queue to serve; empty (the default) means the
	// queue of the worker's space, QueueFor(space), where itemvec enqueue
	// puts the tasks for that space. A task of another space that reaches a
	// worker anyway (a queue shared by hand) is moved to its space's queue,
	// never embedded into the wrong space.
	Queue string
	// Concurrency is the number of tasks processed at once (default 8,
	// DefaultConcurrency).
	// Items of one task are embedded concurrently as well, so the
	// micro-batchers see up to Concurrency × task size inputs.
	Concurrency int
	// ItemParallelism bounds how many items of one task are in flight at
	// once (default 64): fetching, waiting for a batch, publishing.
	ItemParallelism int
	// DecodeParallelism bounds how many images are decoded and prepared
	// at once across all tasks: CPU-bound work, so more than the cores
	// only makes decoders and ONNX Runtime fight over them. Fetches (I/O)
	// are not counted against it. Default: GOMAXPROCS.
	DecodeParallelism int
	// ShutdownTimeout is how long Shutdown waits for running tasks
	// (default 30s); tasks still running then go back to the queue.
	ShutdownTimeout time.Duration
	// RetryDelay maps a retry count to the delay before that retry; nil
	// means exponential backoff from 2s, capped at 5 minutes.
	RetryDelay func(n int) time.Duration
	// HTTPAddr is where the worker serves /metrics (Prometheus), /healthz
	// and /readyz, e.g. "127.0.0.1:9464" or ":9464"; empty means no
	// listener. The command line's default is DefaultHTTPAddr.
	HTTPAddr string
	// UI serves asynq's web UI (asynqmon: queues, tasks, archived tasks and
	// their errors) under /ui/ on the HTTP listener. It is read-only unless
	// UIWritable is set too (then a user can delete, run or archive tasks
	// and pause queues).
	UI, UIWritable bool
	// SweepInterval is how often the worker accounts for the items of its
	// queue's archived tasks (Worker.Sweep; default 1 minute; negative
	// turns the periodic sweep off).
	SweepInterval time.Duration
	// PollInterval is how often the server looks for new tasks when idle
	// and for retries that have come due; zero keeps asynq's defaults (1s
	// and 5s).
	PollInterval time.Duration

	// CPUPolicy is the Linux CPU scheduling policy New gives every thread
	// of the process (they all share the cores): CPUPolicyBatch
	// (SCHED_BATCH: a thread that wakes waits for the running one's time
	// slice instead of preempting it; on the CPU device 4× fewer context
	// switches and ~4 % less CPU per item, README "Speed"), CPUPolicyNormal
	// (SCHED_OTHER), or "" / CPUPolicyAuto: batch when the models run on
	// the CPU; with CUDA the process is left as it is, so that the thread
	// feeding the GPU runs as soon as its batch is ready. Where the policy
	// cannot be set (not Linux, a sandbox that refuses sched_setattr) New
	// logs a warning and goes on.
	CPUPolicy string

	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
}

// ModelConfig says which models a worker runs and how.
type ModelConfig struct {
	// Dir is where model files named by specs are (default
	// $ITEMVEC_MODELS_DIR, else the models folder of the setup folder,
	// .deps/models).
	Dir string
	// Image is an image model spec file; empty means the built-in
	// MobileNetV2 spec.
	Image string
	// Text is TextModelUSELite (the default), TextModelNone, or a text
	// model spec file.
	Text string
	// Fusion is a fusion spec file; empty means the built-in spec for the
	// text model: v2 (image + USE Lite text + behaviour) for use-lite, v1
	// (image + behaviour) for none. Another text model needs one.
	Fusion string
	// ORTLibrary is the ONNX Runtime library (default
	// onnx.DefaultLibraryPath: $ITEMVEC_ORT_LIB, else
	// .deps/ort/libonnxruntime.so.1).
	ORTLibrary string
	// Device is the execution provider: cpu (default), cuda or auto.
	Device onnx.Device
	// Threads is ORT's intra-op thread count per session. 0 means: on
	// the CPU, the CPUs shared out between the models (GOMAXPROCS divided
	// by the number of models, at least 1), so the image and the text
	// model run side by side instead of queueing for every core (measured
	// on 2 cores with both models: 63–70 items/s end to end with 1 thread
	// each, 50–60 with ORT's default of every core per session); on CUDA,
	// ORT's default. Negative means ORT's default (every core) everywhere.
	Threads int
	// ImageSessions is how many sessions (copies) of the image model run
	// behind its one micro-batcher, each taking whichever batch is next,
	// so that several batches run at once. 0 means: on the CPU with
	// Threads 0, the image model's share of the CPUs split into sessions
	// of one intra-op thread each, at most 4 (then the share is divided
	// between the 4, rounded up); else 1. With Threads 0 an explicit count divides the
	// share the same way; with Threads set each session gets Threads.
	// Measured on 2 cores, image model only: two 1-thread sessions run
	// 238–240 images/s raw and 162–164 items/s end to end, one 2-thread
	// session 178–225 raw and 137–141 end to end (the cores are shared
	// with decoding, and a session whose threads wait on each other loses
	// the core to decode at every step).
	ImageSessions int
	// MaxBatch and MaxWait drive the micro-batchers (defaults
	// onnx.DefaultMaxBatch, onnx.DefaultMaxWait).
	MaxBatch int
	MaxWait  time.Duration
}

// WithDefaults returns a copy of c with every zero field set to its
// default. The ORT library path is resolved when the worker starts.
func (c Config) WithDefaults() Config {
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.ItemParallelism <= 0 {
		c.ItemParallelism = DefaultItemParallelism
	}
	if c.DecodeParallelism <= 0 {
		c.DecodeParallelism = runtime.GOMAXPROCS(0)
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.RetryDelay == nil {
		c.RetryDelay = backoff
	}
	if c.SweepInterval == 0 {
		c.SweepInterval = DefaultSweepInterval
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.CPUPolicy == "" {
		c.CPUPolicy = CPUPolicyAuto
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.Models = c.Models.WithDefaults()
	return c
}

// WithDefaults returns a copy of m with every zero field but ORTLibrary set
// to its default.
func (m ModelConfig) WithDefaults() ModelConfig {
	if m.Dir == "" {
		m.Dir = DefaultModelsDir()
	}
	m.Text = cmp.Or(m.Text, TextModelUSELite)
	m.Device = cmp.Or(m.Device, onnx.DeviceCPU)
	if m.MaxBatch <= 0 {
		m.MaxBatch = onnx.DefaultMaxBatch
	}
	if m.MaxWait <= 0 {
		m.MaxWait = onnx.DefaultMaxWait
	}
	return m
}

// DefaultModelsDir is $ITEMVEC_MODELS_DIR, else the models folder of the
// setup folder (itemvec.DepsDir).
func DefaultModelsDir() string {
	if d := os.Getenv(ModelsDirEnv); d != "" {
		return d
	}
	return filepath.Join(itemvec.DepsDir(), "models")
}

// backoff is the default retry delay: 2s, 4s, 8s, … capped at 5 minutes.
func backoff(n int) time.Duration {
	d := 2 * time.Second * time.Duration(math.Pow(2, float64(min(n, 10))))
	return min(d, 5*time.Minute)
}
