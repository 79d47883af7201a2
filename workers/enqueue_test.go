package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
)

const manifest = `# a comment, then a blank line

{"id":"a","images":["s3://b/red.jpg"],"behavior":{"price":1,"rating":4,"devices":{"pc":{"views":10,"clicks":1,"carts":0,"orders":0}}}}
{"id":"b","images":["s3://b/blue.jpg"]}
{"id":"c","images":["s3://b/zero.jpg"]}
not json
{"id":"","images":["s3://b/red.jpg"]}
{"id":"d","images":["ftp://b/red.jpg"]}
{"id":"e","imagez":["s3://b/red.jpg"]}
{"id":"f","images":["s3://b/blue.jpg"],"text":{"title":"Blue"}}
`

// redisBackends runs a test against miniredis and a real redis-server.
func redisBackends(t *testing.T, fn func(t *testing.T, rdb redis.UniversalClient)) {
	t.Run("miniredis", func(t *testing.T) {
		mr := miniredis.RunT(t)
		rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		t.Cleanup(func() { rdb.Close() })
		fn(t, rdb)
	})
	t.Run("redis-server", func(t *testing.T) {
		if testing.Short() {
			t.Skip("-short: no redis-server")
		}
		fn(t, redistest.Start(t).Client())
	})
}

func TestEnqueueGroupsValidatesAndDeduplicates(t *testing.T) {
	redisBackends(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		client := asynq.NewClientFromRedisClient(rdb)
		sum, err := Enqueue(ctx, client, strings.NewReader(manifest), EnqueueConfig{Space: testSpace, Batch: 2})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Lines != 10 || sum.Skipped != 2 || sum.Items != 4 || sum.Tasks != 2 || sum.KnownTasks != 0 || !sum.Accounted() {
			t.Errorf("summary %+v, want 10 lines: 2 skipped, 4 items in 2 new tasks", sum)
		}
		var lines []int
		for _, le := range sum.Invalid {
			lines = append(lines, le.Line)
		}
		if want := []int{6, 7, 8, 9}; !equalInts(lines, want) {
			t.Errorf("invalid lines %v, want %v (%v)", lines, want, sum.Invalid)
		}
		again, err := Enqueue(ctx, client, strings.NewReader(manifest), EnqueueConfig{Space: testSpace, Batch: 2})
		if err != nil {
			t.Fatal(err)
		}
		if again.Tasks != 0 || again.KnownTasks != 2 || again.Items != 4 || again.KnownItems != 4 || !again.Accounted() {
			t.Errorf("re-enqueue: %+v, want 4 items in 2 known tasks and no new task", again)
		}
		info, err := asynq.NewInspectorFromRedisClient(rdb).GetQueueInfo(QueueFor(testSpace))
		if err != nil {
			t.Fatal(err)
		}
		if info.Pending != 2 {
			t.Errorf("queue holds %d pending tasks, want 2", info.Pending)
		}
	})
}

// TestServerDrainsQueue runs the asynq server wiring with the stand-in
// encoder: every good item ends in Redis, bad ones are recorded, and the
// queue drains.
func TestServerDrainsQueue(t *testing.T) {
	redisBackends(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb, func(c *Config, _ *pipelineParts) { c.Concurrency = 2 })
		f.objects.data["s3://b/green.jpg"] = testJPEG(t, color.RGBA{G: 200})
		if err := f.w.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		defer f.w.Shutdown(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		sum, err := Enqueue(ctx, asynq.NewClientFromRedisClient(rdb), strings.NewReader(manifest), EnqueueConfig{Space: f.w.Space(), Batch: 3})
		if err != nil {
			t.Fatal(err)
		}
		if err := waitDrained(ctx, asynq.NewInspectorFromRedisClient(rdb), f.w.Config().Queue); err != nil {
			t.Fatal(err)
		}
		store := f.store
		got, err := store.Get(ctx, f.w.Space(), "a", "b", "f", "c")
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range []string{"a", "b", "f"} {
			if got[i] == nil {
				t.Errorf("%s was not published", id)
			}
		}
		if got[3] != nil {
			t.Errorf("zero-byte item c was published")
		}
		fails, err := store.Failures(ctx, f.w.Space(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(fails) != 1 || fails[0].ID != "c" || fails[0].Kind != "decode_empty" {
			t.Errorf("failures %+v, want item c decode_empty", fails)
		}
		if sum.Items != 4 {
			t.Errorf("enqueued %d items", sum.Items)
		}
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRetryThenArchive: an object that keeps failing in a retryable way makes
// asynq retry the task; after the last retry the item is recorded with the
// reason, the task is archived with it, and its batch-mate is published.
func TestRetryThenArchive(t *testing.T) {
	redisBackends(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb, func(c *Config, _ *pipelineParts) {
			c.Concurrency, c.PollInterval = 1, 20*time.Millisecond
			c.RetryDelay = func(int) time.Duration { return 10 * time.Millisecond }
		})
		f.objects.errs = map[string]error{
			"s3://b/flaky.jpg": &itemvec.Error{Kind: itemvec.KindUnavailable, Op: "storage.S3Reader.Get", Code: storage.CodeUnavailable,
				Err: errors.New("s3://b/flaky.jpg: service unavailable, retry later: 503 Service Unavailable")},
		}
		if err := f.w.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		defer f.w.Shutdown(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		m := `{"id":"ok","images":["s3://b/red.jpg"]}
{"id":"flaky","images":["s3://b/flaky.jpg"]}
`
		if _, err := Enqueue(ctx, asynq.NewClientFromRedisClient(rdb), strings.NewReader(m), EnqueueConfig{Space: f.w.Space(), MaxRetry: 2}); err != nil {
			t.Fatal(err)
		}
		insp := asynq.NewInspectorFromRedisClient(rdb)
		if err := waitDrained(ctx, insp, f.w.Config().Queue); err != nil {
			t.Fatal(err)
		}
		if n := f.objects.gets["s3://b/flaky.jpg"]; n != 3 {
			t.Errorf("flaky object fetched %d times, want 3 (1 try + 2 retries)", n)
		}
		if n := f.objects.gets["s3://b/red.jpg"]; n != 1 {
			t.Errorf("published item fetched %d times; retries must skip it", n)
		}
		archived, err := insp.ListArchivedTasks(f.w.Config().Queue)
		if err != nil {
			t.Fatal(err)
		}
		if len(archived) != 1 || archived[0].Retried != 2 || !strings.Contains(archived[0].LastErr, "503 Service Unavailable") {
			t.Fatalf("archived %+v, want one task retried twice with the S3 reason", archived)
		}
		store := f.store
		fails, _ := store.Failures(ctx, f.w.Space(), 10)
		if len(fails) != 1 || fails[0].ID != "flaky" || !strings.Contains(fails[0].Reason, "gave up after 3 attempts") {
			t.Errorf("failures %+v", fails)
		}
		if got, _ := store.Get(ctx, f.w.Space(), "ok"); got[0] == nil {
			t.Error("the good item of the archived task was not published")
		}

		// The outage ends: the same manifest enqueued again re-runs the
		// archived task (without the inspector it would count as known).
		f.objects.mu.Lock()
		delete(f.objects.errs, "s3://b/flaky.jpg")
		f.objects.data["s3://b/flaky.jpg"] = testJPEG(t, color.RGBA{B: 200})
		f.objects.mu.Unlock()
		again, err := Enqueue(ctx, asynq.NewClientFromRedisClient(rdb), strings.NewReader(m),
			EnqueueConfig{Space: f.w.Space(), MaxRetry: 2, Inspector: insp})
		if err != nil {
			t.Fatal(err)
		}
		if again.Tasks != 1 || again.Rerun != 1 || again.KnownTasks != 0 {
			t.Errorf("re-enqueue after the outage: %+v, want 1 new task that re-runs the archived one", again)
		}
		if err := waitDrained(ctx, insp, f.w.Config().Queue); err != nil {
			t.Fatal(err)
		}
		if got, err := store.Get(ctx, f.w.Space(), "flaky"); err != nil {
			t.Errorf("reading the failed item after the re-run: %v, want no error", err)
		} else if got[0] == nil {
			t.Error("the failed item was not published by the re-run")
		}
		if fails, err := store.Failures(ctx, f.w.Space(), 10); err != nil {
			t.Errorf("reading the failure records after the re-run: %v, want no error", err)
		} else if len(fails) != 0 {
			t.Errorf("failure records left after the re-run: %+v, want none", fails)
		}
		if n := f.objects.gets["s3://b/red.jpg"]; n != 1 {
			t.Errorf("the published batch-mate was fetched %d times; the re-run must skip it", n)
		}
	})
}

// waitDrained polls the queue until nothing is pending, running, scheduled
// or waiting for a retry.
func waitDrained(ctx context.Context, insp *asynq.Inspector, queue string) error {
	for {
		info, err := insp.GetQueueInfo(queue)
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			return err
		}
		if info != nil && info.Pending+info.Active+info.Scheduled+info.Retry == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// fakeQueue is a TaskEnqueuer that records the items of the tasks it
// accepts, knows task ids it saw before like asynq does, and fails the
// calls fail says to.
type fakeQueue struct {
	calls int
	known map[string]bool
	ids   []string // item ids of the accepted tasks, in order
	// fail returns the error of call n (from 1), or nil.
	fail func(n int) error
}

func (f *fakeQueue) EnqueueContext(_ context.Context, task *asynq.Task, _ ...asynq.Option) (*asynq.TaskInfo, error) {
	f.calls++
	if f.fail != nil {
		if err := f.fail(f.calls); err != nil {
			return nil, err
		}
	}
	id := string(task.Payload())
	if f.known[id] {
		return nil, fmt.Errorf("%w", asynq.ErrTaskIDConflict)
	}
	if f.known == nil {
		f.known = map[string]bool{}
	}
	f.known[id] = true
	var p EmbedPayload
	if err := json.Unmarshal(task.Payload(), &p); err != nil {
		return nil, err
	}
	for _, it := range p.Items {
		f.ids = append(f.ids, it.ID)
	}
	return &asynq.TaskInfo{ID: id}, nil
}

// itemLine is a valid manifest line for id.
func itemLine(id string) string { return `{"id":"` + id + `","images":["s3://b/` + id + `.jpg"]}` }

// lineErrors renders a summary's line errors as "line N: reason".
func lineErrors(les []LineError) []string {
	var out []string
	for _, le := range les {
		out = append(out, le.Error())
	}
	return out
}

// checkSummary compares what a summary accounts for with want.
func checkSummary(t *testing.T, sum *EnqueueSummary, lines, skipped, items, unsent int, invalid, dups []string) {
	t.Helper()
	if sum.Lines != lines || sum.Skipped != skipped || sum.Items != items || sum.Unsent != unsent {
		t.Errorf("lines %d, skipped %d, items %d, unsent %d; want %d, %d, %d, %d",
			sum.Lines, sum.Skipped, sum.Items, sum.Unsent, lines, skipped, items, unsent)
	}
	if got := lineErrors(sum.Invalid); !slices.Equal(got, invalid) {
		t.Errorf("invalid lines:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(invalid, "\n  "))
	}
	if got := lineErrors(sum.DuplicateIDs); !slices.Equal(got, dups) {
		t.Errorf("duplicate ids:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(dups, "\n  "))
	}
	for _, le := range slices.Concat(sum.Invalid, sum.DuplicateIDs) {
		if k := itemvec.KindOf(le.Err); k != itemvec.KindBadInput {
			t.Errorf("line %d: kind %v, want bad_input", le.Line, k)
		}
	}
	if !sum.Accounted() {
		t.Errorf("summary does not account for every line: %+v", sum)
	}
}

// TestEnqueueManifestLines: every kind of manifest line ends in exactly one
// place of the summary, with its reason, and only valid first occurrences
// reach the queue.
func TestEnqueueManifestLines(t *testing.T) {
	long := `{"id":"big","images":["s3://b/big.jpg"],"text":{"title":"` + strings.Repeat("x", 2<<20) + `"}}`
	tests := []struct {
		name     string
		manifest string
		cfg      EnqueueConfig
		lines    int
		skipped  int
		ids      []string // item ids enqueued, in order
		invalid  []string
		dups     []string
	}{{
		name:     "comments and blank lines",
		manifest: "# products\n\n   \n" + itemLine("a") + "\n\t# indented comment\n" + itemLine("b") + "\n",
		lines:    6, skipped: 4, ids: []string{"a", "b"},
	}, {
		name:     "trailing garbage",
		manifest: itemLine("a") + " x\n" + itemLine("b") + "   \n",
		lines:    2, ids: []string{"b"},
		invalid: []string{"line 1: unexpected data after the JSON object at column 38"},
	}, {
		name:     "two objects on one line",
		manifest: itemLine("a") + itemLine("b") + "\n" + itemLine("c") + "\n",
		lines:    2, ids: []string{"c"},
		invalid: []string{"line 1: unexpected data after the JSON object at column 37"},
	}, {
		name:     "a 2 MiB line in the middle",
		manifest: itemLine("a") + "\n" + long + "\n" + itemLine("b") + "\n" + itemLine("c") + "\n",
		cfg:      EnqueueConfig{Space: testSpace, Batch: 1},
		lines:    4, ids: []string{"a", "b", "c"},
		invalid: []string{"line 2: line is 2097212 bytes, over the limit of 1048576 bytes (--max-line-bytes)"},
	}, {
		name:     "a line just at the limit",
		manifest: itemLine("a") + "\r\n" + itemLine("bb") + "\r\n",
		cfg:      EnqueueConfig{Space: testSpace, MaxLineBytes: len(itemLine("a"))},
		lines:    2, ids: []string{"a"},
		invalid: []string{"line 2: line is 38 bytes, over the limit of 36 bytes (--max-line-bytes)"},
	}, {
		name:     "UTF-8 byte order mark",
		manifest: "\xEF\xBB\xBF" + itemLine("a") + "\n" + itemLine("b") + "\n",
		lines:    2, ids: []string{"a", "b"},
	}, {
		name:     "invalid UTF-8 in a title",
		manifest: itemLine("a") + "\n" + `{"id":"b","text":{"title":"caf` + "\xE9" + ` au lait"}}` + "\n",
		lines:    2, ids: []string{"a"},
		invalid: []string{"line 2: invalid UTF-8 at byte column 31"},
	}, {
		name: "surrogate escapes",
		manifest: `{"id":"a","text":{"title":"x\ud800y"}}` + "\n" +
			`{"id":"b","text":{"title":"\udc00"}}` + "\n" +
			`{"id":"c","text":{"title":"\ud83d\ude00 pair"}}` + "\n" +
			`{"id":"d","text":{"title":"\\ud800 is text"}}` + "\n" +
			`{"id":"e","text":{"title":"\ud800\u0041"}}` + "\n",
		lines: 5, ids: []string{"c", "d"},
		invalid: []string{
			`line 1: escape \ud800 at column 29 is a lone UTF-16 surrogate, not a character`,
			`line 2: escape \udc00 at column 28 is a lone UTF-16 surrogate, not a character`,
			`line 5: escape \ud800 at column 28 is a lone UTF-16 surrogate, not a character`,
		},
	}, {
		name:     "values that are not objects",
		manifest: "[" + itemLine("a") + "]\n\"a\"\n42\nnull\ntrue\n" + itemLine("b") + "\n",
		lines:    6, ids: []string{"b"},
		invalid: []string{
			`line 1: a JSON array, not an object: each line must be one item object {"id":...}`,
			`line 2: a JSON string, not an object: each line must be one item object {"id":...}`,
			`line 3: a JSON number, not an object: each line must be one item object {"id":...}`,
			`line 4: a JSON null, not an object: each line must be one item object {"id":...}`,
			`line 5: a JSON boolean, not an object: each line must be one item object {"id":...}`,
		},
	}, {
		name: "not JSON, unknown fields and invalid items",
		manifest: "not json\n" + `{"id":"a","imagez":["s3://b/a.jpg"]}` + "\n" + `{"id":"a","images":"s3://b/a.jpg"}` + "\n" +
			`{"id":"a"` + "\n" + `{"id":"a",}` + "\n" + `{"id":"","images":["s3://b/a.jpg"]}` + "\n" + itemLine("a") + "\n",
		lines: 7, ids: []string{"a"},
		invalid: []string{
			"line 1: not JSON: invalid character 'o' in literal null (expecting 'u')",
			`line 2: not an item: json: unknown field "imagez"`,
			"line 3: not an item: json: cannot unmarshal string into Go struct field Item.images of type []string",
			"line 4: not JSON: the line ends inside the object",
			"line 5: not JSON at column 11: invalid character '}' looking for beginning of object key string",
			"line 6: item has no id",
		},
	}, {
		name:     "duplicate ids: the first wins",
		manifest: itemLine("a") + "\n" + itemLine("b") + "\n" + `{"id":"a","images":["s3://b/other.jpg"]}` + "\n" + itemLine("b") + "\n" + itemLine("a") + "\n",
		lines:    5, ids: []string{"a", "b"},
		dups: []string{`line 3: id "a" already on line 1`, `line 4: id "b" already on line 2`, `line 5: id "a" already on line 1`},
	}, {
		name:     "an invalid first occurrence does not claim the id",
		manifest: `{"id":"a","images":["ftp://b/a.jpg"]}` + "\n" + itemLine("a") + "\n",
		lines:    2, ids: []string{"a"},
		invalid: []string{`line 1: image "ftp://b/a.jpg": ` + mustErr(t, "ftp://b/a.jpg")},
	}, {
		name:     "CRLF line ends",
		manifest: "# crlf\r\n" + itemLine("a") + "\r\n\r\n" + itemLine("b") + "\r\n",
		lines:    4, skipped: 2, ids: []string{"a", "b"},
	}, {
		name:     "no final newline",
		manifest: itemLine("a") + "\n" + itemLine("b"),
		lines:    2, ids: []string{"a", "b"},
	}, {
		name:     "empty manifest",
		manifest: "",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &fakeQueue{}
			cfg := tt.cfg
			cfg.Space, cfg.Logger = testSpace, discardLogger()
			sum, err := Enqueue(context.Background(), q, strings.NewReader(tt.manifest), cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkSummary(t, sum, tt.lines, tt.skipped, len(tt.ids), 0, tt.invalid, tt.dups)
			if !slices.Equal(q.ids, tt.ids) {
				t.Errorf("enqueued %v, want %v", q.ids, tt.ids)
			}
			if sum.Tasks != len(sum.TaskIDs) || sum.Tasks != q.calls || sum.KnownTasks != 0 {
				t.Errorf("tasks %d, known %d, ids %v; the queue saw %d calls", sum.Tasks, sum.KnownTasks, sum.TaskIDs, q.calls)
			}
		})
	}
}

// mustErr is the error storage.ParseURI gives for uri.
func mustErr(t *testing.T, uri string) string {
	t.Helper()
	_, _, err := storage.ParseURI(uri)
	if err == nil {
		t.Fatalf("%s parses", uri)
	}
	return err.Error()
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestEnqueueRefusesUTF16(t *testing.T) {
	for _, bom := range []string{"\xFF\xFE", "\xFE\xFF"} {
		q := &fakeQueue{}
		sum, err := Enqueue(context.Background(), q, strings.NewReader(bom+"{\x00\"\x00i\x00d\x00\"\x00\n\x00"), EnqueueConfig{Space: testSpace})
		if err == nil || itemvec.KindOf(err) != itemvec.KindBadInput ||
			!strings.HasPrefix(err.Error(), "manifest is UTF-16 encoded; convert it to UTF-8") {
			t.Errorf("BOM % x: err = %v, want a bad_input error saying the manifest is UTF-16", bom, err)
		}
		if q.calls != 0 || sum.Lines != 0 || !sum.Accounted() {
			t.Errorf("BOM % x: %d enqueue calls, summary %+v; want nothing read or enqueued", bom, q.calls, sum)
		}
	}
}

// nonSeekable hides a reader's Seek, like a pipe.
type nonSeekable struct{ io.Reader }

// TestEnqueueStrict: a manifest with a bad line enqueues nothing, a good one
// everything, whether it can be read again by seeking or must be spooled.
func TestEnqueueStrict(t *testing.T) {
	bad := "# header\n" + itemLine("a") + "\n" + itemLine("b") + "\nnot json\n" + itemLine("a") + "\n" + itemLine("c") + "\n"
	good := "# header\n" + itemLine("a") + "\n" + itemLine("b") + "\n\n" + itemLine("c") + "\n"
	readers := map[string]func(t *testing.T, s string) io.Reader{
		"strings.Reader": func(_ *testing.T, s string) io.Reader { return strings.NewReader(s) },
		"file": func(t *testing.T, s string) io.Reader {
			path := filepath.Join(t.TempDir(), "m.jsonl")
			if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			// Start past a prefix: a seekable reader is read again from
			// where Enqueue found it, not from byte 0.
			if _, err := f.Seek(int64(len("# header\n")), io.SeekStart); err != nil {
				t.Fatal(err)
			}
			return f
		},
		"pipe": func(_ *testing.T, s string) io.Reader { return nonSeekable{strings.NewReader(s)} },
	}
	for name, open := range readers {
		t.Run(name, func(t *testing.T) {
			spool := t.TempDir()
			t.Setenv("TMPDIR", spool)
			skipped := 1
			if name == "file" {
				skipped = 0
			}
			cfg := EnqueueConfig{Space: testSpace, Strict: true, Batch: 2, Logger: discardLogger()}

			q := &fakeQueue{}
			sum, err := Enqueue(context.Background(), q, open(t, bad), cfg)
			lines := 5 + skipped
			if want := "strict: 2 of " + strconv.Itoa(lines) + " lines are invalid or repeat an id (1 invalid, 1 duplicate ids); nothing was enqueued"; err == nil || itemvec.KindOf(err) != itemvec.KindBadInput || err.Error() != want {
				t.Errorf("bad manifest: err = %v, want %s", err, want)
			}
			checkSummary(t, sum, lines, skipped, 0, 3, []string{"line " + strconv.Itoa(3+skipped) + ": not JSON: invalid character 'o' in literal null (expecting 'u')"},
				[]string{"line " + strconv.Itoa(4+skipped) + `: id "a" already on line ` + strconv.Itoa(1+skipped)})
			if q.calls != 0 {
				t.Errorf("bad manifest: %d tasks enqueued, want none", q.calls)
			}

			q = &fakeQueue{}
			sum, err = Enqueue(context.Background(), q, open(t, good), cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkSummary(t, sum, 4+skipped, 1+skipped, 3, 0, nil, nil)
			if want := []string{"a", "b", "c"}; !slices.Equal(q.ids, want) || q.calls != 2 {
				t.Errorf("good manifest: enqueued %v in %d tasks, want %v in 2", q.ids, q.calls, want)
			}
			if left, _ := os.ReadDir(spool); len(left) != 0 {
				t.Errorf("the spool file was left behind: %v", left)
			}
		})
	}
}

// transient is what asynq returns when Redis is loading: its Lua script
// error flattened into text.
var transient = errors.New("UNKNOWN: redis eval error: LOADING Redis is loading the dataset in memory")

// TestEnqueueRetriesTransientFailures: a task whose enqueue fails
// transiently is tried again, and every item still reaches the queue.
func TestEnqueueRetriesTransientFailures(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"redis LOADING flattened by asynq", transient},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}},
		{"connection dropped", fmt.Errorf("redis command error: SADD failed: %w", io.EOF)},
		{"READONLY reply", fmt.Errorf("redis command error: SADD failed: %w", readonlyReply{})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &fakeQueue{fail: func(n int) error {
				if n == 2 || n == 3 { // the second task fails twice
					return tt.err
				}
				return nil
			}}
			m := strings.Join([]string{itemLine("a"), itemLine("b"), itemLine("c"), itemLine("d"), itemLine("e")}, "\n")
			cfg := EnqueueConfig{Space: testSpace, Batch: 2, Logger: discardLogger(), retryDelays: []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}}
			sum, err := Enqueue(context.Background(), q, strings.NewReader(m), cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkSummary(t, sum, 5, 0, 5, 0, nil, nil)
			if want := []string{"a", "b", "c", "d", "e"}; !slices.Equal(q.ids, want) || q.calls != 5 || sum.Tasks != 3 {
				t.Errorf("enqueued %v in %d tasks with %d calls, want %v in 3 tasks with 5 calls", q.ids, sum.Tasks, q.calls, want)
			}
		})
	}
}

// readonlyReply is a Redis error reply, as go-redis returns it.
type readonlyReply struct{}

func (readonlyReply) Error() string { return "READONLY You can't write against a read only replica." }
func (readonlyReply) RedisError()   {}

// TestEnqueueStopsWhenEnqueueingFails: when a task cannot be enqueued,
// Enqueue stops reading there, counts the items of that task as unsent and
// says where it stopped and that running it again is safe.
func TestEnqueueStopsWhenEnqueueingFails(t *testing.T) {
	m := strings.Join([]string{itemLine("a"), itemLine("b"), "# c next", itemLine("c"), itemLine("d"), "bad", itemLine("e"), itemLine("f")}, "\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		err   error
		calls int // enqueue calls in all
		kind  itemvec.Kind
		cause string
	}{
		{"transient for good", context.Background(), transient, 1 + 4, itemvec.KindUnavailable, transient.Error()},
		{"refused", context.Background(), errors.New("UNKNOWN: redis eval error: NOAUTH Authentication required."), 1 + 1,
			itemvec.KindConfig, "UNKNOWN: redis eval error: NOAUTH Authentication required."},
		{"canceled while waiting to try again", ctx, transient, 1 + 1, itemvec.KindCanceled, "context canceled (after: " + transient.Error() + ")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &fakeQueue{fail: func(n int) error {
				if n == 1 {
					return nil
				}
				if tt.ctx == ctx {
					cancel()
				}
				return tt.err
			}}
			cfg := EnqueueConfig{Space: testSpace, Batch: 2, Logger: discardLogger(), retryDelays: []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}}
			if tt.ctx == ctx {
				cfg.retryDelays = []time.Duration{time.Hour}
			}
			sum, err := Enqueue(tt.ctx, q, strings.NewReader(m), cfg)
			if err == nil {
				t.Fatal("no error")
			}
			want := "enqueue stopped at line 5: task " + TaskID(testSpace, "", mustPayload(t, "c", "d")) + " of lines 4-5 (2 items) was not enqueued: " +
				tt.cause + "; the rest of the manifest was not read; " +
				"running the same command again is safe: tasks already enqueued are recognised by their content-derived ids"
			if err.Error() != want {
				t.Errorf("err:\n  %v\nwant:\n  %s", err, want)
			}
			if k := itemvec.KindOf(err); k != tt.kind {
				t.Errorf("kind %v, want %v", k, tt.kind)
			}
			// Lines 1-5 were read: a and b sent, the comment skipped, c and d
			// unsent; "bad" and what follows were never read.
			checkSummary(t, sum, 5, 1, 2, 2, nil, nil)
			if !slices.Equal(q.ids, []string{"a", "b"}) || q.calls != tt.calls {
				t.Errorf("enqueued %v with %d calls, want [a b] with %d", q.ids, q.calls, tt.calls)
			}
		})
	}
}

// TestEnqueueStopsWhenCanceled: a done ctx stops reading; nothing read is
// lost from the summary.
func TestEnqueueStopsWhenCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q := &fakeQueue{}
	sum, err := Enqueue(ctx, q, strings.NewReader(itemLine("a")+"\n"), EnqueueConfig{Space: testSpace, Logger: discardLogger()})
	if !errors.Is(err, context.Canceled) || itemvec.KindOf(err) != itemvec.KindCanceled {
		t.Errorf("err = %v, want a canceled error", err)
	}
	if q.calls != 0 || sum.Lines != 0 || !sum.Accounted() {
		t.Errorf("%d calls, summary %+v", q.calls, sum)
	}
}

// testSpace is the space the enqueue tests enqueue for.
const testSpace = "itemvec-test-0123abcd"

// mustPayload is the payload of the task of items ids, as itemLine writes them.
func mustPayload(t *testing.T, ids ...string) []byte {
	t.Helper()
	var items []Item
	for _, id := range ids {
		items = append(items, Item{ID: id, Images: []string{"s3://b/" + id + ".jpg"}})
	}
	task, _, err := NewEmbedTask(testSpace, "", items)
	if err != nil {
		t.Fatal(err)
	}
	return task.Payload()
}

// TestEnqueueRealRedis runs the problem manifest against a real
// redis-server through asynq: the queue holds exactly the valid first
// occurrences, a second run adds no task, and an unreachable server is
// retried and then reported with the items unsent.
func TestEnqueueRealRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	rdb := redistest.Start(t).Client()
	client := asynq.NewClientFromRedisClient(rdb)
	m := "\xEF\xBB\xBF# products\r\n" + itemLine("a") + "\r\n" + itemLine("b") + " trailing\n" + itemLine("c") + itemLine("d") + "\n" +
		`{"id":"e","text":{"title":"caf` + "\xE9" + `"}}` + "\n" + `{"id":"f","text":{"title":"\ud800"}}` + "\n" +
		"[1]\n" + itemLine("a") + "\n" + itemLine("g") + "\n" + itemLine("h")
	cfg := EnqueueConfig{Space: testSpace, Batch: 2, Logger: discardLogger()}
	sum, err := Enqueue(t.Context(), client, strings.NewReader(m), cfg)
	if err != nil {
		t.Fatal(err)
	}
	invalid := []string{
		"line 3: unexpected data after the JSON object at column 38",
		"line 4: unexpected data after the JSON object at column 37",
		"line 5: invalid UTF-8 at byte column 31",
		`line 6: escape \ud800 at column 28 is a lone UTF-16 surrogate, not a character`,
		`line 7: a JSON array, not an object: each line must be one item object {"id":...}`,
	}
	checkSummary(t, sum, 10, 1, 3, 0, invalid, []string{`line 8: id "a" already on line 2`})
	insp := asynq.NewInspectorFromRedisClient(rdb)
	pending, err := insp.ListPendingTasks(QueueFor(testSpace))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, task := range pending {
		var p EmbedPayload
		if err := json.Unmarshal(task.Payload, &p); err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			ids = append(ids, it.ID)
		}
	}
	slices.Sort(ids)
	if want := []string{"a", "g", "h"}; !slices.Equal(ids, want) || len(pending) != 2 {
		t.Errorf("queue holds %v in %d tasks, want %v in 2", ids, len(pending), want)
	}
	again, err := Enqueue(t.Context(), client, strings.NewReader(m), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if again.Tasks != 0 || again.KnownTasks != 2 || again.KnownItems != 3 || !again.Accounted() {
		t.Errorf("second run: %+v, want the 2 tasks known and none new", again)
	}

	t.Run("unreachable", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		gone := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		t.Cleanup(func() { gone.Close() })
		q := &countingEnqueuer{next: asynq.NewClientFromRedisClient(gone)}
		cfg := EnqueueConfig{Space: testSpace, Batch: 2, Logger: discardLogger(), retryDelays: []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}}
		sum, err := Enqueue(t.Context(), q, strings.NewReader(itemLine("a")+"\n"+itemLine("b")+"\n"+itemLine("c")+"\n"), cfg)
		if err == nil || itemvec.KindOf(err) != itemvec.KindUnavailable ||
			!strings.HasPrefix(err.Error(), "enqueue stopped at line 2: task ") || !strings.HasSuffix(err.Error(), rerunSafe) {
			t.Errorf("err = %v, want an unavailable error at line 2", err)
		}
		if q.calls != 4 {
			t.Errorf("%d enqueue attempts, want 4 (the real error is transient)", q.calls)
		}
		checkSummary(t, sum, 2, 0, 0, 2, nil, nil)
	})
}

// countingEnqueuer counts the calls it passes on.
type countingEnqueuer struct {
	next  TaskEnqueuer
	calls int
}

func (c *countingEnqueuer) EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	c.calls++
	return c.next.EnqueueContext(ctx, task, opts...)
}
