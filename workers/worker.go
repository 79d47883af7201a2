package workers

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"

	"github.com/hibiken/asynq"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/extract"
	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/storage"
)

// Worker serves itemvec:embed tasks: it fetches each item's image from S3,
// runs the image and text models through their micro-batchers, fuses the
// blocks by the fusion spec and publishes the vectors to Redis
// (docs/contract.md). It is the only assembly of these parts: itemvec
// worker, run, bench and embed all go through one.
//
// A Worker owns the ONNX Runtime environment handle, the model sessions,
// their micro-batchers, the S3 reader and the vector store. Close frees
// them, once. The lifecycle is New, then Start (or Run), then Shutdown, then
// Close; Embed works between New and Close without Start.
type Worker struct {
	cfg          Config
	models       *models // nil for a worker assembled from stand-in parts
	pipe         *pipeline
	store        *storage.VectorStore // nil without Redis
	srv          *asynq.Server        // nil without Redis
	mux          *asynq.ServeMux
	sweep        *sweeper     // nil without Redis
	http         *http.Server // nil without Config.HTTPAddr
	httpAddr     string
	registerOnce sync.Once // the metrics that need a started worker
	cpuPolicy    string    // what New set (CPUPolicy), or "unchanged"
	warm         warmState

	mu       sync.Mutex
	started  bool
	stopped  bool
	shutdown chan struct{} // closed when the server has shut down
	stopBg   context.CancelFunc
	bg       sync.WaitGroup // the sweeper

	closeOnce sync.Once
	closeErr  error
}

// New loads the models cfg names (checking every file against its spec's
// sha256 and the fusion spec against the models), and prepares the S3
// reader, the vector store and the task server. It does not contact Redis
// or S3 and does not take tasks: call Start or Run. On error nothing stays
// open.
func New(ctx context.Context, cfg Config) (*Worker, error) {
	cfg = cfg.WithDefaults()
	if err := checkCPUPolicy(cfg.CPUPolicy); err != nil {
		return nil, err
	}
	met := newMetrics()
	m, err := openModels(ctx, cfg.Models, cfg.Logger, met)
	if err != nil {
		return nil, err
	}
	parts := pipelineParts{
		image:     m.image.batcher,
		imageSpec: m.image.spec.Image.WithDefaults(),
		fusion:    m.fusion,
		metrics:   met,
	}
	if m.text != nil {
		parts.text = m.text
	}
	w, err := assemble(ctx, cfg, parts)
	if err != nil {
		return nil, errors.Join(err, m.close())
	}
	w.models = m
	w.cpuPolicy = applyCPUPolicy(cfg.CPUPolicy, w.Device(), cfg.Logger)
	return w, nil
}

// assemble builds a worker around parts; cfg has its defaults applied.
// Objects and store come from cfg when parts has none.
func assemble(ctx context.Context, cfg Config, parts pipelineParts) (*Worker, error) {
	if cfg.Queue == "" {
		cfg.Queue = QueueFor(parts.fusion.Space())
	}
	w := &Worker{cfg: cfg, shutdown: make(chan struct{}), cpuPolicy: cpuPolicyUnchanged}
	if parts.objects == nil {
		parts.objects = cfg.Objects
	}
	if parts.objects == nil {
		r, err := storage.NewS3Reader(ctx, cfg.S3)
		if err != nil {
			return nil, err
		}
		parts.objects = r
	}
	if cfg.Redis != nil {
		w.store = storage.NewVectorStore(cfg.Redis, storage.StoreConfig{Logger: cfg.Logger,
			Encoding: cfg.VectorEncoding, BlockCopies: cfg.BlockCopies})
		if parts.store == nil {
			parts.store = w.store
		}
	}
	pipe, err := newPipeline(parts, cfg)
	if err != nil {
		return nil, err
	}
	w.pipe = pipe
	if cfg.Redis != nil {
		w.srv, w.mux = newServer(cfg.Redis, &handler{pipeline: pipe, log: cfg.Logger, forward: asynq.NewClientFromRedisClient(cfg.Redis)}, cfg)
		w.sweep = &sweeper{insp: asynq.NewInspectorFromRedisClient(cfg.Redis), pipe: pipe, store: w.store, queue: cfg.Queue}
	}
	return w, nil
}

// Start checks the Redis settings the contract needs (storage.CheckServer:
// an eviction policy that may evict any key is refused, other doubtful
// settings are logged as warnings), makes the worker's space current when
// no space is current yet (a running deployment's pointer is only moved by
// a person, with itemvec vectors promote), warms the models up (WarmUp,
// unless done already), starts taking tasks from the queue, serving HTTP
// and the sweep of archived tasks (every Config.SweepInterval). It returns
// once the server runs.
func (w *Worker) Start(ctx context.Context) error {
	const op = "workers.Worker.Start"
	if w.srv == nil {
		return itemvec.Errorf(itemvec.KindConfig, op, "this worker has no Redis (Config.Redis): it can embed but not serve tasks")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return itemvec.Errorf(itemvec.KindConfig, op, "the worker was started already")
	}
	warnings, err := storage.CheckServer(ctx, w.cfg.Redis)
	if err != nil {
		return err
	}
	for _, msg := range warnings {
		w.cfg.Logger.Warn(msg)
	}
	if err := w.store.RegisterSpace(ctx, w.spaceMeta()); err != nil {
		return err
	}
	if err := w.claimCurrent(ctx); err != nil {
		return err
	}
	if _, err := w.WarmUp(ctx); err != nil {
		return err
	}
	if err := w.srv.Start(w.mux); err != nil {
		return itemvec.Errorf(itemvec.KindUnavailable, op, "start the task server: %w", err)
	}
	w.started = true
	w.registerOnce.Do(func() {
		w.pipe.metrics.info(w)
		w.pipe.metrics.reg.MustRegister(newQueueCollector(w.sweep.insp, w.cfg.Queue))
	})
	if w.cfg.HTTPAddr != "" {
		if err := w.startHTTP(); err != nil {
			w.srv.Shutdown()
			w.started = false
			return err
		}
	}
	if w.cfg.SweepInterval > 0 {
		bg, stop := context.WithCancel(context.WithoutCancel(ctx))
		w.stopBg = stop
		w.bg.Go(func() { w.sweep.run(bg, w.cfg.SweepInterval) })
	}
	w.cfg.Logger.Info("worker started", "queue", w.cfg.Queue, "concurrency", w.cfg.Concurrency, "space", w.Space(),
		"image_model", w.ImageModel(), "text_model", w.TextModel(), "device", w.Device(), "max_batch", w.cfg.Models.MaxBatch)
	return nil
}

// Run starts the worker, serves tasks until ctx ends, then shuts down: it
// stops taking tasks and waits up to Config.ShutdownTimeout for the
// running ones; tasks still running then go back to the queue and are
// retried by another worker (asynq's lease). It does not Close the worker.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	w.cfg.Logger.Info("stopping: waiting for running tasks", "timeout", w.cfg.ShutdownTimeout)
	return w.Shutdown(context.WithoutCancel(ctx))
}

// Shutdown stops taking tasks and waits for the running ones to finish, at
// most Config.ShutdownTimeout; what is not finished by then goes back to
// the queue. It returns ctx.Err() if ctx ends first (the server still
// finishes shutting down in the background). Shutdown is idempotent and a
// no-op on a worker that never started.
func (w *Worker) Shutdown(ctx context.Context) error {
	w.mu.Lock()
	if !w.started {
		w.mu.Unlock()
		return nil
	}
	if !w.stopped {
		w.stopped = true
		if w.stopBg != nil {
			w.stopBg()
		}
		go func() {
			w.srv.Shutdown()
			w.bg.Wait()
			if w.http != nil {
				_ = w.http.Close()
			}
			close(w.shutdown)
		}()
	}
	w.mu.Unlock()
	select {
	case <-w.shutdown:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close shuts the worker down if it runs, then stops the micro-batchers and
// frees the model sessions and the ONNX Runtime environment. It is the only
// thing that frees them, and does so once; later calls return the first
// call's result. It does not close Config.Redis.
func (w *Worker) Close() error {
	w.closeOnce.Do(func() {
		err := w.Shutdown(context.Background())
		if w.models != nil {
			err = errors.Join(err, w.models.close())
		}
		w.closeErr = err
	})
	return w.closeErr
}

// Embed runs one item through exactly what a task runs — validation,
// fetch, decode and preparation, the image and text micro-batchers, fusion —
// and returns what the worker would publish, without publishing it.
// itemvec embed prints it.
func (w *Worker) Embed(ctx context.Context, it Item) (*Embedding, error) {
	return w.pipe.embedOne(ctx, it)
}

// Sweep accounts for the items of the archived tasks of the worker's queue
// now: each item that has neither a vector of that content nor a failure
// record gets a failure record saying why the task was archived (kind
// task_worker_lost when the worker of its last attempt was lost, else
// task_archived). A started worker does this every Config.SweepInterval;
// the worker's Sweep method runs it once.
func (w *Worker) Sweep(ctx context.Context) (SweepResult, error) {
	if w.sweep == nil {
		return SweepResult{}, itemvec.Errorf(itemvec.KindConfig, "workers.Worker.Sweep", "this worker has no Redis (Config.Redis)")
	}
	return w.sweep.Sweep(ctx)
}

// claimCurrent points itemvec:current at the worker's space when nothing
// is current yet.
func (w *Worker) claimCurrent(ctx context.Context) error {
	space := w.Space()
	cur, err := w.store.Current(ctx)
	if err != nil {
		return err
	}
	switch cur {
	case "":
		w.cfg.Logger.Info("no current space yet; this worker's space becomes current", "space", space)
		return w.store.SetCurrent(ctx, space)
	case space:
		return nil
	default:
		w.cfg.Logger.Warn("writing to a space that is not current; run `itemvec vectors promote` when its backfill is done",
			"space", space, "current", cur)
		return nil
	}
}

// Space is the Redis key space the worker writes to: the fusion spec's id
// and hash.
func (w *Worker) Space() string { return w.pipe.space }

// Stats returns the worker's cumulative per-stage counters.
func (w *Worker) Stats() *Stats { return w.pipe.stats }

// CPUPolicy is the CPU scheduling policy New gave the process's threads:
// "batch" or "normal", or "unchanged" where it left them as they were
// (auto with CUDA, or the policy could not be set).
func (w *Worker) CPUPolicy() string { return w.cpuPolicy }

// Config returns the worker's configuration, defaults applied.
func (w *Worker) Config() Config { return w.cfg }

// ImageModel is the image model's spec id.
func (w *Worker) ImageModel() string {
	if w.models == nil {
		return ""
	}
	return w.models.image.spec.ID
}

// TextModel is the text model's spec id, or "none".
func (w *Worker) TextModel() string {
	if w.models == nil {
		return TextModelNone
	}
	return w.models.textID()
}

// Device is the execution provider the image model runs on (cpu or cuda;
// never auto).
func (w *Worker) Device() onnx.Device {
	if w.models == nil {
		return ""
	}
	return w.models.image.session.Device()
}

// ImageSessions is how many sessions of the image model run behind its
// micro-batcher (see ModelConfig.ImageSessions) and the intra-op threads of
// each (0: ORT's default); 0, 0 without models.
func (w *Worker) ImageSessions() (sessions, threads int) {
	if w.models == nil {
		return 0, 0
	}
	return len(w.models.image.sessions), w.models.image.threads
}

// Layout says where each block sits in the vectors the worker writes.
type Layout struct {
	// Space is the Redis key space; Spec the fusion spec's id.
	Space, Spec string
	// Dim is the length of every vector.
	Dim int
	// Blocks are image, text and behaviour, in order, with the model
	// that fills each (none for behaviour).
	Blocks []LayoutBlock
	// BehaviorFeatures names the behaviour block's values, in order.
	BehaviorFeatures []string
}

// LayoutBlock is one block of a [Layout].
type LayoutBlock struct {
	fusion.BlockRange
	Model string
}

// Layout returns the layout of the worker's space.
func (w *Worker) Layout() Layout {
	s := w.pipe.fusion
	l := Layout{Space: w.Space(), Spec: s.ID, Dim: s.Dim(), BehaviorFeatures: s.BehaviorFeatureNames()}
	for _, r := range s.Layout() {
		b := LayoutBlock{BlockRange: r}
		switch r.Name {
		case fusion.BlockImage:
			b.Model = s.Blocks.Image.Model
		case fusion.BlockText:
			b.Model = s.Blocks.Text.Model
		}
		l.Blocks = append(l.Blocks, b)
	}
	return l
}

// TextPieces returns the token strings of tokens the worker's text model
// made, one per id, for debugging output; nil without a text model.
func (w *Worker) TextPieces(t extract.Tokens) []string {
	if w.models == nil || w.models.text == nil {
		return nil
	}
	return w.models.text.tokenizer.Pieces(t)
}

// spaceMeta describes the worker's space for itemvec:<space>:meta.
func (w *Worker) spaceMeta() storage.SpaceMeta {
	l := w.Layout()
	spec, _ := json.Marshal(w.pipe.fusion) // a validated spec marshals (Hash relies on it)
	m := storage.SpaceMeta{
		Space: l.Space, SpecID: l.Spec, SpecHash: w.pipe.fusion.Hash(), Spec: spec, Dim: l.Dim,
		BehaviorFeatures: l.BehaviorFeatures, ImageModel: w.ImageModel(), TextModel: w.TextModel(),
		Encoding: cmp.Or(w.cfg.VectorEncoding, storage.EncodingFloat32), BlockCopies: w.cfg.BlockCopies,
	}
	for _, b := range l.Blocks {
		m.Blocks = append(m.Blocks, storage.SpaceBlock{Name: b.Name, Offset: b.Offset, Dim: b.Dim, Model: b.Model})
	}
	return m
}
