package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

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

	out, _, err = run(t, "queue", "--redis", srv.URL(), "--queue", "q1")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "pending") || !strings.HasPrefix(strings.TrimSpace(lines[1]), "q1") {
		t.Fatalf("table for q1:\n%s", out)
	}
	if f := strings.Fields(lines[1]); f[1] != "5" || f[2] != "3" || f[6] != "1" {
		t.Errorf("q1 row %q: want size 5, pending 3, archived 1", lines[1])
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	if _, _, err := run(t, "queue", "--redis", "redis://"+closed+"/0?max_retries=-1"); err == nil {
		t.Error("an unreachable Redis gave no error")
	}
}
