package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
	"github.com/itemvec/itemvec/workers"
)

// TestEnqueueTargetsASpace: enqueue routes to the space of its model flags
// or --space, refuses a space nothing produces, and --force makes new tasks.
func TestEnqueueTargetsASpace(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	srv := redistest.Start(t)
	rdb := srv.Client()
	path := filepath.Join(t.TempDir(), "m.jsonl")
	if err := os.WriteFile(path, []byte(`{"id":"a","images":["s3://b/a.jpg"]}
{"id":"b","images":["s3://b/b.jpg"]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	// pending is the number of pending tasks of the queue of space, 0 while
	// nothing was ever enqueued there (asynq does not know the queue yet).
	pending := func(space string) int {
		t.Helper()
		queue := workers.QueueFor(space)
		queues, err := insp.Queues()
		if err != nil {
			t.Fatalf("listing the queues: %v, want no error", err)
		}
		if !slices.Contains(queues, queue) {
			return 0
		}
		info, err := insp.GetQueueInfo(queue)
		if err != nil {
			t.Fatalf("GetQueueInfo(%q): %v, want no error for a known queue", queue, err)
		}
		return info.Pending
	}
	v2, v1 := workers.BuiltinSpaces()[0], workers.BuiltinSpaces()[1]
	enqueue := func(args ...string) (string, string, error) {
		return run(t, append([]string{"enqueue", "--redis", srv.URL(), "--manifest", path, "--batch", "1"}, args...)...)
	}

	tests := []struct {
		name       string
		args       []string
		wantErr    string
		v1, v2     int // pending tasks after the step
		newTasks   string
		knownTasks string
	}{
		{name: "default flags: the v2 space", v2: 2, newTasks: "tasks enqueued: 2 "},
		{name: "again: known", v2: 2, newTasks: "tasks enqueued: 0 ", knownTasks: "already enqueued: 2"},
		{name: "--text-model none: the v1 space", args: []string{"--text-model", "none"}, v1: 2, v2: 2, newTasks: "tasks enqueued: 2 "},
		{name: "--space of v1: known there", args: []string{"--space", v1}, v1: 2, v2: 2, knownTasks: "already enqueued: 2"},
		{name: "--force: new tasks", args: []string{"--space", v1, "--force"}, v1: 4, v2: 2, newTasks: "tasks enqueued: 2 "},
		{name: "a space nothing produces", args: []string{"--space", "bogus-space"}, v1: 4, v2: 2,
			wantErr: `no worker configuration produces space "bogus-space"`},
	}
	for _, tt := range tests {
		out, stderr, err := enqueue(tt.args...)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), v1) {
				t.Errorf("%s: err %v, want %q naming the known spaces", tt.name, err, tt.wantErr)
			}
		case err != nil:
			t.Fatalf("%s: %v; stderr %s", tt.name, err, stderr)
		}
		if tt.newTasks != "" && !strings.Contains(out, tt.newTasks) || tt.knownTasks != "" && !strings.Contains(out, tt.knownTasks) {
			t.Errorf("%s: summary %q, want %q and %q", tt.name, out, tt.newTasks, tt.knownTasks)
		}
		if got1, got2 := pending(v1), pending(v2); got1 != tt.v1 || got2 != tt.v2 {
			t.Errorf("%s: pending v1 %d, v2 %d; want %d, %d", tt.name, got1, got2, tt.v1, tt.v2)
		}
	}

	// A space a worker registered (its meta is in Redis) is accepted.
	if err := rdb.HSet(t.Context(), storage.MetaKey("custom-space-1"), "spec_hash", "x").Err(); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := enqueue("--space", "custom-space-1"); err != nil || pending("custom-space-1") != 2 {
		t.Errorf("registered space: %v (%s); %d pending", err, stderr, pending("custom-space-1"))
	}
}
