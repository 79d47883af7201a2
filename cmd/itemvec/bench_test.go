//go:build !worker

package main

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/itemvec/itemvec/internal/testdeps"
)

// TestBenchRedisServer runs itemvec bench as a user does, briefly, against
// each Redis --redis-server offers: the report names the server, and only
// with redis-server does it give that process's CPU time beside the
// worker's; every item is published either way.
func TestBenchRedisServer(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs ONNX Runtime, the model and the sample catalog")
	}
	testdeps.Require(t, "ort/libonnxruntime.so.1", "models/mobilenetv2_nsfwjs_gap.onnx", "catalog/manifest.jsonl")
	if _, err := exec.LookPath("redis-server"); err != nil {
		testdeps.Missing(t, "redis-server not found on PATH: install redis-server or run make setup-test")
	}
	outside := regexp.MustCompile(`outside the process, same span: redis-server \(pid \d+\) \d+\.\d\d core-s`)
	for _, tc := range []struct {
		flag, redis string
		outside     bool
	}{
		{"auto", "redis-server (pid ", true},
		{"off", "miniredis (in-process)", false},
	} {
		t.Run(tc.flag, func(t *testing.T) {
			out, stderr, err := run(t, "bench", "--text-model", "none", "--rounds", "1", "--raw-for", "300ms",
				"--refresh=false", "--redis-server", tc.flag)
			if err != nil {
				t.Fatalf("%v: %s", err, stderr)
			}
			if !strings.Contains(out, "(S3: in-process gofakes3; Redis: "+tc.redis) {
				t.Errorf("the report does not name Redis %q:\n%s", tc.redis, out)
			}
			if !strings.Contains(out, "end-to-end pipeline                      :") || !strings.Contains(out, "items/s (45 items in ") {
				t.Errorf("no end-to-end line with the 45 catalog items:\n%s", out)
			}
			for _, line := range []string{"the same after the end-to-end run        :", "raw limit of the run, mean of before and after:", "ratio end-to-end / raw limit             :"} {
				if !strings.Contains(out, line) {
					t.Errorf("no line %q:\n%s", line, out)
				}
			}
			if got := outside.MatchString(out); got != tc.outside {
				t.Errorf("redis-server CPU line present %v, want %v:\n%s", got, tc.outside, out)
			}
		})
	}
	if _, _, err := run(t, "bench", "--redis-server", "/nonexistent/redis-server", "--raw-for", "1ms"); err == nil ||
		!strings.Contains(err.Error(), `--redis-server "/nonexistent/redis-server"`) {
		t.Errorf("a redis-server that is not there: %v", err)
	}
}
