package tfgraph_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/onnx/convert/tfgraph"
)

// codeKinds is the kind each code must carry.
var codeKinds = map[string]itemvec.Kind{
	tfgraph.CodeMalformed:   itemvec.KindBadInput,
	tfgraph.CodeUnsupported: itemvec.KindConfig,
}

// castGraph casts with Truncate=true, which opCast refuses with a plain
// error that convertNode classifies.
const castGraph = `{"format":"graph-model","modelTopology":{"node":[
{"name":"x","op":"Placeholder","attr":{"dtype":{"type":1},"shape":{"shape":{"dim":[{"size":"-1"},{"size":"2"}]}}}},
{"name":"y","op":"Cast","input":["x"],"attr":{"SrcT":{"type":1},"DstT":{"type":3},"Truncate":{"b":true}}}
]},"weightsManifest":[]}`

// The messages are those of the package's error type before the
// module-wide one: "tfgraph: step: [node "name": ]<what>: detail".
func TestErrorMessages(t *testing.T) {
	eight := make([]byte, 8)
	tests := []struct {
		name   string
		model  string
		shards [][]byte
		code   string
		want   string
	}{
		{"malformed", `{`, nil, tfgraph.CodeMalformed,
			"tfgraph: parse model.json: malformed input: unexpected end of JSON input"},
		{"unsupported node", strings.Replace(tinyGraph, "%s", "Atan2", 1), [][]byte{eight}, tfgraph.CodeUnsupported,
			`tfgraph: convert: node "y": unsupported: op Atan2 has no ONNX mapping`},
		{"plain error of an op", castGraph, nil, tfgraph.CodeUnsupported,
			`tfgraph: convert Cast: node "y": unsupported: Truncate=true`},
		{"weights", strings.Replace(strings.Replace(tinyGraph, "%s", "Mul", 1), `"dtype":"float32"}]`, `"dtype":"int8"}]`, 1), [][]byte{eight}, tfgraph.CodeMalformed,
			`tfgraph: decode weights: malformed input: weight "w": dtype "int8" (only float32 and int32)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tfgraph.Convert([]byte(tt.model), tt.shards, tfgraph.Options{})
			if err == nil {
				t.Fatalf("err = nil, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("err = %q\nwant  %q", err, tt.want)
			}
			e, ok := errors.AsType[*itemvec.Error](err)
			if !ok {
				t.Fatalf("err is %T, want *itemvec.Error", err)
			}
			if e.Code != tt.code || e.Kind != codeKinds[tt.code] || e.Op != "tfgraph.Convert" {
				t.Errorf("kind, code, op = %v, %q, %q, want %v, %q, tfgraph.Convert", e.Kind, e.Code, e.Op, codeKinds[tt.code], tt.code)
			}
		})
	}
}

func TestConvertDirFileErrors(t *testing.T) {
	dir := t.TempDir()
	_, _, err := tfgraph.ConvertDir(dir, tfgraph.Options{})
	if want := "tfgraph: open " + filepath.Join(dir, tfgraph.ModelFile) + ": no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	if !errors.Is(err, fs.ErrNotExist) || itemvec.KindOf(err) != itemvec.KindNotFound || itemvec.CodeOf(err) != "" {
		t.Errorf("err = %v (kind %v, code %q), want fs.ErrNotExist, kind not_found, no code", err, itemvec.KindOf(err), itemvec.CodeOf(err))
	}

	// A folder where a weight shard should be.
	model := strings.Replace(tinyGraph, "%s", "Mul", 1)
	if err := os.WriteFile(filepath.Join(dir, tfgraph.ModelFile), []byte(model), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "shard"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, _, err = tfgraph.ConvertDir(dir, tfgraph.Options{})
	if err == nil || errors.Is(err, fs.ErrNotExist) || itemvec.KindOf(err) != itemvec.KindConfig || itemvec.IsRetryable(err) {
		t.Errorf("err = %v (kind %v), want a non-retryable config error", err, itemvec.KindOf(err))
	}
}
