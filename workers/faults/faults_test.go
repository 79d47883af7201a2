package faults_test

import (
	"bytes"
	"context"
	"hash/crc32"
	"image"
	"image/jpeg"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
	"github.com/itemvec/itemvec/storage/s3test"
	"github.com/itemvec/itemvec/workers"
	"github.com/itemvec/itemvec/workers/faults"
)

// childEnv makes the test binary a worker process (for the kill -9 case):
// ITEMVEC_FAULTS_REDIS, ITEMVEC_FAULTS_S3, ITEMVEC_FAULTS_QUEUE and the AWS_*
// variables say where it works.
const childEnv = "ITEMVEC_FAULTS_WORKER"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runChildWorker())
	}
	os.Exit(m.Run())
}

func runChildWorker() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	rdb, err := storage.NewRedisClient(os.Getenv("ITEMVEC_FAULTS_REDIS"))
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	defer rdb.Close()
	cfg := workerConfig(rdb, storage.S3Config{Endpoint: os.Getenv("ITEMVEC_FAULTS_S3"), Region: os.Getenv("AWS_REGION"), PathStyle: true},
		os.Getenv("ITEMVEC_FAULTS_QUEUE"))
	w, err := workers.New(ctx, cfg)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	defer w.Close()
	if err := w.Run(ctx); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	return 0
}

// dim is the dimension of the default space (fusion spec v2).
var dim = fusion.DefaultTextSpec().Dim()

// TestRedisRestartedMidRun restarts redis-server twice while a worker
// publishes; with 50,000 extra keys and key-load-delay 10 µs it answers
// LOADING for seconds each time.
func TestRedisRestartedMidRun(t *testing.T) {
	needDeps(t)
	r, rdb := startRedis(t, 10)
	ctx := t.Context()
	if err := redistest.Fill(ctx, rdb, 50_000); err != nil {
		t.Fatal(err)
	}
	s3 := s3test.StartVersity(t)
	j := newJob(t, s3, 8)
	w := startWorker(t, rdb, s3.ReaderConfig(), "restart")
	enqueue(t, rdb, "restart", j.items)
	var loading []time.Duration
	for _, share := range []int{4, 2} { // at 1/4 and 1/2 of the items
		for published(t, rdb, w.Space()) < len(j.items)/share {
			time.Sleep(20 * time.Millisecond)
		}
		d, err := r.Restart(ctx)
		if err != nil {
			t.Fatal(err)
		}
		loading = append(loading, d)
	}
	waitDrained(t, rdb, "restart", 3*time.Minute)
	if _, err := w.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	c := checkInvariant(t, rdb, w.Space(), dim, j.ids())
	// A restart is Redis' trouble, not the tasks': it costs no attempt and
	// archives nothing.
	insp := asynq.NewInspectorFromRedisClient(rdb)
	done, err := insp.ListCompletedTasks("restart", asynq.PageSize(1000))
	if err != nil {
		t.Fatal(err)
	}
	retried := 0
	for _, task := range done {
		if task.Retried > 0 {
			retried++
			t.Errorf("task %s used %d extra attempt(s) over the restart: %s", task.ID, task.Retried, task.LastErr)
		}
	}
	if info, err := insp.GetQueueInfo("restart"); err != nil || info.Archived != 0 {
		t.Errorf("queue info %+v, %v: tasks were archived over a restart", info, err)
	}
	t.Logf("FAULT redis restarted twice (LOADING %v): %v; %d of %d tasks needed an extra attempt", loading, c, retried, len(done))
	for _, d := range loading {
		if d < 500*time.Millisecond {
			t.Errorf("LOADING lasted %v: the restart did not test what it should", d)
		}
	}
}

// TestS3Faults runs a quarter of the S3 GETs into a fault.
func TestS3Faults(t *testing.T) {
	needDeps(t)
	_, rdb := startRedis(t, 0)
	ctx := t.Context()
	s3 := s3test.StartVersity(t)
	j := newJob(t, s3, 6)
	proxy, err := faults.NewProxy(s3.Endpoint(), faults.Config{Rate: 0.25, Seed: 8, StallFor: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	cfg := s3.ReaderConfig()
	cfg.Endpoint = proxy.URL()
	cfg.Timeout = 2 * time.Second // a stall outlasts it
	w := startWorker(t, rdb, cfg, "s3faults")
	enqueue(t, rdb, "s3faults", j.items)
	waitDrained(t, rdb, "s3faults", 4*time.Minute)
	if _, err := w.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	c := checkInvariant(t, rdb, w.Space(), dim, j.ids())
	counts := proxy.Counts()
	t.Logf("FAULT 25%% of S3 GETs faulted %v: %v", counts, c)
	for f := faults.Status500; f <= faults.Truncate; f++ {
		if counts[f] == 0 {
			t.Errorf("no %s was injected", f)
		}
	}
}

// TestWorkerKilled kills a worker process with SIGKILL mid-run; another
// worker takes over once asynq's lease of the killed one's tasks expires.
func TestWorkerKilled(t *testing.T) {
	needDeps(t)
	r, rdb := startRedis(t, 0)
	ctx := t.Context()
	s3 := s3test.StartVersity(t)
	j := newJob(t, s3, 6)
	creds, err := s3.Credentials().Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childEnv+"=1", "ITEMVEC_FAULTS_REDIS="+r.URL(), "ITEMVEC_FAULTS_S3="+s3.Endpoint(),
		"ITEMVEC_FAULTS_QUEUE=killed", "AWS_ACCESS_KEY_ID="+creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey,
		"AWS_REGION="+s3.ReaderConfig().Region)
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	enqueue(t, rdb, "killed", j.items)
	space := fusion.DefaultTextSpec().Space()
	for published(t, rdb, space) < len(j.items)/4 {
		time.Sleep(10 * time.Millisecond)
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	active, err := insp.ListActiveTasks("killed")
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_ = child.Wait()
	if len(active) == 0 {
		t.Fatal("no task was running when the worker was killed")
	}

	w := startWorker(t, rdb, s3.ReaderConfig(), "killed")
	// Recovery: until every task the killed worker held is completed.
	var recovered time.Duration
	for _, task := range active {
		for {
			info, err := insp.GetTaskInfo("killed", task.ID)
			if err == nil && info.State == asynq.TaskStateCompleted {
				break
			}
			if err == nil && info.State == asynq.TaskStateArchived {
				t.Errorf("task %s was archived after the kill: %s", task.ID, info.LastErr)
				break
			}
			if time.Since(killed) > 4*time.Minute {
				t.Fatalf("task %s not recovered 4 minutes after the kill", task.ID)
			}
			time.Sleep(100 * time.Millisecond)
		}
		recovered = max(recovered, time.Since(killed))
	}
	waitDrained(t, rdb, "killed", 3*time.Minute)
	if _, err := w.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	c := checkInvariant(t, rdb, space, dim, j.ids())
	t.Logf("FAULT worker killed with SIGKILL holding %d tasks, recovered after %v: %v", len(active), recovered.Round(100*time.Millisecond), c)
}

// TestBadInputs sends each kind of bad item in a task with a good
// batch-mate: the bad one gets a failure record of its kind, the good one is
// published, the worker keeps working.
func TestBadInputs(t *testing.T) {
	needDeps(t)
	_, rdb := startRedis(t, 0)
	ctx := t.Context()
	s3 := s3test.StartVersity(t)
	j := newJob(t, s3, 1)
	bucket := j.cat.Bucket
	good := j.cat.Items[0]
	var photo bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	_ = jpeg.Encode(&photo, img, nil)
	objects := map[string][]byte{
		"bad/empty.jpg":     {},
		"bad/garbage.jpg":   bytes.Repeat([]byte("not an image "), 50),
		"bad/truncated.jpg": photo.Bytes()[:photo.Len()/3],
		"bad/corrupt.jpg":   append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{7}, 300)...),
		"bad/huge.png":      pngHeader(100_000, 100_000),
		"bad/bmp.bmp":       append([]byte("BM"), make([]byte, 60)...),
	}
	for key, data := range objects {
		if err := s3.Put(ctx, bucket, key, data); err != nil {
			t.Fatal(err)
		}
	}
	uri := func(key string) []string { return []string{"s3://" + bucket + "/" + key} }
	tests := []struct {
		item workers.Item
		kind string
	}{
		{workers.Item{ID: "empty", Images: uri("bad/empty.jpg")}, "decode_empty"},
		{workers.Item{ID: "garbage", Images: uri("bad/garbage.jpg")}, "decode_unsupported_format"},
		{workers.Item{ID: "truncated", Images: uri("bad/truncated.jpg")}, "decode_corrupt"},
		{workers.Item{ID: "corrupt", Images: uri("bad/corrupt.jpg")}, "decode_corrupt"},
		{workers.Item{ID: "huge", Images: uri("bad/huge.png")}, "decode_too_many_pixels"},
		{workers.Item{ID: "bmp", Images: uri("bad/bmp.bmp")}, "decode_unsupported_format"},
		{workers.Item{ID: "missing", Images: uri("bad/nope.jpg")}, "fetch_object_missing"},
		{workers.Item{ID: "no-bucket", Images: []string{"s3://no-such-bucket/x.jpg"}}, "fetch_bucket_missing"},
		{workers.Item{ID: "bad-uri", Images: []string{"https://example.com/x.jpg"}}, "validate"},
		{workers.Item{ID: "negative-price", Behavior: &fusion.Behavior{Price: -5}}, "fuse_invalid_input"},
		{workers.Item{ID: "empty-item"}, "validate"},
	}
	w := startWorker(t, rdb, s3.ReaderConfig(), "bad")
	client := asynq.NewClientFromRedisClient(rdb)
	var ids []string
	for i, tc := range tests {
		mate := good
		mate.ID = "mate-" + tc.item.ID
		task, _, err := workers.NewEmbedTask(w.Space(), "", []workers.Item{tc.item, mate}, asynq.Queue("bad"), asynq.MaxRetry(1))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.EnqueueContext(ctx, task); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		ids = append(ids, tc.item.ID, mate.ID)
	}
	waitDrained(t, rdb, "bad", 2*time.Minute)
	c := checkInvariant(t, rdb, w.Space(), dim, ids)
	store := storage.NewVectorStore(rdb, storage.StoreConfig{Logger: quiet()})
	fails, err := store.Failures(ctx, w.Space(), 0)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]storage.Failure{}
	for _, f := range fails {
		byID[f.ID] = f
	}
	for _, tc := range tests {
		f, ok := byID[tc.item.ID]
		if !ok || f.Kind != tc.kind {
			t.Errorf("%s: failure %+v, want kind %s", tc.item.ID, f, tc.kind)
		}
		if _, ok := byID["mate-"+tc.item.ID]; ok {
			t.Errorf("the batch-mate of %s failed: %+v", tc.item.ID, byID["mate-"+tc.item.ID])
		}
		t.Logf("%-15s -> %-26s %s", tc.item.ID, f.Kind, f.Reason)
	}
	t.Logf("FAULT %d classes of bad input, each with a good batch-mate: %v", len(tests), c)
}

// pngHeader is the start of a PNG that claims w×h pixels.
func pngHeader(w, h uint32) []byte {
	chunk := []byte("IHDR")
	chunk = append(chunk, byte(w>>24), byte(w>>16), byte(w>>8), byte(w), byte(h>>24), byte(h>>16), byte(h>>8), byte(h), 8, 2, 0, 0, 0)
	sum := crc32.ChecksumIEEE(chunk)
	b := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d"), chunk...)
	return append(b, byte(sum>>24), byte(sum>>16), byte(sum>>8), byte(sum))
}
