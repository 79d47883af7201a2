package workers

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/itemvec/itemvec/onnx"
)

// metrics are what a worker serves on /metrics, in a registry of its own.
// Labels are bounded: a result, a failure kind (stage and code), a stage, a
// queue and task state; never an item id or a URI.
type metrics struct {
	reg      *prometheus.Registry
	items    *prometheus.CounterVec
	failures *prometheus.CounterVec
	warnings *prometheus.CounterVec
	tasks    *prometheus.CounterVec
	stages   *prometheus.HistogramVec
	inFlight prometheus.Gauge
	// Per model ("image", "text"): what each micro-batch carried.
	batchSize, batchFill, batchWait, batchRun *prometheus.HistogramVec
	// stats receives the models' CPU time (set by observeStages).
	stats atomic.Pointer[Stats]
}

// Results counted by itemvec_items_total.
const (
	resultPublished = "published"
	resultRefreshed = "refreshed"
	resultUpToDate  = "up_to_date"
	resultFailed    = "failed"
	resultRetry     = "retry"
)

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "itemvec_items_total",
			Help: "Items processed, by result: published (embedded in full), refreshed (only behaviour counters changed: re-fused from the stored vector and published without fetch, decode or inference), up_to_date (skipped, Redis holds the same content), failed (recorded with a reason), retry (failed retryably; the task runs again).",
		}, []string{"result"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "itemvec_item_failures_total",
			Help: "Items recorded as failed, by failure kind (<stage>_<code>, docs/contract.md).",
		}, []string{"kind"}),
		warnings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "itemvec_item_warnings_total",
			Help: "Warnings of published items, by code (e.g. unknown_device: counters of a device the fusion spec does not know were left out; the item hash's warnings field says which).",
		}, []string{"code"}),
		tasks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "itemvec_tasks_total",
			Help: "Task attempts, by outcome: done, retry (some items retry), store_retry (Redis did not take the results; not counted as an attempt), archived.",
		}, []string{"outcome"}),
		stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "itemvec_stage_seconds",
			Help:    "Time per call of a pipeline stage: fetch, decode (decode+prep), inference (image model, with the wait for its batch), text (tokenize + text model), fusion, publish (one call per task).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"stage"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "itemvec_items_in_flight",
			Help: "Items of the tasks this worker is processing now.",
		}),
	}
	m.batchSize = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "itemvec_batch_size",
		Help:    "Inputs per model call of a micro-batcher, by model (image, text).",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
	}, []string{"model"})
	m.batchFill = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "itemvec_batch_fill_ratio",
		Help:    "Inputs per model call divided by --max-batch, by model: near 1 means the model is the bottleneck, low values mean it waits for input.",
		Buckets: []float64{0.125, 0.25, 0.5, 0.75, 0.9, 1},
	}, []string{"model"})
	m.batchWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "itemvec_batch_wait_seconds",
		Help:    "How long the oldest input of each model call waited in the micro-batcher (bounded by --max-wait while batches fill, longer while the model is busy), by model.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, []string{"model"})
	m.batchRun = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "itemvec_batch_run_seconds",
		Help:    "Time of each model call (ONNX Runtime Run on one micro-batch), by model.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"model"})
	m.reg.MustRegister(m.batchSize, m.batchFill, m.batchWait, m.batchRun)
	m.reg.MustRegister(m.items, m.failures, m.warnings, m.tasks, m.stages, m.inFlight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observeBatches returns the BatcherConfig.Observe function of the
// micro-batcher of model ("image" or "text").
func (m *metrics) observeBatches(model string) func(onnx.BatchInfo) {
	size, fill := m.batchSize.WithLabelValues(model), m.batchFill.WithLabelValues(model)
	wait, run := m.batchWait.WithLabelValues(model), m.batchRun.WithLabelValues(model)
	return func(b onnx.BatchInfo) {
		if s := m.stats.Load(); s != nil {
			if model == "text" {
				s.Text.addCPU(b.CPU)
				s.TextBatches.add(b)
			} else {
				s.Inference.addCPU(b.CPU)
				s.ImageBatches.add(b)
			}
		}
		size.Observe(float64(b.Size))
		fill.Observe(b.Fill())
		wait.Observe(b.Wait.Seconds())
		run.Observe(b.Run.Seconds())
	}
}

// observeStages makes the stage counters of s feed the histograms.
func (m *metrics) observeStages(s *Stats) {
	m.stats.Store(s)
	for name, st := range map[string]*StageStats{
		"fetch": &s.Fetch, "decode": &s.Decode, "inference": &s.Inference,
		"text": &s.Text, "fusion": &s.Fusion, "publish": &s.Publish,
	} {
		st.obs = m.stages.WithLabelValues(name)
	}
}

// processed counts the items of one Process call.
func (m *metrics) processed(res *Result) {
	if res == nil {
		return
	}
	m.items.WithLabelValues(resultPublished).Add(float64(len(res.Published) - len(res.Refreshed)))
	m.items.WithLabelValues(resultRefreshed).Add(float64(len(res.Refreshed)))
	m.items.WithLabelValues(resultUpToDate).Add(float64(len(res.UpToDate)))
	m.items.WithLabelValues(resultRetry).Add(float64(len(res.Retry)))
	m.items.WithLabelValues(resultFailed).Add(float64(len(res.Failed)))
	if s := m.stats.Load(); s != nil {
		s.settled.Add(int64(len(res.Published) + len(res.UpToDate) + len(res.Failed)))
	}
	for _, f := range res.Failed {
		m.failures.WithLabelValues(f.Code()).Inc()
	}
}

// info registers the worker's models and space as itemvec_worker_info and
// the queue depth collector.
func (m *metrics) info(w *Worker) {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "itemvec_worker_info",
		Help: "The worker's space, models, device and queue (value 1).",
	}, []string{"space", "image_model", "text_model", "device", "queue"})
	g.WithLabelValues(w.Space(), w.ImageModel(), w.TextModel(), string(w.Device()), w.cfg.Queue).Set(1)
	m.reg.MustRegister(g)
}

// queueCollector exports the depth of a queue from asynq's Inspector,
// reading it at most once per minAge however often /metrics is scraped.
type queueCollector struct {
	insp   *asynq.Inspector
	queue  string
	minAge time.Duration
	desc   *prometheus.Desc

	mu   sync.Mutex
	at   time.Time
	info *asynq.QueueInfo
}

func newQueueCollector(insp *asynq.Inspector, queue string) *queueCollector {
	return &queueCollector{insp: insp, queue: queue, minAge: 5 * time.Second,
		desc: prometheus.NewDesc("itemvec_queue_tasks",
			"Tasks of the worker's asynq queue by state (pending, active, scheduled, retry, archived, completed), read from Redis at most every 5 s.",
			[]string{"queue", "state"}, nil)}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	if time.Since(c.at) >= c.minAge {
		if info, err := c.insp.GetQueueInfo(c.queue); err == nil {
			c.info = info
		} else {
			c.info = &asynq.QueueInfo{} // no queue yet, or Redis away: zero
		}
		c.at = time.Now()
	}
	info := c.info
	c.mu.Unlock()
	for state, n := range map[string]int{
		"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled,
		"retry": info.Retry, "archived": info.Archived, "completed": info.Completed,
	} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), c.queue, state)
	}
}
