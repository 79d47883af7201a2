package onnx

import "cmp"

// Model input and output names a [TextSession] looks for when the
// [TextSpec] does not name them: those of a Hugging Face transformer export.
const (
	DefaultIDsInput       = "input_ids"
	DefaultMaskInput      = "attention_mask"
	DefaultTypeIDsInput   = "token_type_ids"
	DefaultSequenceOutput = "last_hidden_state"
)

// pooledOutputNames are the pooled outputs PoolingPooled looks for, in
// order, when the spec names none: BERT's and sentence-transformers'.
var pooledOutputNames = []string{"pooler_output", "sentence_embedding"}

// MaxTextLength bounds TextSpec.MaxLength.
const MaxTextLength = 1 << 16

// TextSpec says how a [TextSession] feeds a transformer text encoder and
// turns its output into one vector per text: the onnx half of a text model
// spec's "text" section (the tokenizer and the item fields it reads are
// package extract's). An example, for the test stand-in:
//
//	"max_length": 128,
//	"pooling": "mean",
//	"normalize": true,
//	"output": "last_hidden_state"
//
// The model's output is pooled as Pooling says and, with Normalize, scaled
// to unit length. The model input and output names are optional: by
// default the inputs are input_ids, attention_mask and, when the model has
// it, token_type_ids, and the output is last_hidden_state (mean, cls) or
// pooler_output / sentence_embedding (pooled).
type TextSpec struct {
	// MaxLength is the most tokens per text, special tokens included:
	// [TextSession.Run] refuses longer sequences, so the tokenizer must
	// truncate to it. It must not exceed the model's position embeddings
	// (512 for BERT).
	MaxLength int `json:"max_length"`
	// Pooling is "mean", "cls" or "pooled"; see [Pooling].
	Pooling Pooling `json:"pooling"`
	// Normalize scales every vector to unit Euclidean length.
	Normalize bool `json:"normalize"`
	// IDsInput, MaskInput and TypeIDsInput name the model's int64 inputs
	// [batch, sequence]. Empty means input_ids, attention_mask and
	// token_type_ids; the last is optional unless named here.
	IDsInput     string `json:"ids_input,omitempty"`
	MaskInput    string `json:"mask_input,omitempty"`
	TypeIDsInput string `json:"type_ids_input,omitempty"`
	// Output names the model output to pool: [batch, sequence, hidden]
	// for mean and cls, [batch, hidden] for pooled. Empty means the
	// default names above, or the only output of the right rank.
	Output string `json:"output,omitempty"`
}

// Validate reports the first thing wrong with t as a [CodeConfig] error.
func (t *TextSpec) Validate() error { return t.validate("onnx.TextSpec.Validate") }

// validate checks what [NewTextSession] needs of t.
func (t *TextSpec) validate(op string) error {
	if t.MaxLength < 1 || t.MaxLength > MaxTextLength {
		return errorf(op, CodeConfig, "text section: max_length %d: must be between 1 and %d", t.MaxLength, MaxTextLength)
	}
	if !t.Pooling.valid() {
		return errorf(op, CodeConfig, "text section: pooling %q: want %q, %q or %q", t.Pooling, PoolingMean, PoolingCLS, PoolingPooled)
	}
	names := []string{t.idsInput(), t.maskInput(), t.typeIDsInput()}
	if names[0] == names[1] || names[0] == names[2] || names[1] == names[2] {
		return errorf(op, CodeConfig, "text section: ids_input, mask_input and type_ids_input must be three different names, got %q", names)
	}
	return nil
}

func (t *TextSpec) idsInput() string     { return cmp.Or(t.IDsInput, DefaultIDsInput) }
func (t *TextSpec) maskInput() string    { return cmp.Or(t.MaskInput, DefaultMaskInput) }
func (t *TextSpec) typeIDsInput() string { return cmp.Or(t.TypeIDsInput, DefaultTypeIDsInput) }
