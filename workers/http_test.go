package workers

import (
	"fmt"
	"github.com/itemvec/itemvec/onnx"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec/storage/redistest"
)

// TestHTTP_MetricsAndReadiness runs tasks through a started worker on a
// real redis-server, scrapes /metrics and checks the counters against what
// Redis holds, then stops Redis and starts it again under /readyz.
func TestHTTP_MetricsAndReadiness(t *testing.T) {
	srv := redistest.StartPersistent(t, 0)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { rdb.Close() })
	f := newFixture(t, rdb, func(c *Config, parts *pipelineParts) {
		c.HTTPAddr, c.Queue, c.PollInterval = "127.0.0.1:0", "ops", 50*time.Millisecond
		// A real micro-batcher in front of the mean encoder, observed the
		// way New observes the model's.
		parts.metrics = newMetrics()
		b, err := onnx.NewBatcher[[]float32](meanRunner{}, onnx.BatcherConfig[[]float32]{
			MaxBatch: 4, Observe: parts.metrics.observeBatches("image"),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		parts.image = b
	})
	ctx := t.Context()
	if addr := f.w.HTTPAddr(); addr != "" {
		t.Fatalf("HTTPAddr before Start = %q; nothing should listen yet", addr)
	}
	if err := f.w.Ready(ctx); err == nil {
		t.Fatal("Ready before Start = nil, want not started")
	}
	if err := f.w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	base := "http://" + f.w.HTTPAddr()
	if r := get(t, base+"/healthz"); r.status != 200 || r.body != "ok\n" {
		t.Fatalf("/healthz = %d %q", r.status, r.body)
	}
	if r := get(t, base+"/readyz"); r.status != 200 {
		t.Fatalf("/readyz = %d %q with Redis up", r.status, r.body)
	}

	client := asynq.NewClientFromRedisClient(rdb)
	tasks := [][]Item{
		{item("good-red", "s3://b/red.jpg"), item("missing", "s3://b/nope.jpg")},
		{item("good-blue", "s3://b/blue.jpg"), item("corrupt", "s3://b/bad.jpg"), item("behaviour-only")},
	}
	for _, items := range tasks {
		task, _, err := NewEmbedTask(f.w.Space(), "", items, asynq.Queue("ops"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.EnqueueContext(ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := insp.GetQueueInfo("ops")
		if err == nil && info.Processed == len(tasks) && info.Active == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tasks not done: %+v, %v", info, err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	fams := scrape(t, base+"/metrics")
	want := map[string]float64{
		`itemvec_items_total{result="published"}`:                  3,
		`itemvec_items_total{result="failed"}`:                     2,
		`itemvec_items_total{result="up_to_date"}`:                 0,
		`itemvec_item_failures_total{kind="fetch_object_missing"}`: 1,
		`itemvec_item_failures_total{kind="decode_corrupt"}`:       1,
		`itemvec_tasks_total{outcome="done"}`:                      2,
		`itemvec_items_in_flight`:                                  0,
		`itemvec_stage_seconds_count{stage="publish"}`:             2,
		`itemvec_stage_seconds_count{stage="fetch"}`:               4,
		// Two images reached the model (red, blue): the batches carried 2.
		`itemvec_batch_size_sum{model="image"}`: 2,
		`itemvec_worker_info{device="",image_model="` + f.w.ImageModel() + `",queue="ops",space="` + f.w.Space() + `",text_model="` + f.w.TextModel() + `"}`: 1,
	}
	for series, v := range want {
		got, ok := fams[series]
		if !ok {
			t.Errorf("/metrics has no %s", series)
			continue
		}
		if got != v {
			t.Errorf("%s = %v, want %v", series, got, v)
		}
	}
	// The same batches in the worker's Stats, for itemvec bench.
	bs := &f.w.Stats().ImageBatches
	if n := fams[`itemvec_batch_size_count{model="image"}`]; bs.Inputs() != 2 || float64(bs.Batches()) != n || bs.Run() <= 0 {
		t.Errorf("Stats().ImageBatches: %d batches, %d inputs, run %v; want the %v batches /metrics counts, 2 inputs, run > 0",
			bs.Batches(), bs.Inputs(), bs.Run(), n)
	}
	if n := f.w.Stats().Settled(); n != 5 {
		t.Errorf("Stats().Settled() = %d, want 5 (3 published, 2 failed)", n)
	}
	if b := f.w.Stats().TextBatches.Batches(); b != 0 {
		t.Errorf("Stats().TextBatches: %d batches without a text model", b)
	}
	fails, err := f.store.Failures(ctx, f.w.Space(), 0)
	if err != nil || len(fails) != 2 {
		t.Fatalf("Redis holds %d failure records (%v), the counters say 2", len(fails), err)
	}
	if n := fams[`itemvec_batch_size_count{model="image"}`]; n < 1 || n > 2 ||
		fams[`itemvec_batch_fill_ratio_count{model="image"}`] != n || fams[`itemvec_batch_wait_seconds_count{model="image"}`] != n {
		t.Errorf("image batches: size count %v, fill count %v, wait count %v; want the same 1 or 2", n,
			fams[`itemvec_batch_fill_ratio_count{model="image"}`], fams[`itemvec_batch_wait_seconds_count{model="image"}`])
	}
	if fill := fams[`itemvec_batch_fill_ratio_sum{model="image"}`]; fill != 0.5 {
		t.Errorf("image batch fill sum = %v, want 2 inputs / max batch 4 = 0.5", fill)
	}
	if _, ok := fams[`itemvec_queue_tasks{queue="ops",state="completed"}`]; !ok {
		t.Error("/metrics has no queue depth")
	}
	if _, ok := fams["process_resident_memory_bytes"]; !ok {
		t.Error("/metrics has no process metrics")
	}

	// Redis goes away: unready; it comes back: ready again.
	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if r := get(t, base+"/readyz"); r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "redis") {
		t.Fatalf("/readyz = %d %q with Redis stopped, want 503 naming redis", r.status, r.body)
	}
	if r := get(t, base+"/healthz"); r.status != 200 {
		t.Errorf("/healthz = %d with Redis stopped: the process still serves", r.status)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitLoaded(ctx); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for r := get(t, base+"/readyz"); r.status != 200; r = get(t, base+"/readyz") {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d %q 10s after Redis came back", r.status, r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := f.w.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if r := get(t, base+"/healthz"); r.err == nil {
		t.Errorf("the listener still serves after Shutdown: %d", r.status)
	}
}

type response struct {
	status int
	body   string
	err    error
}

func get(t *testing.T, url string) response {
	t.Helper()
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return response{err: err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, body: string(b)}
}

// scrape reads /metrics into "name{label="v",...}" -> value, labels sorted
// by name as the exposition format writes them.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	r := get(t, url)
	if r.err != nil || r.status != 200 {
		t.Fatalf("GET %s: %d %v", url, r.status, r.err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for name, fam := range fams {
		for _, m := range fam.GetMetric() {
			key := name + labels(m.GetLabel())
			switch fam.GetType() {
			case dto.MetricType_COUNTER:
				out[key] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key] = m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[name+"_count"+labels(m.GetLabel())] = float64(m.GetHistogram().GetSampleCount())
				out[name+"_sum"+labels(m.GetLabel())] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out
}

func labels(ls []*dto.LabelPair) string {
	if len(ls) == 0 {
		return ""
	}
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = l.GetName() + `="` + l.GetValue() + `"`
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// TestHTTP_UI serves asynqmon under /ui/: its page and API answer, and it
// refuses changes unless UIWritable.
func TestHTTP_UI(t *testing.T) {
	for _, writable := range []bool{false, true} {
		t.Run(fmt.Sprintf("writable=%v", writable), func(t *testing.T) {
			rdb := redistest.Start(t).Client()
			f := newFixture(t, rdb, func(c *Config, _ *pipelineParts) {
				c.HTTPAddr, c.Queue, c.UI, c.UIWritable = "127.0.0.1:0", "ui", true, writable
			})
			ctx := t.Context()
			task, _, err := NewEmbedTask(f.w.Space(), "", []Item{item("x")}, asynq.Queue("held"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := asynq.NewClientFromRedisClient(rdb).EnqueueContext(ctx, task); err != nil {
				t.Fatal(err)
			}
			if err := f.w.Start(ctx); err != nil {
				t.Fatal(err)
			}
			base := "http://" + f.w.HTTPAddr() + "/ui/"
			if r := get(t, base); r.status != 200 || !strings.Contains(r.body, "<html") {
				t.Fatalf("GET /ui/ = %d %.80q", r.status, r.body)
			}
			if r := get(t, base+"api/queues"); r.status != 200 || !strings.Contains(r.body, `"held"`) {
				t.Fatalf("GET /ui/api/queues = %d %.200q", r.status, r.body)
			}
			resp, err := http.Post(base+"api/queues/held:pause", "application/json", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			info, err := asynq.NewInspectorFromRedisClient(rdb).GetQueueInfo("held")
			if err != nil {
				t.Fatal(err)
			}
			if writable != info.Paused || (!writable && resp.StatusCode != http.StatusMethodNotAllowed) {
				t.Errorf("POST pause: status %d, paused %v; want paused only when writable", resp.StatusCode, info.Paused)
			}
			// The UI shares the worker's client: it must still work after.
			if err := rdb.Ping(ctx).Err(); err != nil {
				t.Errorf("the worker's Redis client: %v", err)
			}
		})
	}
}
