//go:build !worker

package main

import (
	"math"
	"os/exec"
	"regexp"
	"strconv"
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
	models := regexp.MustCompile(`image model +(\d+) batches, mean +([\d.]+) inputs of \d+, \d+ session\(s\) busy +([\d.]+)%, on a core +([\d.]+)%`)
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
			if !strings.Contains(out, "(device cpu, CPU policy batch, ") {
				t.Errorf("the report does not say the CPU run was under SCHED_BATCH (--cpu-policy auto):\n%s", out)
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
			// The image model's batches carried the 45 images; its 2
			// sessions were busy for part of the run, their threads on a
			// core for part of that.
			if m := models.FindStringSubmatch(out); m == nil {
				t.Errorf("no image model line under 'models during the run':\n%s", out)
			} else {
				batches, mean, busy, core := number(t, m[1]), number(t, m[2]), number(t, m[3]), number(t, m[4])
				if batches < 3 || math.Abs(batches*mean-45) > 0.05*batches+1e-9 || busy <= 0 || busy > 100.5 || core <= 0 || core > 100.5 {
					t.Errorf("image model line %q: want 45 inputs in 3 or more batches, busy and on-core shares in (0, 100]", m[0])
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

// TestBenchRuns runs two end-to-end runs in one bench: the second on an
// emptied Redis (every item decoded and embedded again, not up to date),
// each ratio against its own raw limit, and their median.
func TestBenchRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs ONNX Runtime, the model and the sample catalog")
	}
	testdeps.Require(t, "ort/libonnxruntime.so.1", "models/mobilenetv2_nsfwjs_gap.onnx", "catalog/manifest.jsonl")
	out, stderr, err := run(t, "bench", "--text-model", "none", "--rounds", "1", "--raw-for", "300ms", "--refresh=false", "--runs", "2")
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	// The details are the last run's: it decoded the 45 images again.
	if !regexp.MustCompile(`decode\+prep +45 items`).MatchString(out) {
		t.Errorf("the last run did not decode the 45 catalog images (up to date from the first?):\n%s", out)
	}
	m := regexp.MustCompile(`2 end-to-end runs \(the figures above are the last one's\), each against the raw limit around it:\n` +
		` +ratios ([\d.]+), ([\d.]+); median ([\d.]+)\n +items/s / raw limit: ([\d.]+)/([\d.]+), ([\d.]+)/([\d.]+)\n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary of the 2 runs:\n%s", out)
	}
	r1, r2, median := number(t, m[1]), number(t, m[2]), number(t, m[3])
	e1, l1, e2, l2 := number(t, m[4]), number(t, m[5]), number(t, m[6]), number(t, m[7])
	for i, c := range []struct{ ratio, e2e, limit float64 }{{r1, e1, l1}, {r2, e2, l2}} {
		if c.e2e <= 0 || c.limit <= 0 || math.Abs(c.ratio-c.e2e/c.limit) > 0.002 {
			t.Errorf("run %d: ratio %v, want %v/%v", i+1, c.ratio, c.e2e, c.limit)
		}
	}
	if math.Abs(median-(r1+r2)/2) > 0.0011 {
		t.Errorf("median %v of %v and %v, want their mean", median, r1, r2)
	}
	// The ratio line above the summary is the last run's.
	if last := regexp.MustCompile(`ratio end-to-end / raw limit +: +([\d.]+)`).FindStringSubmatch(out); last == nil || math.Abs(number(t, last[1])-r2) > 0.0011 {
		t.Errorf("the report's ratio line %v is not the last run's %v", last, r2)
	}
	if _, _, err := run(t, "bench", "--runs", "0", "--raw-for", "1ms"); err == nil || !strings.Contains(err.Error(), "--runs 0") {
		t.Errorf("--runs 0: %v, want an error naming the flag", err)
	}
}

// number parses a figure of the bench report.
func number(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("figure %q: %v", s, err)
	}
	return f
}
