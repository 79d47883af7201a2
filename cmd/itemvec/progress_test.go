package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/itemvec/itemvec/storage/redistest"
)

// TestEnqueueProgressLines: without a terminal, enqueue prints plain
// progress lines (here one per task: progressEvery is 0) with the counts so
// far, and then its summary.
func TestEnqueueProgressLines(t *testing.T) {
	srv := redistest.Start(t)
	var b strings.Builder
	for i := range 40 {
		fmt.Fprintf(&b, `{"id":"sku-%d","behavior":{"price":%d}}`+"\n", i, i+1)
	}
	b.WriteString("not json\n")
	path := filepath.Join(t.TempDir(), "m.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	old := progressEvery
	progressEvery = 0
	t.Cleanup(func() { progressEvery = old })
	out, stderr, err := run(t, "enqueue", "--redis", srv.URL(), "--manifest", path, "--batch", "8")
	if exitCode(err) != 2 {
		t.Fatalf("exit %d (%v), want 2 for the invalid line; stderr %s", exitCode(err), err, stderr)
	}
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "enqueue: ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 5 {
		t.Fatalf("%d progress lines, want one per task (5):\n%s", len(lines), stderr)
	}
	for i, l := range lines {
		if want := fmt.Sprintf("%d items in %d new", 8*(i+1), i+1); !strings.Contains(l, want) || !strings.Contains(l, "items/s") {
			t.Errorf("progress line %d = %q, want %q and a rate", i, l, want)
		}
	}
	if !strings.Contains(out, "items: 40") {
		t.Errorf("summary missing: %q", out)
	}
}
