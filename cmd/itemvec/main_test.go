package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
	"github.com/itemvec/itemvec/storage/s3test"
	"github.com/itemvec/itemvec/workers"
)

// run executes the CLI in-process and returns stdout, stderr and the error.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func exitCode(err error) int {
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if err != nil {
		return 1
	}
	return 0
}

const manifestLines = `{"id":"sku-1","images":["s3://b/1.jpg"],"behavior":{"price":10,"rating":4,"devices":{"pc":{"views":10,"clicks":1,"carts":0,"orders":0}}}}
{"id":"sku-2","images":["s3://b/2.jpg"]}
{"id":"sku-3","images":["s3://b/3.jpg"]}
{"id":"broken line"
`

func TestEnqueueFromEnvironment(t *testing.T) {
	mr := miniredis.RunT(t)
	path := filepath.Join(t.TempDir(), "m.jsonl")
	if err := os.WriteFile(path, []byte(manifestLines), 0o644); err != nil {
		t.Fatal(err)
	}
	// Flags come from ITEMVEC_<FLAG>; an explicit flag wins over the environment.
	t.Setenv("ITEMVEC_REDIS", "redis://"+mr.Addr()+"/0")
	t.Setenv("ITEMVEC_MANIFEST", path)
	t.Setenv("ITEMVEC_BATCH", "1")
	out, stderr, err := run(t, "enqueue", "--batch", "2")
	if code := exitCode(err); code != 2 {
		t.Fatalf("exit %d (%v), want 2 for the invalid line; stderr: %s", code, err, stderr)
	}
	if !strings.Contains(out, "items: 3, tasks enqueued: 2 (re-run of archived: 0), already enqueued: 0, invalid lines: 1") {
		t.Errorf("summary: %q", out)
	}
	if !strings.Contains(stderr, "line 4") {
		t.Errorf("the invalid line is not named: %q", stderr)
	}
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	info, err := asynq.NewInspectorFromRedisClient(rdb).GetQueueInfo(workers.QueueFor(workers.BuiltinSpaces()[0]))
	if err != nil || info.Pending != 2 {
		t.Fatalf("queue: %+v, %v; want 2 pending tasks", info, err)
	}

	// The same manifest again adds no work; its invalid line still exits 2.
	out, stderr, err = run(t, "enqueue", "--batch", "2")
	if code := exitCode(err); code != 2 {
		t.Fatalf("re-enqueue: exit %d (%v), want 2 for the invalid line; stderr: %s", code, err, stderr)
	}
	if !strings.Contains(out, "tasks enqueued: 0 (re-run of archived: 0), already enqueued: 2") {
		t.Errorf("re-enqueue: %q", out)
	}
}

func TestBadEnvironmentValueIsAnError(t *testing.T) {
	t.Setenv("ITEMVEC_BATCH", "many")
	_, _, err := run(t, "enqueue", "--manifest", "-")
	if err == nil || !strings.Contains(err.Error(), "ITEMVEC_BATCH") {
		t.Fatalf("err = %v, want one naming ITEMVEC_BATCH", err)
	}
}

func TestVectorsGetAndFailures(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	store := storage.NewVectorStore(rdb, storage.StoreConfig{})
	ctx := context.Background()
	vec := []float32{0.6, 0.8}
	if err := store.Publish(ctx, "s1", []storage.ItemVector{{
		ID: "sku-1", Vector: vec, Blocks: map[string][]float32{"image": vec},
		SpecID: "spec", SpecHash: strings.Repeat("a", 64), ContentHash: "c1",
	}}); err != nil {
		t.Fatal(err)
	}
	if err := store.RecordFailures(ctx, "s1", []storage.Failure{{ID: "sku-9", Kind: "decode_corrupt", Reason: "corrupt JPEG", URI: "s3://b/9.jpg"}}); err != nil {
		t.Fatal(err)
	}
	url := "redis://" + mr.Addr() + "/0"

	if _, _, err := run(t, "vectors", "get", "--redis", url, "sku-1"); err == nil {
		t.Error("vectors get without --space and without itemvec:current succeeded")
	}
	if _, _, err := run(t, "vectors", "promote", "--redis", url, "s1"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("promote a space no worker registered: %v", err)
	}
	if err := store.RegisterSpace(ctx, storage.SpaceMeta{Space: "s1", SpecID: "spec", SpecHash: strings.Repeat("a", 64), Dim: 2,
		Blocks: []storage.SpaceBlock{{Name: "image", Dim: 2}}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, "vectors", "promote", "--redis", url, "s1"); err != nil {
		t.Fatal(err)
	}
	if out, _, err := run(t, "spaces", "--redis", url); err != nil || !strings.Contains(out, "*  s1") {
		t.Errorf("itemvec spaces: %q, %v; want s1 marked current", out, err)
	}
	out, _, err := run(t, "vectors", "get", "--redis", url, "sku-1", "sku-2")
	if exitCode(err) != 3 {
		t.Errorf("exit %d, want 3 for a missing id", exitCode(err))
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("output %q", out)
	}
	var got struct {
		ID     string    `json:"id"`
		Space  string    `json:"space"`
		Dim    int       `json:"dim"`
		Vector []float32 `json:"vector"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != "sku-1" || got.Space != "s1" || got.Dim != 2 || got.Vector[1] != 0.8 {
		t.Errorf("got %+v", got)
	}
	if !strings.Contains(lines[1], `"error":"not found"`) {
		t.Errorf("missing id line: %s", lines[1])
	}

	out, _, err = run(t, "vectors", "failures", "--redis", url)
	if err != nil || !strings.Contains(out, `"kind":"decode_corrupt"`) || !strings.Contains(out, `"reason":"corrupt JPEG"`) {
		t.Errorf("failures: %q, %v", out, err)
	}
}

func TestEmbedImage(t *testing.T) {
	img := testdeps.Require(t, "photos/skimage/coffee.png", "models/mobilenetv2_nsfwjs_gap.onnx")[0]
	out, stderr, err := run(t, "embed", "--image", img, "--behavior", `{"price":12,"rating":4.5}`)
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	var got struct {
		Image struct {
			Model  string    `json:"model"`
			Dim    int       `json:"dim"`
			Vector []float32 `json:"vector"`
		} `json:"image"`
		Fused      []float32 `json:"fused"`
		Modalities []string  `json:"modalities"`
		Layout     struct {
			Dim    int `json:"dim"`
			Blocks []struct {
				Name   string `json:"name"`
				Offset int    `json:"offset"`
				Dim    int    `json:"dim"`
				Model  string `json:"model"`
			} `json:"blocks"`
			BehaviorFeatures []string `json:"behavior_features"`
		} `json:"layout"`
		ContentHash string `json:"content_hash"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	// The layout of the default space (fusion v2): image, text, behaviour.
	if l := got.Layout; len(l.Blocks) != 3 || l.Blocks[0].Model != "mobilenetv2-nsfwjs-gap@1" || l.Blocks[1].Offset != 1280 ||
		l.Blocks[1].Model != "use-lite@1" || l.Blocks[2].Offset != 1280+512 || l.Blocks[2].Dim != len(l.BehaviorFeatures) ||
		l.Dim != len(got.Fused) || got.ContentHash == "" {
		t.Errorf("layout %+v, content hash %q", l, got.ContentHash)
	}
	if got.Image.Model != "mobilenetv2-nsfwjs-gap@1" || got.Image.Dim != 1280 || len(got.Image.Vector) != 1280 {
		t.Errorf("model %q dim %d len %d", got.Image.Model, got.Image.Dim, len(got.Image.Vector))
	}
	var n float64
	for _, x := range got.Fused {
		n += float64(x) * float64(x)
	}
	if math.Abs(math.Sqrt(n)-1) > 1e-5 || len(got.Modalities) != 2 {
		t.Errorf("fused norm %v, modalities %v", math.Sqrt(n), got.Modalities)
	}

	_, _, err = run(t, "embed", "--image", filepath.Join(t.TempDir(), "nope.jpg"))
	if err == nil {
		t.Error("embedding a missing file succeeded")
	}
}

// TestWorkerCommand runs `itemvec enqueue` and `itemvec worker` as a user
// would: flags and ITEMVEC_* variables, credentials from the standard AWS
// variables, a real redis-server and a real S3 server (versitygw).
func TestWorkerCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	photo := testdeps.Require(t, "catalog/images/chelsea.jpg")[0]
	rs := redistest.Start(t)
	s3 := s3test.StartVersity(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	data, err := os.ReadFile(photo)
	if err != nil {
		t.Fatal(err)
	}
	if err := s3.CreateBucket(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if err := s3.Put(ctx, "shop", "p/cat.jpg", data); err != nil {
		t.Fatal(err)
	}
	creds, err := s3.Credentials().Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", creds.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("ITEMVEC_REDIS", rs.URL())
	t.Setenv("ITEMVEC_S3_ENDPOINT", s3.Endpoint())
	t.Setenv("ITEMVEC_S3_PATH_STYLE", "true")

	manifest := filepath.Join(t.TempDir(), "m.jsonl")
	lines := `{"id":"cat-1","images":["s3://shop/p/cat.jpg"],"text":{"title":"Tabby cat portrait canvas print"},"behavior":{"price":30,"rating":4.8}}
{"id":"gone-1","images":["s3://shop/p/gone.jpg"]}
`
	if err := os.WriteFile(manifest, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, stderr, err := run(t, "enqueue", "--manifest", manifest); err != nil {
		t.Fatalf("enqueue: %v\n%s%s", err, out, stderr)
	}

	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		root := newRootCmd()
		root.SetArgs([]string{"worker", "--concurrency", "2"})
		done <- root.ExecuteContext(wctx)
	}()
	rdb := rs.Client()
	store := storage.NewVectorStore(rdb, storage.StoreConfig{})
	for {
		space, _ := store.Current(ctx)
		fails, _ := store.Failures(ctx, space, 10)
		got, _ := store.Get(ctx, space, "cat-1")
		if space != "" && len(fails) == 1 && len(got) == 1 && got[0] != nil {
			if fails[0].ID != "gone-1" || fails[0].Kind != "fetch_object_missing" {
				t.Errorf("failure %+v", fails[0])
			}
			// Default models: MobileNetV2 image, USE Lite text, behaviour (fusion v2).
			if want := fusion.DefaultTextSpec().Dim(); len(got[0].Vector) != want {
				t.Errorf("dim %d, want %d", len(got[0].Vector), want)
			}
			if m := strings.Join(got[0].Modalities, ","); m != "image,text,behavior" {
				t.Errorf("modalities %s", m)
			}
			break
		}
		select {
		case err := <-done:
			t.Fatalf("worker stopped early: %v", err)
		case <-ctx.Done():
			t.Fatal("the worker did not publish within the deadline")
		case <-time.After(100 * time.Millisecond):
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("worker exit: %v", err)
	}
}
