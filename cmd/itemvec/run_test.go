//go:build !worker

package main

import (
	"strings"
	"testing"

	"github.com/itemvec/itemvec/internal/testdeps"
)

// TestRunTakesTheWorkerFlags: itemvec run goes through the same worker as
// itemvec worker, so --max-image-pixels and --queue reach it (they used to
// be accepted and ignored).
func TestRunTakesTheWorkerFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs ONNX Runtime, the model and the sample catalog")
	}
	testdeps.Require(t, "ort/libonnxruntime.so.1", "models/mobilenetv2_nsfwjs_gap.onnx", "catalog/manifest.jsonl")
	out, stderr, err := run(t, "run", "--text-model", "none", "--no-broken-items", "--max-retry", "0",
		"--queue", "demo-queue", "--max-image-pixels", "1000", "--show", "0")
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	if !strings.Contains(out, "items done     : 0\n") || !strings.Contains(out, "items failed   : 45\n") ||
		strings.Count(out, "decode_too_many_pixels") != 45 {
		t.Fatalf("with --max-image-pixels 1000 every photo must fail with decode_too_many_pixels; got:\n%s", out)
	}
	if !strings.Contains(out, "Recommender side: skipped, 0 items published") {
		t.Errorf("with nothing published the recommender part must say it is skipped; got:\n%s", out)
	}
}
