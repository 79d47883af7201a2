package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage/redistest"
)

func TestQueueCommand(t *testing.T) {
	srv := redistest.Start(t)
	ctx := t.Context()

	out, _, err := run(t, "queue", "--redis", srv.URL())
	if err != nil || strings.TrimSpace(out) != "no queues yet" {
		t.Fatalf("empty Redis: %q, %v", out, err)
	}
	out, _, err = run(t, "queue", "--redis", srv.URL(), "--json")
	if err != nil || strings.TrimSpace(out) != "[]" {
		t.Fatalf("empty Redis --json: %q, %v", out, err)
	}

	rdb := srv.Client()
	client := asynq.NewClientFromRedisClient(rdb)
	insp := asynq.NewInspectorFromRedisClient(rdb)
	enqueue := func(queue, payload string, opts ...asynq.Option) *asynq.TaskInfo {
		t.Helper()
		info, err := client.EnqueueContext(ctx, asynq.NewTask("test", []byte(payload)), append(opts, asynq.Queue(queue))...)
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	for _, p := range []string{"a", "b", "c"} {
		enqueue("q1", p)
	}
	archived := enqueue("q1", "d")
	if err := insp.ArchiveTask("q1", archived.ID); err != nil {
		t.Fatal(err)
	}
	enqueue("q1", "later", asynq.ProcessIn(time.Hour))
	// A real retry: a server whose handler fails the q2 task once.
	enqueue("q2", "fails", asynq.MaxRetry(3))
	s := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Queues: map[string]int{"q2": 1}, Concurrency: 1, LogLevel: asynq.FatalLevel, TaskCheckInterval: 20 * time.Millisecond,
		RetryDelayFunc: func(int, error, *asynq.Task) time.Duration { return time.Hour },
	})
	if err := s.Start(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return errors.New("boom") })); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := insp.GetQueueInfo("q2")
		if err == nil && info.Retry == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no retry on q2: %+v %v", info, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Shutdown()

	out, _, err = run(t, "queue", "--redis", srv.URL(), "--json")
	if err != nil {
		t.Fatal(err)
	}
	var states []queueState
	if err := json.Unmarshal([]byte(out), &states); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	want := []queueState{
		{Queue: "q1", Size: 5, Pending: 3, Scheduled: 1, Archived: 1},
		{Queue: "q2", Size: 1, Retry: 1, ProcessedToday: 1, FailedToday: 1},
	}
	if len(states) != len(want) {
		t.Fatalf("queues %+v, want %+v", states, want)
	}
	for i, w := range want {
		got := states[i]
		got.LatencyMS = 0 // depends on the clock
		if got != w {
			t.Errorf("queue %d = %+v, want %+v", i, got, w)
		}
	}

	// The table: a header, then one row per queue with the same numbers.
	out, _, err = run(t, "queue", "--redis", srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1+len(want) || strings.Join(strings.Fields(lines[0]), " ") !=
		"queue size pending active scheduled retry archived completed processed today failed today latency paused" {
		t.Fatalf("table:\n%s", out)
	}
	for i, w := range want {
		f := strings.Fields(lines[1+i])
		if len(f) != 12 || !strings.HasSuffix(f[10], "ms") {
			t.Fatalf("row %q", lines[1+i])
		}
		f[10] = "-" // latency depends on the clock
		row := fmt.Sprintf("%s %d %d %d %d %d %d %d %d %d - %v", w.Queue, w.Size, w.Pending, w.Active, w.Scheduled,
			w.Retry, w.Archived, w.Completed, w.ProcessedToday, w.FailedToday, w.Paused)
		if got := strings.Join(f, " "); got != row {
			t.Errorf("row %d = %q, want %q", i, got, row)
		}
	}

	// --queue picks queues; a queue nobody has used yet shows zeros.
	out, _, err = run(t, "queue", "--redis", srv.URL(), "--queue", "q2", "--queue", "fresh", "--json")
	if err != nil {
		t.Fatal(err)
	}
	states = nil
	if err := json.Unmarshal([]byte(out), &states); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if len(states) != 2 || states[0].Queue != "q2" || states[0].Retry != 1 || states[1] != (queueState{Queue: "fresh"}) {
		t.Errorf("--queue q2 --queue fresh: %+v", states)
	}
}

func TestQueueCommandUnreachableRedis(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "redis://" + ln.Addr().String() + "/0?max_retries=-1"
	ln.Close()
	for _, args := range [][]string{
		{"queue", "--redis", url},
		{"queue", "--redis", url, "--queue", "q1", "--json"},
	} {
		out, _, err := run(t, args...)
		if k := itemvec.KindOf(err); err == nil || k != itemvec.KindUnavailable {
			t.Errorf("%v: err %v (kind %v), want an unavailable error", args, err, k)
		}
		if out != "" {
			t.Errorf("%v: printed %q before failing", args, out)
		}
	}
}
