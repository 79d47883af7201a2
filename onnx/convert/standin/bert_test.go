package standin_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/onnx/convert/standin"
	"github.com/itemvec/itemvec/workers/modelspec"
)

func build(t testing.TB, cfg standin.Config) []byte {
	t.Helper()
	data, err := standin.BERT(cfg)
	if err != nil {
		t.Fatalf("BERT(%+v): %v", cfg, err)
	}
	return data
}

func decode(t *testing.T, data []byte) *pb.ModelProto {
	t.Helper()
	var m pb.ModelProto
	if err := proto.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestBERTIsDeterministic(t *testing.T) {
	a, b := build(t, standin.Config{}), build(t, standin.Config{})
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of the default stand-in differ")
	}
	if other := build(t, standin.Config{Seed: 1}); bytes.Equal(a, other) {
		t.Fatal("a different seed gave the same model")
	}
	explicit := build(t, standin.Config{VocabSize: 30522, Hidden: 64, Heads: 4, Layers: 2, FFN: 128, MaxPositions: 512, TypeVocabSize: 2, PooledOutput: "pooler_output"})
	if !bytes.Equal(a, explicit) {
		t.Fatal("the zero Config is not the documented defaults")
	}
}

// TestStandInSpecPinsTheModel checks that workers/modelspec/specs/bert-standin-text.json
// names the bytes WriteFile writes.
func TestStandInSpecPinsTheModel(t *testing.T) {
	spec, err := modelspec.Load(filepath.Join(testdeps.Root(t), "workers", "modelspec", "specs", "bert-standin-text.json"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), spec.File)
	if err := standin.WriteFile(path); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, build(t, standin.Config{})) {
		t.Fatal("WriteFile did not write BERT(Config{})")
	}
	if err := spec.VerifyFile(filepath.Dir(path)); err != nil {
		t.Fatalf("the spec no longer matches the stand-in (update its sha256 to %s if the change is intended): %v", sha256Hex(data), err)
	}
	if spec.OutputDim != standin.DefaultHidden {
		t.Errorf("spec output_dim %d, stand-in hidden size %d", spec.OutputDim, standin.DefaultHidden)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil || len(entries) != 1 {
		t.Errorf("WriteFile left %d files behind (%v)", len(entries), err)
	}
}

func TestBERTGraph(t *testing.T) {
	// The operators of opset 13 the stand-in may use.
	allowed := []string{"Add", "Cast", "Div", "Erf", "Gather", "Identity", "MatMul", "Mul", "ReduceMean", "Reshape",
		"Shape", "Slice", "Softmax", "Sqrt", "Sub", "Tanh", "Transpose", "Unsqueeze"}
	names := func(vs []*pb.ValueInfoProto) []string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = v.Name
		}
		return out
	}
	tests := []struct {
		name        string
		cfg         standin.Config
		wantInputs  []string
		wantOutputs []string
	}{
		{"default", standin.Config{}, []string{"input_ids", "attention_mask", "token_type_ids"}, []string{"last_hidden_state", "pooler_output"}},
		{"no token types", standin.Config{OmitTokenTypeIDs: true}, []string{"input_ids", "attention_mask"}, []string{"last_hidden_state", "pooler_output"}},
		{"no pooler", standin.Config{OmitPooler: true}, []string{"input_ids", "attention_mask", "token_type_ids"}, []string{"last_hidden_state"}},
		{"renamed pooler", standin.Config{PooledOutput: "sentence_embedding", Layers: 1}, []string{"input_ids", "attention_mask", "token_type_ids"},
			[]string{"last_hidden_state", "sentence_embedding"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := decode(t, build(t, tt.cfg))
			if len(m.OpsetImport) != 1 || m.OpsetImport[0].Version != 13 || m.OpsetImport[0].Domain != "" {
				t.Errorf("opset imports %v, want the default domain at 13", m.OpsetImport)
			}
			if !strings.Contains(m.DocString, "TEST STAND-IN") {
				t.Errorf("doc string %q does not say it is a test stand-in", m.DocString)
			}
			if got := names(m.Graph.Input); !slices.Equal(got, tt.wantInputs) {
				t.Errorf("inputs %q, want %q", got, tt.wantInputs)
			}
			if got := names(m.Graph.Output); !slices.Equal(got, tt.wantOutputs) {
				t.Errorf("outputs %q, want %q", got, tt.wantOutputs)
			}
			for _, n := range m.Graph.Node {
				if !slices.Contains(allowed, n.OpType) {
					t.Errorf("node %q uses %s", n.Name, n.OpType)
				}
			}
			seen := map[string]bool{}
			for _, init := range m.Graph.Initializer {
				if seen[init.Name] {
					t.Errorf("initializer %q appears twice", init.Name)
				}
				seen[init.Name] = true
			}
		})
	}
}

func TestBERTRejectsConfig(t *testing.T) {
	tests := []struct {
		name  string
		cfg   standin.Config
		field string
	}{
		{"heads do not divide hidden", standin.Config{Hidden: 30, Heads: 4}, "Hidden"},
		{"negative size", standin.Config{FFN: -1}, "FFN"},
		{"too many weights", standin.Config{VocabSize: 1 << 27, Hidden: 64}, "VocabSize"},
		{"pooled output clashes", standin.Config{PooledOutput: "last_hidden_state"}, "PooledOutput"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := standin.BERT(tt.cfg)
			e, ok := errors.AsType[*itemvec.Error](err)
			if !ok || e.Code != standin.CodeInvalidConfig || e.Kind != itemvec.KindConfig ||
				!strings.HasPrefix(err.Error(), "standin: Config."+tt.field+": ") || itemvec.IsRetryable(err) {
				t.Fatalf("BERT(%+v) = %v; want a non-retryable *itemvec.Error of code %s for Config.%s",
					tt.cfg, err, standin.CodeInvalidConfig, tt.field)
			}
		})
	}
}
