//go:build cgo

package onnx

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	pb "github.com/advancedclimatesystems/gonnx/onnx"

	"github.com/itemvec/itemvec/onnx/convert/standin"
)

// textSpec is a valid text section with the given pooling.
func textSpec(pooling Pooling, normalize bool) TextSpec {
	return TextSpec{MaxLength: 128, Pooling: pooling, Normalize: normalize}
}

// writeBERT writes a BERT test stand-in (see package standin) to a
// temporary file and returns its path.
func writeBERT(t testing.TB, cfg standin.Config) string {
	t.Helper()
	data, err := standin.BERT(cfg)
	if err != nil {
		t.Fatalf("standin.BERT: %v", err)
	}
	path := filepath.Join(t.TempDir(), "bert_stand_in.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// arithWidth is the hidden size of arithStandIn.
const arithWidth = 3

// arithWeights are the columns of arithStandIn's hidden state.
var arithWeights = []float32{1, -1, 0.5}

// arithStandIn is a test stand-in text model whose outputs are known
// exactly: the hidden state of token s is (id + 1000·type)·mask ×
// [1, -1, 0.5] (last_hidden_state [batch, sequence, 3]), and
// pooler_output is its sum over the sequence [batch, 3].
func arithStandIn() *pb.ModelProto {
	cast := func(in, out string) *pb.NodeProto {
		return &pb.NodeProto{OpType: "Cast", Input: []string{in}, Output: []string{out},
			Attribute: []*pb.AttributeProto{{Name: "to", Type: pb.AttributeProto_INT, I: int64(pb.TensorProto_FLOAT)}}}
	}
	op := func(typ, out string, in ...string) *pb.NodeProto {
		return &pb.NodeProto{OpType: typ, Input: in, Output: []string{out}}
	}
	return &pb.ModelProto{
		IrVersion:   8,
		OpsetImport: []*pb.OperatorSetIdProto{{Version: 13}},
		Graph: &pb.GraphProto{
			Name: "arith_text_stand_in",
			Node: []*pb.NodeProto{
				cast("input_ids", "ids_f"),
				cast("token_type_ids", "types_f"),
				cast("attention_mask", "mask_f"),
				op("Mul", "types_k", "types_f", "thousand"),
				op("Add", "value", "ids_f", "types_k"),
				op("Mul", "masked", "value", "mask_f"),
				op("Unsqueeze", "column", "masked", "axis2"),
				op("Mul", "last_hidden_state", "column", "W"),
				{OpType: "ReduceSum", Input: []string{"last_hidden_state", "axis1"}, Output: []string{"pooler_output"},
					Attribute: []*pb.AttributeProto{{Name: "keepdims", Type: pb.AttributeProto_INT, I: 0}}},
			},
			Initializer: []*pb.TensorProto{
				{Name: "thousand", DataType: int32(pb.TensorProto_FLOAT), FloatData: []float32{1000}},
				{Name: "W", DataType: int32(pb.TensorProto_FLOAT), Dims: []int64{arithWidth}, FloatData: arithWeights},
				{Name: "axis2", DataType: int32(pb.TensorProto_INT64), Dims: []int64{1}, Int64Data: []int64{2}},
				{Name: "axis1", DataType: int32(pb.TensorProto_INT64), Dims: []int64{1}, Int64Data: []int64{1}},
			},
			Input: []*pb.ValueInfoProto{
				valueInfo("input_ids", pb.TensorProto_INT64, "batch", "sequence"),
				valueInfo("attention_mask", pb.TensorProto_INT64, "batch", "sequence"),
				valueInfo("token_type_ids", pb.TensorProto_INT64, "batch", "sequence"),
			},
			Output: []*pb.ValueInfoProto{
				valueInfo("last_hidden_state", pb.TensorProto_FLOAT, "batch", "sequence", arithWidth),
				valueInfo("pooler_output", pb.TensorProto_FLOAT, "batch", arithWidth),
			},
		},
	}
}

// arithExpected computes what a TextSession on arithStandIn returns.
func arithExpected(pooling Pooling, normalize bool, ids, masks, types [][]int64) [][]float32 {
	out := make([][]float32, len(ids))
	for i, row := range ids {
		value := func(s int) (v float64, real bool) {
			m, typ := int64(1), int64(0)
			if masks != nil && masks[i] != nil {
				m = masks[i][s]
			}
			if types != nil && types[i] != nil {
				typ = types[i][s]
			}
			return float64((row[s] + 1000*typ) * m), m == 1
		}
		var scalar float64
		switch pooling {
		case PoolingCLS:
			scalar, _ = value(0)
		case PoolingPooled:
			for s := range row {
				v, _ := value(s)
				scalar += v
			}
		case PoolingMean:
			n := 0
			for s := range row {
				if v, real := value(s); real {
					scalar += v
					n++
				}
			}
			scalar /= float64(n)
		}
		vec := make([]float32, arithWidth)
		var norm float64
		for j, w := range arithWeights {
			vec[j] = float32(scalar * float64(w))
			norm += float64(vec[j]) * float64(vec[j])
		}
		if normalize && norm > 0 {
			for j := range vec {
				vec[j] = float32(float64(vec[j]) / math.Sqrt(norm))
			}
		}
		out[i] = vec
	}
	return out
}

// testTextSession opens path on the CPU with spec, closed when the test
// ends.
func testTextSession(t testing.TB, env *Environment, path string, spec TextSpec) *TextSession {
	t.Helper()
	s, err := NewTextSession(t.Context(), env, path, spec, SessionConfig{Device: DeviceCPU, IntraOpThreads: 1, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("NewTextSession: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("TextSession.Close: %v", err)
		}
	})
	return s
}

// maxAbsDiff is the largest |a[i][j]-b[i][j]|; it fails the test unless
// the shapes match.
func maxAbsDiff(t *testing.T, a, b [][]float32) float64 {
	t.Helper()
	// Errorf, not Fatalf: goroutines call it too. A shape mismatch is
	// reported and counts as an infinite difference.
	if len(a) != len(b) {
		t.Errorf("%d vectors vs %d", len(a), len(b))
		return math.Inf(1)
	}
	worst := 0.0
	for i := range a {
		if len(a[i]) != len(b[i]) {
			t.Errorf("vector %d: %d floats vs %d", i, len(a[i]), len(b[i]))
			return math.Inf(1)
		}
		for j := range a[i] {
			d := math.Abs(float64(a[i][j] - b[i][j]))
			if math.IsNaN(d) {
				return math.Inf(1)
			}
			worst = max(worst, d)
		}
	}
	return worst
}

func TestTextSessionPooling(t *testing.T) {
	env := testEnv(t)
	path := writeModel(t, arithStandIn())
	ids := [][]int64{{7, 3, 5, 2}, {4}, {9, 1, 8, 6, 2, 2, 11}}
	masks := [][]int64{{1, 1, 0, 1}, nil, {1, 1, 1, 1, 1, 0, 0}} // nil: all 1
	types := [][]int64{{0, 0, 0, 1}, {0}, nil}                   // nil: all 0
	for _, pooling := range []Pooling{PoolingMean, PoolingCLS, PoolingPooled} {
		for _, normalize := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s normalize=%v", pooling, normalize), func(t *testing.T) {
				s := testTextSession(t, env, path, textSpec(pooling, normalize))
				wantOutput := map[Pooling]string{PoolingMean: "last_hidden_state", PoolingCLS: "last_hidden_state", PoolingPooled: "pooler_output"}[pooling]
				if s.OutputName() != wantOutput || s.OutputDim() != arithWidth || !s.HasTokenTypeIDs() || s.Pooling() != pooling {
					t.Fatalf("session reads %q (%d floats), token types %v, pooling %q", s.OutputName(), s.OutputDim(), s.HasTokenTypeIDs(), s.Pooling())
				}
				got, err := s.Run(t.Context(), ids, masks, types)
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				want := arithExpected(pooling, normalize, ids, masks, types)
				if d := maxAbsDiff(t, got, want); d > 1e-3 {
					t.Fatalf("got %v, want %v (max abs diff %g)", got, want, d)
				}
				// Rows are separate: appending to one leaves the next alone.
				_ = append(got[0], -1)
				if got[1][0] != want[1][0] {
					t.Fatal("appending to row 0 changed row 1")
				}
			})
		}
	}
}

func TestTextSessionDiscoversIO(t *testing.T) {
	env := testEnv(t)
	tests := []struct {
		name       string
		cfg        standin.Config
		spec       func(*TextSpec)
		wantInputs []string
		wantOutput string
	}{
		{"mean", standin.Config{}, func(*TextSpec) {}, []string{"input_ids", "attention_mask", "token_type_ids"}, "last_hidden_state"},
		{"cls", standin.Config{}, func(s *TextSpec) { s.Pooling = PoolingCLS }, []string{"input_ids", "attention_mask", "token_type_ids"}, "last_hidden_state"},
		{"pooled", standin.Config{}, func(s *TextSpec) { s.Pooling = PoolingPooled }, []string{"input_ids", "attention_mask", "token_type_ids"}, "pooler_output"},
		{"sentence_embedding", standin.Config{PooledOutput: "sentence_embedding"}, func(s *TextSpec) { s.Pooling = PoolingPooled },
			[]string{"input_ids", "attention_mask", "token_type_ids"}, "sentence_embedding"},
		{"only 2-D output", standin.Config{PooledOutput: "embedding"}, func(s *TextSpec) { s.Pooling = PoolingPooled },
			[]string{"input_ids", "attention_mask", "token_type_ids"}, "embedding"},
		{"named output", standin.Config{PooledOutput: "embedding"}, func(s *TextSpec) { s.Pooling, s.Output = PoolingPooled, "embedding" },
			[]string{"input_ids", "attention_mask", "token_type_ids"}, "embedding"},
		{"no token types", standin.Config{OmitTokenTypeIDs: true}, func(*TextSpec) {}, []string{"input_ids", "attention_mask"}, "last_hidden_state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := textSpec(PoolingMean, true)
			tt.spec(&spec)
			s := testTextSession(t, env, writeBERT(t, tt.cfg), spec)
			if !slices.Equal(s.InputNames(), tt.wantInputs) || s.OutputName() != tt.wantOutput || s.OutputDim() != standin.DefaultHidden {
				t.Fatalf("inputs %q, output %q (%d floats); want %q, %q (%d)",
					s.InputNames(), s.OutputName(), s.OutputDim(), tt.wantInputs, tt.wantOutput, standin.DefaultHidden)
			}
			if s.Device() != DeviceCPU || s.MaxLength() != spec.MaxLength || s.ModelPath() == "" {
				t.Errorf("device %q, max length %d, model path %q", s.Device(), s.MaxLength(), s.ModelPath())
			}
			if s.HasTokenTypeIDs() != !tt.cfg.OmitTokenTypeIDs {
				t.Errorf("HasTokenTypeIDs = %v", s.HasTokenTypeIDs())
			}
		})
	}
}

func TestNewTextSessionRejects(t *testing.T) {
	env := testEnv(t)
	bert := writeBERT(t, standin.Config{})
	fixedSeq := arithStandIn()
	for _, in := range fixedSeq.Graph.Input {
		in.Type.GetTensorType().Shape.Dim[1] = &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimValue{DimValue: 8}}
	}
	extraInput := arithStandIn()
	extraInput.Graph.Input = append(extraInput.Graph.Input, valueInfo("position_ids", pb.TensorProto_INT64, "batch", "sequence"))
	extraInput.Graph.Node = append(extraInput.Graph.Node, &pb.NodeProto{OpType: "Identity", Input: []string{"position_ids"}, Output: []string{"positions"}})
	extraInput.Graph.Output = append(extraInput.Graph.Output, valueInfo("positions", pb.TensorProto_INT64, "batch", "sequence"))
	tests := []struct {
		name    string
		path    string
		spec    func(*TextSpec)
		wantErr string
	}{
		{"image model", writeModel(t, convStandIn(standInK)), func(*TextSpec) {}, `has no input "input_ids"`},
		{"float ids", writeModel(t, convStandIn(standInK)), func(s *TextSpec) { s.IDsInput = "input" }, `input "input" is float [-1 3 4 4]; want an int64 tensor`},
		{"fixed sequence length", writeModel(t, fixedSeq), func(*TextSpec) {}, "both dimensions must be dynamic"},
		{"extra input", writeModel(t, extraInput), func(*TextSpec) {}, `input "position_ids" that a text session cannot feed`},
		{"named type input missing", writeBERT(t, standin.Config{OmitTokenTypeIDs: true}), func(s *TextSpec) { s.TypeIDsInput = "token_type_ids" }, `has no input "token_type_ids"`},
		{"no pooled output", writeBERT(t, standin.Config{OmitPooler: true}), func(s *TextSpec) { s.Pooling = PoolingPooled }, "pooled pooling needs a float32 [batch, hidden] output; the model has 0"},
		{"output missing", bert, func(s *TextSpec) { s.Output = "embeddings" }, `has no output "embeddings"`},
		{"output of the wrong rank", bert, func(s *TextSpec) { s.Output = "pooler_output" }, "mean pooling needs a float32 tensor of rank 3"},
		{"bad pooling", bert, func(s *TextSpec) { s.Pooling = "max" }, `pooling "max"`},
		{"no max length", bert, func(s *TextSpec) { s.MaxLength = 0 }, "max_length 0"},
		{"same input twice", bert, func(s *TextSpec) { s.MaskInput = "input_ids" }, "three different names"},
		{"missing file", filepath.Join(t.TempDir(), "missing.onnx"), func(*TextSpec) {}, "run make setup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := textSpec(PoolingMean, true)
			tt.spec(&spec)
			s, err := NewTextSession(t.Context(), env, tt.path, spec, SessionConfig{Logger: quietLogger()})
			if err == nil {
				s.Close()
				t.Fatal("NewTextSession succeeded")
			}
			if e := assertCode(t, err, CodeConfig); !strings.Contains(e.Error(), tt.wantErr) || e.Retryable() {
				t.Fatalf("error %q: want it to contain %q and not be retryable", e, tt.wantErr)
			}
		})
	}
	t.Run("unknown device", func(t *testing.T) {
		_, err := NewTextSession(t.Context(), env, bert, textSpec(PoolingMean, true), SessionConfig{Device: "tpu", Logger: quietLogger()})
		assertCode(t, err, CodeConfig)
	})
}

// randomTexts returns n token id rows of 1..maxLen ids in bert-base-uncased's
// range, each starting with [CLS] (101) and ending with [SEP] (102).
func randomTexts(seed uint64, n, maxLen int) [][]int64 {
	r := rand.New(rand.NewPCG(seed, 2))
	out := make([][]int64, n)
	for i := range out {
		row := make([]int64, 1+r.IntN(maxLen))
		for j := range row {
			row[j] = 999 + r.Int64N(standin.DefaultVocabSize-999)
		}
		row[0] = 101
		if len(row) > 1 {
			row[len(row)-1] = 102
		}
		out[i] = row
	}
	return out
}

// TestTextSessionPaddingChangesNothing checks that a text's vector is the
// same alone and padded in a batch with longer texts.
func TestTextSessionPaddingChangesNothing(t *testing.T) {
	env := testEnv(t)
	path := writeBERT(t, standin.Config{})
	texts := randomTexts(1, 12, 60)
	for _, pooling := range []Pooling{PoolingMean, PoolingCLS, PoolingPooled} {
		t.Run(string(pooling), func(t *testing.T) {
			s := testTextSession(t, env, path, textSpec(pooling, true))
			batched, err := s.Run(t.Context(), texts, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i, text := range texts {
				alone, err := s.Run(t.Context(), [][]int64{text}, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				if d := maxAbsDiff(t, alone, batched[i:i+1]); d > 1e-5 {
					t.Errorf("text %d (%d tokens): alone and batched differ by %g", i, len(text), d)
				}
			}
		})
	}
}

// TestTextSessionWithoutTokenTypes checks the stand-in without a
// token_type_ids input against the full one fed zero type ids.
func TestTextSessionWithoutTokenTypes(t *testing.T) {
	env := testEnv(t)
	texts := randomTexts(2, 5, 30)
	full := testTextSession(t, env, writeBERT(t, standin.Config{}), textSpec(PoolingMean, false))
	bare := testTextSession(t, env, writeBERT(t, standin.Config{OmitTokenTypeIDs: true}), textSpec(PoolingMean, false))
	want, err := full.Run(t.Context(), texts, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([][]int64, len(texts))
	for i, text := range texts {
		zeros[i] = make([]int64, len(text))
	}
	got, err := bare.Run(t.Context(), texts, nil, zeros)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(t, got, want); d > 1e-5 {
		t.Fatalf("without token types the vectors differ by %g", d)
	}
	zeros[1][0] = 1
	_, err = bare.Run(t.Context(), texts, nil, zeros)
	if e := assertCode(t, err, CodeInput); !strings.Contains(e.Error(), "no token type input") {
		t.Fatalf("error %q", e)
	}
}

func TestTextSessionRunRejectsBadInput(t *testing.T) {
	s := testTextSession(t, testEnv(t), writeModel(t, arithStandIn()), textSpec(PoolingMean, false))
	long := make([]int64, 129)
	tests := []struct {
		name         string
		ids, masks   [][]int64
		types        [][]int64
		wantErrParts string
	}{
		{"no texts", nil, nil, nil, "no texts"},
		{"empty text", [][]int64{{1}, {}}, nil, nil, "text 1: no token ids"},
		{"too long", [][]int64{long}, nil, nil, "129 token ids; the model takes at most 128"},
		{"negative id", [][]int64{{1, -2}}, nil, nil, "token id -2 at position 1"},
		{"mask rows", [][]int64{{1}, {2}}, [][]int64{{1}}, nil, "2 texts but 1 attention masks"},
		{"mask length", [][]int64{{1, 2}}, [][]int64{{1}}, nil, "2 token ids but 1 attention mask values"},
		{"mask value", [][]int64{{1, 2}}, [][]int64{{1, 2}}, nil, "attention mask value 2"},
		{"mask all zero", [][]int64{{1, 2}}, [][]int64{{0, 0}}, nil, "no 1"},
		{"type rows", [][]int64{{1}}, nil, [][]int64{{0}, {0}}, "1 texts but 2 token type id rows"},
		{"type length", [][]int64{{1, 2}}, nil, [][]int64{{0}}, "2 token ids but 1 token type ids"},
		{"negative type", [][]int64{{1, 2}}, nil, [][]int64{{0, -1}}, "token type id -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Run(t.Context(), tt.ids, tt.masks, tt.types)
			if e := assertCode(t, err, CodeInput); !strings.Contains(e.Error(), tt.wantErrParts) || e.Retryable() {
				t.Fatalf("error %q: want it to contain %q and not be retryable", e, tt.wantErrParts)
			}
		})
	}
}

func TestTextSessionRuntimeErrors(t *testing.T) {
	s := testTextSession(t, testEnv(t), writeBERT(t, standin.Config{}), textSpec(PoolingMean, true))
	t.Run("id outside the vocabulary", func(t *testing.T) {
		_, err := s.Run(t.Context(), [][]int64{{101, standin.DefaultVocabSize, 102}}, nil, nil)
		if e := assertCode(t, err, CodeRuntime); !e.Retryable() {
			t.Fatalf("runtime error %q is not retryable", e)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.Run(ctx, [][]int64{{101, 102}}, nil, nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("Run with a cancelled ctx = %v, want context.Canceled", err)
		}
	})
	t.Run("stopped during the run", func(t *testing.T) {
		ctx := &lateErrContext{Context: t.Context(), done: make(chan struct{})}
		close(ctx.done)
		if _, err := s.Run(ctx, randomTexts(3, 64, 128), nil, nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v; want ORT stopped and context.Canceled", err)
		}
	})
}

func TestTextSessionConcurrentRun(t *testing.T) {
	s := testTextSession(t, testEnv(t), writeBERT(t, standin.Config{}), textSpec(PoolingMean, true))
	texts := randomTexts(4, 24, 40)
	want, err := s.Run(t.Context(), texts, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < len(texts); i += 4 {
				got, err := s.Run(t.Context(), texts[i:i+1], nil, nil)
				if err != nil {
					t.Errorf("Run: %v", err)
					return
				}
				if d := maxAbsDiff(t, got, want[i:i+1]); d > 1e-5 {
					t.Errorf("text %d differs by %g", i, d)
				}
			}
		})
	}
	wg.Wait()
}

func TestTextSessionClose(t *testing.T) {
	env := testEnv(t)
	s, err := NewTextSession(t.Context(), env, writeModel(t, arithStandIn()), textSpec(PoolingCLS, false), SessionConfig{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err = s.Run(t.Context(), [][]int64{{1}}, nil, nil)
	if e := assertCode(t, err, CodeClosed); !errors.Is(err, ErrClosed) || !e.Retryable() {
		t.Fatalf("Run after Close = %v, want a retryable ErrClosed", err)
	}
}

func TestNewTextSessionCUDAFailsNamingLibrary(t *testing.T) {
	env := testEnv(t)
	if cudaProvidersInstalled(env) {
		t.Skip("CUDA provider libraries are installed")
	}
	_, err := NewTextSession(t.Context(), env, writeModel(t, arithStandIn()), textSpec(PoolingMean, true), SessionConfig{Device: DeviceCUDA, Logger: quietLogger()})
	if e := assertCode(t, err, CodeConfig); !strings.Contains(e.Error(), "run make setup-gpu") {
		t.Fatalf("error %q does not say to run make setup-gpu", e)
	}
	s, err := NewTextSession(t.Context(), env, writeModel(t, arithStandIn()), textSpec(PoolingMean, true), SessionConfig{Device: DeviceAuto, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("NewTextSession(auto): %v", err)
	}
	defer s.Close()
	if s.Device() != DeviceCPU {
		t.Fatalf("Device = %q, want cpu", s.Device())
	}
}

// TestTextSessionCUDA runs only where a GPU and the CUDA provider are set
// up (make setup-gpu) and ITEMVEC_TEST_CUDA=1: the stand-in on CUDA must
// agree with the CPU.
func TestTextSessionCUDA(t *testing.T) {
	if os.Getenv("ITEMVEC_TEST_CUDA") != "1" {
		t.Skip("set ITEMVEC_TEST_CUDA=1 on a machine with a GPU and make setup-gpu done")
	}
	env := testEnv(t)
	path := writeBERT(t, standin.Config{})
	gpu, err := NewTextSession(t.Context(), env, path, textSpec(PoolingMean, true), SessionConfig{Device: DeviceCUDA, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("NewTextSession(cuda): %v", err)
	}
	defer gpu.Close()
	if gpu.Device() != DeviceCUDA {
		t.Fatalf("Device = %q, want cuda", gpu.Device())
	}
	cpu := testTextSession(t, env, path, textSpec(PoolingMean, true))
	texts := randomTexts(5, 16, 128)
	want, err := cpu.Run(t.Context(), texts, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := gpu.Run(t.Context(), texts, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(t, got, want); d > 1e-3 {
		t.Fatalf("CUDA and CPU differ by %g", d)
	}
}

// tokens is one tokenized text, as a worker batches them.
type tokens struct{ ids, mask, typeIDs []int64 }

// textBatchRunner runs tokens on a TextSession in a Batcher, as the
// worker's adapter does.
type textBatchRunner struct{ s *TextSession }

func (r textBatchRunner) Check(t tokens) error { return r.s.CheckText(t.ids, t.mask, t.typeIDs) }
func (r textBatchRunner) OutputDim() int       { return r.s.OutputDim() }

func (r textBatchRunner) RunBatch(ctx context.Context, ins []tokens) ([][]float32, error) {
	ids := make([][]int64, len(ins))
	var masks, typeIDs [][]int64
	for i, in := range ins {
		ids[i] = in.ids
		if in.mask != nil {
			if masks == nil {
				masks = make([][]int64, len(ins))
			}
			masks[i] = in.mask
		}
		if in.typeIDs != nil {
			if typeIDs == nil {
				typeIDs = make([][]int64, len(ins))
			}
			typeIDs[i] = in.typeIDs
		}
	}
	return r.s.Run(ctx, ids, masks, typeIDs)
}

func TestBatcherWithTextSession(t *testing.T) {
	s := testTextSession(t, testEnv(t), writeBERT(t, standin.Config{}), textSpec(PoolingMean, true))
	texts := randomTexts(6, 40, 50)
	want, err := s.Run(t.Context(), texts, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, pick := range []Pick{PickNearestLength, PickArrival} {
		t.Run(pick.String(), func(t *testing.T) {
			b, err := NewBatcher(textBatchRunner{s}, BatcherConfig[tokens]{MaxBatch: 8, Pick: pick,
				Length: func(t tokens) int { return len(t.ids) }, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for i, text := range texts {
				wg.Go(func() {
					in := tokens{ids: text}
					if i%3 == 0 { // all 1: the same vector as no mask
						in.mask = slices.Repeat([]int64{1}, len(text))
					}
					if i%4 == 0 { // all 0: the same vector as no type ids
						in.typeIDs = make([]int64, len(text))
					}
					got, err := b.Submit(t.Context(), in)
					if err != nil {
						t.Errorf("text %d: %v", i, err)
						return
					}
					if d := maxAbsDiff(t, [][]float32{got}, want[i:i+1]); d > 1e-5 {
						t.Errorf("text %d: batched vector differs by %g", i, d)
					}
				})
			}
			wg.Wait()
			_, err = b.Submit(t.Context(), tokens{ids: make([]int64, 129)})
			if e := assertCode(t, err, CodeInput); !strings.Contains(e.Error(), "at most 128") {
				t.Errorf("error %q for a text over max_length", e)
			}
			b.Close()
			if st := b.Stats(); st.Items != int64(len(texts)) || st.Failed != 0 || st.PaddingEfficiency() <= 0 || st.PaddingEfficiency() > 1 {
				t.Errorf("stats %+v, padding efficiency %v", st, st.PaddingEfficiency())
			}
		})
	}
}

func TestTextSessionCheckText(t *testing.T) {
	env := testEnv(t)
	full := testTextSession(t, env, writeModel(t, arithStandIn()), textSpec(PoolingMean, false))
	bare := testTextSession(t, env, writeBERT(t, standin.Config{OmitTokenTypeIDs: true}), textSpec(PoolingMean, false))
	tests := []struct {
		name             string
		s                *TextSession
		ids, mask, types []int64
		wantErr          string // "" for a text that can run
	}{
		{"plain", full, []int64{101, 102}, nil, nil, ""},
		{"mask and types", full, []int64{101, 7, 102}, []int64{1, 1, 0}, []int64{0, 1, 1}, ""},
		{"zero types without a type input", bare, []int64{101, 102}, nil, []int64{0, 0}, ""},
		{"types without a type input", bare, []int64{101, 102}, nil, []int64{0, 1}, "non-zero token type ids, but the model has no token type input"},
		{"too long", full, make([]int64, 129), nil, nil, "129 token ids; the model takes at most 128 (max_length): truncate when tokenizing"},
		{"empty", full, nil, nil, nil, "no token ids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.CheckText(tt.ids, tt.mask, tt.types)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckText: %v", err)
				}
				return
			}
			if e := assertCode(t, err, CodeInput); e.Retryable() || e.Error() != "onnx.TextSession.CheckText: "+tt.wantErr {
				t.Fatalf("error %q: want a non-retryable input error %q", e, tt.wantErr)
			}
		})
	}
}

func BenchmarkTextSession(b *testing.B) {
	s := testTextSession(b, testEnv(b), writeBERT(b, standin.Config{}), textSpec(PoolingMean, true))
	for _, length := range []int{16, 64, 128} {
		b.Run(fmt.Sprintf("batch=16/tokens=%d", length), func(b *testing.B) {
			texts := make([][]int64, 16)
			for i := range texts {
				texts[i] = randomTexts(uint64(i), 1, 1)[0]
				texts[i] = slices.Repeat(texts[i], length)
			}
			for b.Loop() {
				if _, err := s.Run(b.Context(), texts, nil, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(16*length*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
