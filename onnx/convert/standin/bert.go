package standin

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/itemvec/itemvec"
)

// Names of the inputs and outputs of a [BERT] stand-in: those of a Hugging
// Face BERT export.
const (
	InputIDs        = "input_ids"         // int64 [batch, sequence]
	AttentionMask   = "attention_mask"    // int64 [batch, sequence], 1 = real token
	TokenTypeIDs    = "token_type_ids"    // int64 [batch, sequence]
	LastHiddenState = "last_hidden_state" // float32 [batch, sequence, hidden]
	PoolerOutput    = "pooler_output"     // float32 [batch, hidden] (default name)
)

// Defaults for zero [Config] fields. The vocabulary is bert-base-uncased's,
// so ids from that tokenizer are all in range; the rest is small so tests
// run fast.
const (
	DefaultVocabSize     = 30522
	DefaultHidden        = 64
	DefaultHeads         = 4
	DefaultLayers        = 2
	DefaultFFN           = 128
	DefaultMaxPositions  = 512
	DefaultTypeVocabSize = 2
)

// layerNormEpsilon is BERT's LayerNorm epsilon.
const layerNormEpsilon = 1e-12

// Config sets the size of a [BERT] stand-in. The zero value is the default
// stand-in: every zero size takes its Default value, and the model has a
// token_type_ids input and a pooler_output output.
type Config struct {
	VocabSize     int // rows of the word embedding: valid ids are 0..VocabSize-1
	Hidden        int // width of every hidden state; a multiple of Heads
	Heads         int // attention heads per layer
	Layers        int // encoder layers
	FFN           int // width of the feed-forward layer inside each encoder layer
	MaxPositions  int // rows of the position embedding: the longest sequence the model takes
	TypeVocabSize int // rows of the token-type embedding

	// Seed seeds the weights. Every seed, 0 included, is valid; models with
	// different seeds differ in every weight.
	Seed uint64

	// OmitTokenTypeIDs drops the token_type_ids input; the model then adds
	// the first token-type embedding row everywhere, so it computes exactly
	// what the full model computes for all-zero token type ids.
	OmitTokenTypeIDs bool
	// OmitPooler drops the pooled output, leaving last_hidden_state only.
	OmitPooler bool
	// PooledOutput names the pooled output, tanh(dense(hidden state of the
	// first token)). Empty means "pooler_output".
	PooledOutput string
}

// withDefaults returns c with zero sizes replaced by their defaults.
func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.VocabSize, DefaultVocabSize)
	def(&c.Hidden, DefaultHidden)
	def(&c.Heads, DefaultHeads)
	def(&c.Layers, DefaultLayers)
	def(&c.FFN, DefaultFFN)
	def(&c.MaxPositions, DefaultMaxPositions)
	def(&c.TypeVocabSize, DefaultTypeVocabSize)
	if c.PooledOutput == "" {
		c.PooledOutput = PoolerOutput
	}
	return c
}

// maxWeights bounds the weights of one stand-in (about 1 GiB of float32).
const maxWeights = 1 << 28

func (c Config) validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"VocabSize", c.VocabSize}, {"Hidden", c.Hidden}, {"Heads", c.Heads}, {"Layers", c.Layers},
		{"FFN", c.FFN}, {"MaxPositions", c.MaxPositions}, {"TypeVocabSize", c.TypeVocabSize},
	} {
		if f.v < 0 || f.v > maxWeights {
			return configError(f.name, "%d is out of range", f.v)
		}
	}
	if c.Hidden%c.Heads != 0 {
		return configError("Hidden", "%d is not a multiple of Heads (%d)", c.Hidden, c.Heads)
	}
	if n := (c.VocabSize + c.MaxPositions + c.TypeVocabSize + 4*c.Hidden + 2*c.FFN) * c.Hidden * c.Layers; n > maxWeights {
		return configError("VocabSize", "the model would have about %d weights, more than %d", n, maxWeights)
	}
	switch c.PooledOutput {
	case InputIDs, AttentionMask, TokenTypeIDs, LastHiddenState:
		return configError("PooledOutput", "%q is already the name of another input or output", c.PooledOutput)
	}
	return nil
}

// BERT returns the serialised ONNX model of a BERT-architecture encoder
// with random weights: a TEST STAND-IN whose outputs mean nothing (see the
// package documentation).
//
// Inputs are input_ids, attention_mask and (unless OmitTokenTypeIDs)
// token_type_ids, int64 [batch, sequence], both dimensions dynamic.
// Outputs are last_hidden_state, float32 [batch, sequence, Hidden], and
// (unless OmitPooler) the pooled output, float32 [batch, Hidden]. Padding
// positions (attention_mask 0) get an additive -10000 on their attention
// scores, as in BERT, so they do not change the hidden states of the real
// tokens. Sequences longer than MaxPositions fail in ONNX Runtime.
//
// The bytes are a deterministic function of cfg. A cfg it cannot build is
// an *itemvec.Error with code CodeInvalidConfig.
func BERT(cfg Config) ([]byte, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m := buildBERT(cfg)
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, itemvec.Errorf(itemvec.KindInternal, "standin.BERT", "standin: serialising the model: %w", err)
	}
	return data, nil
}

// WriteFile writes the default stand-in, BERT(Config{}), to path, through
// a temporary file in the same directory so that a reader never sees half
// a model. A file it cannot write is an *itemvec.Error of kind
// itemvec.KindConfig wrapping the os error.
func WriteFile(path string) error {
	data, err := BERT(Config{})
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return writeError(fmt.Errorf("standin: %w", err))
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return writeError(fmt.Errorf("standin: writing %s: %w", tmp.Name(), err))
	}
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return writeError(fmt.Errorf("standin: %w", err))
	}
	if err := tmp.Close(); err != nil {
		return writeError(fmt.Errorf("standin: writing %s: %w", tmp.Name(), err))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return writeError(fmt.Errorf("standin: %w", err))
	}
	return nil
}

// buildBERT lays out the graph. Weights are drawn in a fixed order, so the
// same cfg always gives the same weights.
func buildBERT(cfg Config) *pb.ModelProto {
	g := newGraph(cfg.Seed)
	h := int64(cfg.Hidden)
	headDim := cfg.Hidden / cfg.Heads

	// Embeddings: word + position + token type, then LayerNorm.
	wordEmb := g.uniform("embeddings/word", []int64{int64(cfg.VocabSize), h}, 1)
	posEmb := g.uniform("embeddings/position", []int64{int64(cfg.MaxPositions), h}, 1)
	typeRows := g.draw(cfg.TypeVocabSize*cfg.Hidden, 1)
	x := g.node("embeddings/word_lookup", "Gather", []string{wordEmb, InputIDs})

	shape := g.node("embeddings/input_shape", "Shape", []string{InputIDs})
	seqLen := g.node("embeddings/sequence_length", "Slice", []string{shape, g.ints("const/one", 1), g.ints("const/two", 2), g.ints("const/axis0", 0)})
	positions := g.node("embeddings/positions", "Slice", []string{posEmb, g.ints("const/zero", 0), seqLen, g.ints("const/axis0", 0)})
	x = g.node("embeddings/add_positions", "Add", []string{x, positions})
	if cfg.OmitTokenTypeIDs {
		typeRow := g.floats("embeddings/token_type_0", []int64{h}, typeRows[:cfg.Hidden])
		x = g.node("embeddings/add_token_types", "Add", []string{x, typeRow})
	} else {
		typeEmb := g.floats("embeddings/token_type", []int64{int64(cfg.TypeVocabSize), h}, typeRows)
		types := g.node("embeddings/token_type_lookup", "Gather", []string{typeEmb, TokenTypeIDs})
		x = g.node("embeddings/add_token_types", "Add", []string{x, types})
	}
	x = g.layerNorm("embeddings/layer_norm", x, cfg.Hidden)

	// Additive attention mask, [batch, 1, 1, sequence]: 0 for real tokens,
	// -10000 for padding.
	mask := g.node("mask/float", "Cast", []string{AttentionMask}, attrInt("to", int64(pb.TensorProto_FLOAT)))
	mask = g.node("mask/unsqueeze", "Unsqueeze", []string{mask, g.ints("const/axes12", 1, 2)})
	mask = g.node("mask/inverted", "Sub", []string{g.scalar(1), mask})
	mask = g.node("mask/additive", "Mul", []string{mask, g.scalar(-10000)})

	for l := range cfg.Layers {
		x = g.encoderLayer(fmt.Sprintf("layer%d", l), x, mask, cfg.Hidden, cfg.Heads, headDim, cfg.FFN)
	}
	g.nodeNamed("output", LastHiddenState, "Identity", []string{x})

	outputs := []*pb.ValueInfoProto{valueInfo(LastHiddenState, "batch", "sequence", cfg.Hidden)}
	if !cfg.OmitPooler {
		cls := g.node("pooler/first_token", "Gather", []string{LastHiddenState, g.scalarInt("const/index0", 0)}, attrInt("axis", 1))
		p := g.dense("pooler/dense", cls, cfg.Hidden, cfg.Hidden)
		g.nodeNamed("pooler/tanh", cfg.PooledOutput, "Tanh", []string{p})
		outputs = append(outputs, valueInfo(cfg.PooledOutput, "batch", cfg.Hidden))
	}

	inputs := []*pb.ValueInfoProto{
		valueInfo(InputIDs, "batch", "sequence"),
		valueInfo(AttentionMask, "batch", "sequence"),
	}
	if !cfg.OmitTokenTypeIDs {
		inputs = append(inputs, valueInfo(TokenTypeIDs, "batch", "sequence"))
	}
	return &pb.ModelProto{
		IrVersion:    8,
		OpsetImport:  []*pb.OperatorSetIdProto{{Domain: "", Version: 13}},
		ProducerName: "itemvec onnx/standin",
		DocString: fmt.Sprintf("TEST STAND-IN, NOT A REAL MODEL: BERT architecture with RANDOM weights (seed %d); its vectors are meaningless. "+
			"vocab %d, hidden %d, %d heads, %d layers, FFN %d, %d positions.",
			cfg.Seed, cfg.VocabSize, cfg.Hidden, cfg.Heads, cfg.Layers, cfg.FFN, cfg.MaxPositions),
		Graph: &pb.GraphProto{
			Name:        "bert_test_stand_in",
			Node:        g.nodes,
			Initializer: g.inits,
			Input:       inputs,
			Output:      outputs,
		},
	}
}

// encoderLayer is one post-LayerNorm BERT encoder layer.
func (g *graph) encoderLayer(name, x, mask string, hidden, heads, headDim, ffn int) string {
	splitHeads := g.ints("const/split_heads", 0, 0, int64(heads), int64(headDim))
	q := g.node(name+"/attention/q_heads", "Reshape", []string{g.dense(name+"/attention/q", x, hidden, hidden), splitHeads})
	k := g.node(name+"/attention/k_heads", "Reshape", []string{g.dense(name+"/attention/k", x, hidden, hidden), splitHeads})
	v := g.node(name+"/attention/v_heads", "Reshape", []string{g.dense(name+"/attention/v", x, hidden, hidden), splitHeads})
	q = g.node(name+"/attention/q_t", "Transpose", []string{q}, attrInts("perm", 0, 2, 1, 3)) // [b, heads, s, d]
	k = g.node(name+"/attention/k_t", "Transpose", []string{k}, attrInts("perm", 0, 2, 3, 1)) // [b, heads, d, s]
	v = g.node(name+"/attention/v_t", "Transpose", []string{v}, attrInts("perm", 0, 2, 1, 3)) // [b, heads, s, d]

	scores := g.node(name+"/attention/scores", "MatMul", []string{q, k})
	scores = g.node(name+"/attention/scaled", "Div", []string{scores, g.scalar(float32(math.Sqrt(float64(headDim))))})
	scores = g.node(name+"/attention/masked", "Add", []string{scores, mask})
	probs := g.node(name+"/attention/probs", "Softmax", []string{scores}, attrInt("axis", -1))
	ctx := g.node(name+"/attention/context", "MatMul", []string{probs, v})
	ctx = g.node(name+"/attention/context_t", "Transpose", []string{ctx}, attrInts("perm", 0, 2, 1, 3))
	ctx = g.node(name+"/attention/merge_heads", "Reshape", []string{ctx, g.ints("const/merge_heads", 0, 0, int64(hidden))})
	attn := g.dense(name+"/attention/output", ctx, hidden, hidden)
	x = g.node(name+"/attention/residual", "Add", []string{x, attn})
	x = g.layerNorm(name+"/attention/layer_norm", x, hidden)

	f := g.dense(name+"/ffn/intermediate", x, hidden, ffn)
	f = g.gelu(name+"/ffn/gelu", f)
	f = g.dense(name+"/ffn/output", f, ffn, hidden)
	x = g.node(name+"/ffn/residual", "Add", []string{x, f})
	return g.layerNorm(name+"/ffn/layer_norm", x, hidden)
}

// dense is x·W + b, W [in, out] with uniform weights of variance 1/in.
func (g *graph) dense(name, x string, in, out int) string {
	w := g.uniform(name+"/weight", []int64{int64(in), int64(out)}, math.Sqrt(3/float64(in)))
	b := g.uniform(name+"/bias", []int64{int64(out)}, 0.1)
	return g.node(name+"/add_bias", "Add", []string{g.node(name+"/matmul", "MatMul", []string{x, w}), b})
}

// layerNorm normalises over the last axis: (x-mean)/sqrt(var+eps)·γ + β,
// in the primitives of opset 13.
func (g *graph) layerNorm(name, x string, width int) string {
	gamma := g.offsetUniform(name+"/gamma", []int64{int64(width)}, 1, 0.1)
	beta := g.uniform(name+"/beta", []int64{int64(width)}, 0.1)
	mean := g.node(name+"/mean", "ReduceMean", []string{x}, attrInts("axes", -1))
	d := g.node(name+"/centred", "Sub", []string{x, mean})
	variance := g.node(name+"/variance", "ReduceMean", []string{g.node(name+"/squared", "Mul", []string{d, d})}, attrInts("axes", -1))
	std := g.node(name+"/std", "Sqrt", []string{g.node(name+"/variance_eps", "Add", []string{variance, g.scalar(layerNormEpsilon)})})
	y := g.node(name+"/normalised", "Div", []string{d, std})
	return g.node(name+"/shifted", "Add", []string{g.node(name+"/scaled", "Mul", []string{y, gamma}), beta})
}

// gelu is the exact GELU, x·(1+erf(x/√2))/2.
func (g *graph) gelu(name, x string) string {
	e := g.node(name+"/erf", "Erf", []string{g.node(name+"/div", "Div", []string{x, g.scalar(float32(math.Sqrt2))})})
	e = g.node(name+"/one_plus", "Add", []string{e, g.scalar(1)})
	return g.node(name+"/out", "Mul", []string{g.node(name+"/half", "Mul", []string{x, g.scalar(0.5)}), e})
}
