package workers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/workers/modelspec"
)

// fakeObjects serves objects from a map; errs overrides per URI.
type fakeObjects struct {
	mu   sync.Mutex
	data map[string][]byte
	errs map[string]error
	gets map[string]int
}

func (f *fakeObjects) Get(_ context.Context, uri string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gets == nil {
		f.gets = map[string]int{}
	}
	f.gets[uri]++
	if err := f.errs[uri]; err != nil {
		return nil, err
	}
	b, ok := f.data[uri]
	if !ok {
		return nil, &itemvec.Error{Kind: itemvec.KindNotFound, Op: "storage.S3Reader.Get", Code: storage.CodeObjectMissing,
			Err: errors.New(uri + ": object not found")}
	}
	return b, nil
}

// meanEncoder is a stand-in image model: a 1280-d embedding whose entries are
// the means of the tensor's three channel planes, repeated, plus a ramp, so
// different images give different vectors. It counts calls.
type meanEncoder struct{ calls atomic.Int64 }

func (e *meanEncoder) Submit(ctx context.Context, in []float32) ([]float32, error) {
	e.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	plane := len(in) / 3
	var means [3]float64
	for c := range 3 {
		for _, v := range in[c*plane : (c+1)*plane] {
			means[c] += float64(v)
		}
		means[c] /= float64(plane)
	}
	out := make([]float32, 1280)
	for i := range out {
		out[i] = float32(means[i%3]) + float32(i%7)*0.01
	}
	return out, nil
}

// meanRunner is the mean encoder as an onnx.BatchRunner, for tests that
// put a real micro-batcher in front of it.
type meanRunner struct{}

func (meanRunner) Check(in []float32) error {
	if len(in) == 0 || len(in)%3 != 0 {
		return fmt.Errorf("want 3 planes, got %d floats", len(in))
	}
	return nil
}
func (meanRunner) OutputDim() int { return 1280 }
func (meanRunner) RunBatch(ctx context.Context, ins [][]float32) ([][]float32, error) {
	var e meanEncoder
	out := make([][]float32, len(ins))
	for i, in := range ins {
		row, err := e.Submit(ctx, in)
		if err != nil {
			return nil, err
		}
		out[i] = row
	}
	return out, nil
}

func testJPEG(t *testing.T, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixture is a Worker assembled exactly as New assembles one, around
// stand-in models: fake objects and the mean encoder, the built-in image
// spec's preparation and fusion spec v1, on Redis rdb (a fresh miniredis
// when nil). edit, when given, changes the config before assembly.
type fixture struct {
	objects *fakeObjects
	encoder ImageEncoder
	store   *storage.VectorStore
	w       *Worker
}

func newFixture(t *testing.T, rdb redis.UniversalClient, edit ...func(*Config, *pipelineParts)) *fixture {
	t.Helper()
	if rdb == nil {
		mr := miniredis.RunT(t)
		c := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		t.Cleanup(func() { c.Close() })
		rdb = c
	}
	f := &fixture{
		objects: &fakeObjects{data: map[string][]byte{
			"s3://b/red.jpg":  testJPEG(t, color.RGBA{R: 220, G: 20, B: 20}),
			"s3://b/blue.jpg": testJPEG(t, color.RGBA{R: 20, G: 20, B: 220}),
			"s3://b/zero.jpg": {},
			"s3://b/bad.jpg":  append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{7}, 300)...),
		}},
		encoder: &meanEncoder{},
		store:   storage.NewVectorStore(rdb, storage.StoreConfig{}),
	}
	cfg := Config{Redis: rdb, Logger: quietLogger()}
	parts := pipelineParts{objects: f.objects, image: f.encoder,
		imageSpec: modelspec.DefaultImage().Image.WithDefaults(), fusion: fusion.DefaultSpec()}
	for _, e := range edit {
		e(&cfg, &parts)
	}
	f.encoder = parts.image
	w, err := assemble(t.Context(), cfg.WithDefaults(), parts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	f.w = w
	return f
}

// calls is how many times the fixture's mean encoder ran.
func (f *fixture) calls() int64 { return f.encoder.(*meanEncoder).calls.Load() }

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func behavior() *fusion.Behavior {
	return &fusion.Behavior{Price: 19.9, Rating: 4.2, Devices: map[string]fusion.DeviceCounters{
		"mobile": {Views: 900, Clicks: 60, Carts: 9, Orders: 3},
		"pc":     {Views: 300, Clicks: 30, Carts: 4, Orders: 2},
	}}
}

func item(id string, images ...string) Item {
	return Item{ID: id, Images: images, Text: &Text{Title: id}, Behavior: behavior()}
}

func TestProcessPublishesGoodItemsAndRecordsBadOnes(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	items := []Item{
		item("good-red", "s3://b/red.jpg"),
		item("good-blue", "s3://b/blue.jpg"),
		item("second-image-works", "s3://b/zero.jpg", "s3://b/blue.jpg"),
		item("behaviour-only"),
		item("zero-bytes", "s3://b/zero.jpg"),
		item("corrupt", "s3://b/bad.jpg"),
		item("missing", "s3://b/nope.jpg"),
		{ID: "bad-behaviour", Behavior: &fusion.Behavior{Price: -1}},
		{ID: "", Images: []string{"s3://b/red.jpg"}},
		item("bad-uri", "http://example/x.jpg"),
	}
	res, err := f.w.pipe.Process(ctx, items, Attempt{Task: "t1", MaxRetry: 3})
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	wantPublished := []string{"good-red", "good-blue", "second-image-works", "behaviour-only"}
	if !sameSet(res.Published, wantPublished) {
		t.Errorf("published %v, want %v", res.Published, wantPublished)
	}
	got, err := f.store.Get(ctx, f.w.Space(), wantPublished...)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v == nil {
			t.Fatalf("%s not in Redis", wantPublished[i])
		}
		if len(v.Vector) != fusion.DefaultSpec().Dim() {
			t.Errorf("%s: dim %d, want %d", v.ID, len(v.Vector), fusion.DefaultSpec().Dim())
		}
		if n := norm(v.Vector); math.Abs(n-1) > 1e-5 {
			t.Errorf("%s: norm %v, want 1", v.ID, n)
		}
	}
	if got[3].Modalities[0] == "image" {
		t.Errorf("behaviour-only item has modalities %v", got[3].Modalities)
	}

	fails, err := f.store.Failures(ctx, f.w.Space(), 100)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // id -> kind
		"zero-bytes":    "decode_empty",
		"corrupt":       "decode_corrupt",
		"missing":       "fetch_object_missing",
		"bad-behaviour": "fuse_invalid_input",
		"":              "validate",
		"bad-uri":       "validate",
	}
	byID := map[string]storage.Failure{}
	for _, fl := range fails {
		byID[fl.ID] = fl
	}
	if len(res.Failed) != len(want) {
		t.Errorf("%d items failed, want %d: %v", len(res.Failed), len(want), res.Failed)
	}
	for id, kind := range want {
		if id == "" {
			// An item without id cannot be stored under its id: it is
			// in the result (and the log) as a validation failure.
			if !slices.ContainsFunc(res.Failed, func(e *ItemError) bool { return e.ItemID == "" && e.Stage == StageValidate }) {
				t.Errorf("the item without id is not among the failed items as a validation failure: %v", res.Failed)
			}
			continue
		}
		fl, ok := byID[id]
		if !ok {
			t.Errorf("no failure recorded for %q", id)
			continue
		}
		if fl.Kind != kind {
			t.Errorf("%s: kind %q, want %q (reason %q)", id, fl.Kind, kind, fl.Reason)
		}
		if fl.Reason == "" || fl.Task != "t1" || fl.Attempt != 1 {
			t.Errorf("%s: incomplete record %+v", id, fl)
		}
	}
	if r := byID["missing"].Reason; !strings.Contains(r, "s3://b/nope.jpg") || !strings.Contains(r, "not found") {
		t.Errorf("missing-object reason does not say what and where: %q", r)
	}
}

func TestProcessRetryableErrorRetriesThenGivesUp(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.objects.errs = map[string]error{
		"s3://b/flaky.jpg": &itemvec.Error{Kind: itemvec.KindUnavailable, Op: "storage.S3Reader.Get", Code: storage.CodeUnavailable,
			Err: errors.New("s3://b/flaky.jpg: service unavailable, retry later: connection reset")},
	}
	items := []Item{item("ok", "s3://b/red.jpg"), item("flaky", "s3://b/flaky.jpg")}

	res, err := f.w.pipe.Process(ctx, items, Attempt{Task: "t2", Retry: 0, MaxRetry: 2})
	var re *RetryError
	if !errors.As(err, &re) || !itemvec.IsRetryable(err) {
		t.Fatalf("first attempt: err = %v, want a retryable *RetryError", err)
	}
	if !sameSet(res.Published, []string{"ok"}) || len(res.Retry) != 1 {
		t.Fatalf("first attempt: published %v, retry %d", res.Published, len(res.Retry))
	}
	if fails, err := f.store.Failures(ctx, f.w.Space(), 10); err != nil || len(fails) != 0 {
		t.Errorf("a retryable failure was recorded before the last attempt: %+v (%v)", fails, err)
	}

	// A retry skips the item published by the first attempt.
	calls := f.calls()
	res, err = f.w.pipe.Process(ctx, items, Attempt{Task: "t2", Retry: 1, MaxRetry: 2})
	if err == nil {
		t.Fatal("second attempt succeeded with the object still failing")
	}
	if !sameSet(res.UpToDate, []string{"ok"}) || f.calls() != calls {
		t.Errorf("retry did not skip the up-to-date item: up to date %v, encoder calls %d -> %d", res.UpToDate, calls, f.calls())
	}

	// The last attempt records the failure and does not ask for another.
	_, err = f.w.pipe.Process(ctx, items, Attempt{Task: "t2", Retry: 2, MaxRetry: 2})
	if !errors.As(err, &re) || !re.Final || len(re.Items) != 1 {
		t.Fatalf("last attempt: err = %v, want a final *RetryError naming the item", err)
	}
	fails, err := f.store.Failures(ctx, f.w.Space(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(fails) != 1 || fails[0].ID != "flaky" || fails[0].Kind != "fetch_unavailable" ||
		!strings.Contains(fails[0].Reason, "gave up after 3 attempts") {
		t.Fatalf("last attempt recorded %+v", fails)
	}

	// Once the object is back, a new run publishes it and clears the record.
	f.objects.errs = nil
	f.objects.data["s3://b/flaky.jpg"] = testJPEG(t, color.RGBA{G: 200})
	if _, err := f.w.pipe.Process(ctx, items, Attempt{Task: "t3", MaxRetry: 2}); err != nil {
		t.Fatal(err)
	}
	if fails, err := f.store.Failures(ctx, f.w.Space(), 10); err != nil || len(fails) != 0 {
		t.Errorf("failure record survived a successful publish: %+v (%v)", fails, err)
	}
}

func TestProcessDuplicateIDsInOneTask(t *testing.T) {
	f := newFixture(t, nil)
	res, err := f.w.pipe.Process(context.Background(),
		[]Item{item("a", "s3://b/red.jpg"), item("a", "s3://b/blue.jpg")}, Attempt{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Published) != 1 || len(res.Failed) != 1 || res.Failed[0].Stage != "validate" {
		t.Fatalf("published %v failed %v", res.Published, res.Failed)
	}
}

func TestHandlerArchivesUndecodablePayload(t *testing.T) {
	f := newFixture(t, nil)
	h := &handler{pipeline: f.w.pipe, log: quietLogger()}
	for _, payload := range []string{`{`, `{"items":[]}`, `[]`} {
		err := h.ProcessTask(context.Background(), asynq.NewTask(TypeEmbed, []byte(payload)))
		if !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("payload %q: err = %v, want SkipRetry", payload, err)
		}
	}
}

func TestTaskIDIsContentDerived(t *testing.T) {
	a := []Item{item("x", "s3://b/red.jpg")}
	_, id1, _ := NewEmbedTask("space-a", "", a)
	_, id2, _ := NewEmbedTask("space-a", "", []Item{item("x", "s3://b/red.jpg")})
	_, id3, _ := NewEmbedTask("space-a", "", []Item{item("y", "s3://b/red.jpg")})
	_, id4, _ := NewEmbedTask("space-b", "", a)
	_, id5, _ := NewEmbedTask("space-a", "r1", a)
	if id1 != id2 || id1 == id3 || id1 == id4 || id1 == id5 || !strings.HasPrefix(id1, "embed-space-a-") || !strings.HasSuffix(id5, "-r1") {
		t.Fatalf("ids %s %s %s %s %s", id1, id2, id3, id4, id5)
	}
	if _, _, err := NewEmbedTask("", "", a); itemvec.KindOf(err) != itemvec.KindConfig {
		t.Errorf("a task without a space: %v, want a config error", err)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}
