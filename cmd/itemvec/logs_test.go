//go:build !worker

package main

import (
	"bytes"
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/itemvec/itemvec/internal/testdeps"
)

// jsonLines fails unless every line of out is a JSON object, and returns
// them.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("stderr line %d is not JSON: %q", i+1, line)
		}
		recs = append(recs, rec)
	}
	return recs
}

func TestLogFormatJSON(t *testing.T) {
	t.Run("the final error", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		var stdout, stderr bytes.Buffer
		code := execute(t.Context(), []string{"--log-format", "json", "vectors", "get", "sku-1", "--redis", "redis://" + addr + "/0"}, &stdout, &stderr)
		if code != 1 {
			t.Fatalf("exit %d, want 1; stderr %s", code, stderr.String())
		}
		recs := jsonLines(t, stderr.String())
		last := recs[len(recs)-1]
		if last["msg"] != "itemvec failed" || last["kind"] != "unavailable" || !strings.Contains(last["err"].(string), addr) {
			t.Errorf("last record %v, want the error with its kind", last)
		}
	})
	t.Run("a whole run", func(t *testing.T) {
		if testing.Short() {
			t.Skip("-short: needs ONNX Runtime, the model and the sample catalog")
		}
		testdeps.Require(t, "ort/libonnxruntime.so.1", "models/mobilenetv2_nsfwjs_gap.onnx", "catalog/manifest.jsonl")
		var stdout, stderr bytes.Buffer
		code := execute(t.Context(), []string{"--log-format", "json", "run", "--text-model", "none", "--show", "0"}, &stdout, &stderr)
		if code != 0 {
			t.Fatalf("exit %d; stderr %s", code, stderr.String())
		}
		recs := jsonLines(t, stderr.String())
		if len(recs) < 5 {
			t.Errorf("only %d log records from a whole run", len(recs))
		}
		if !strings.Contains(stdout.String(), "items done") {
			t.Errorf("the report is missing from stdout:\n%s", stdout.String())
		}
	})
}
