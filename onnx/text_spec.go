package onnx

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Model input and output names a [TextSession] looks for when the
// [TextSpec] does not name them: those of a Hugging Face transformer export.
const (
	DefaultIDsInput       = "input_ids"
	DefaultMaskInput      = "attention_mask"
	DefaultTypeIDsInput   = "token_type_ids"
	DefaultSequenceOutput = "last_hidden_state"
)

// Tokenizer kinds of a [TextSpec].
const (
	TokenizerHF  = "hf"
	TokenizerUSE = "use"
)

// pooledOutputNames are the pooled outputs PoolingPooled looks for, in
// order, when the spec names none: BERT's and sentence-transformers'.
var pooledOutputNames = []string{"pooler_output", "sentence_embedding"}

// MaxTextLength bounds TextSpec.MaxLength.
const MaxTextLength = 1 << 16

// TextSpec is the text section of a [ModelSpec] (JSON "text"): how to turn
// a product's text fields into token ids for a transformer encoder, and how
// to turn the encoder's output into one vector. An example, for the test
// stand-in (specs/bert-standin-text.json):
//
//	"text": {
//	  "tokenizer": "bert-base-uncased.json",
//	  "tokenizer_sha256": "3140af3f…",
//	  "max_length": 128,
//	  "pooling": "mean",
//	  "normalize": true,
//	  "fields": ["title", "description"],
//	  "separator": ". "
//	}
//
// The text of an item is its Fields, in order, joined by Separator
// ([TextSpec.JoinFields]); the tokenizer turns it into at most MaxLength
// ids (special tokens included, longer texts truncated), and the model's
// output is pooled as Pooling says and, with Normalize, scaled to unit
// length. The model input and output names are optional: by default the
// inputs are input_ids, attention_mask and, when the model has it,
// token_type_ids, and the output is last_hidden_state (mean, cls) or
// pooler_output / sentence_embedding (pooled).
type TextSpec struct {
	// TokenizerKind says what Tokenizer is: "hf" (the default) for a
	// Hugging Face tokenizer.json, "use" for the vocabulary of Universal
	// Sentence Encoder Lite (extract/usetok), which adds no special tokens.
	TokenizerKind string `json:"tokenizer_kind,omitempty"`
	// Tokenizer is the tokenizer file (a Hugging Face tokenizer.json, or
	// the vocabulary TokenizerKind names), relative to the models
	// directory or absolute.
	Tokenizer string `json:"tokenizer"`
	// TokenizerSHA256 is the hex sha256 of Tokenizer.
	TokenizerSHA256 string `json:"tokenizer_sha256"`
	// MaxLength is the most tokens per text, special tokens included:
	// the tokenizer truncates to it and [TextSession.Run] refuses longer
	// sequences. It must not exceed the model's position embeddings
	// (512 for BERT).
	MaxLength int `json:"max_length"`
	// Pooling is "mean", "cls" or "pooled"; see [Pooling].
	Pooling Pooling `json:"pooling"`
	// Normalize scales every vector to unit Euclidean length.
	Normalize bool `json:"normalize"`
	// Fields are the item's text fields to embed, in order, e.g.
	// ["title", "description"].
	Fields []string `json:"fields"`
	// Separator joins the non-empty fields; required when there are
	// several.
	Separator string `json:"separator,omitempty"`
	// Prefix is put before every non-empty text, for models trained with
	// one (multilingual-e5 embeds documents as "passage: …").
	Prefix string `json:"prefix,omitempty"`
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

// Validate reports the first thing wrong with t as a [KindConfig] error.
func (t *TextSpec) Validate() error {
	const op = "onnx.TextSpec.Validate"
	if t.Tokenizer == "" {
		return errorf(op, KindConfig, "text section: tokenizer is empty")
	}
	switch t.TokenizerKind {
	case "", TokenizerHF, TokenizerUSE:
	default:
		return errorf(op, KindConfig, "text section: tokenizer_kind %q: want %q (Hugging Face tokenizer.json) or %q", t.TokenizerKind, TokenizerHF, TokenizerUSE)
	}
	if !isSHA256Hex(t.TokenizerSHA256) {
		return errorf(op, KindConfig, "text section: tokenizer_sha256 %q is not 64 hex digits", t.TokenizerSHA256)
	}
	if err := t.checkModelUse(op); err != nil {
		return err
	}
	if len(t.Fields) == 0 {
		return errorf(op, KindConfig, "text section: fields is empty; name the text fields to embed, e.g. [\"title\", \"description\"]")
	}
	for i, f := range t.Fields {
		if strings.TrimSpace(f) == "" {
			return errorf(op, KindConfig, "text section: field %d is empty", i)
		}
		if slices.Contains(t.Fields[:i], f) {
			return errorf(op, KindConfig, "text section: field %q is listed twice", f)
		}
	}
	if len(t.Fields) > 1 && t.Separator == "" {
		return errorf(op, KindConfig, "text section: separator is empty, so the %d fields would run together; set one, e.g. \". \"", len(t.Fields))
	}
	return nil
}

// checkModelUse checks what [NewTextSession] needs of t.
func (t *TextSpec) checkModelUse(op string) error {
	if t.MaxLength < 1 || t.MaxLength > MaxTextLength {
		return errorf(op, KindConfig, "text section: max_length %d: must be between 1 and %d", t.MaxLength, MaxTextLength)
	}
	if !t.Pooling.valid() {
		return errorf(op, KindConfig, "text section: pooling %q: want %q, %q or %q", t.Pooling, PoolingMean, PoolingCLS, PoolingPooled)
	}
	names := []string{t.idsInput(), t.maskInput(), t.typeIDsInput()}
	if names[0] == names[1] || names[0] == names[2] || names[1] == names[2] {
		return errorf(op, KindConfig, "text section: ids_input, mask_input and type_ids_input must be three different names, got %q", names)
	}
	return nil
}

func (t *TextSpec) idsInput() string     { return cmp.Or(t.IDsInput, DefaultIDsInput) }
func (t *TextSpec) maskInput() string    { return cmp.Or(t.MaskInput, DefaultMaskInput) }
func (t *TextSpec) typeIDsInput() string { return cmp.Or(t.TypeIDsInput, DefaultTypeIDsInput) }

// JoinFields returns the text to tokenize for an item: the values of
// t.Fields, in order, that are not blank, trimmed and joined by
// t.Separator, after t.Prefix. Fields missing from values count as blank;
// with none left the text is "" (no prefix).
func (t *TextSpec) JoinFields(values map[string]string) string {
	parts := make([]string, 0, len(t.Fields))
	for _, f := range t.Fields {
		if v := strings.TrimSpace(values[f]); v != "" {
			parts = append(parts, v)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return t.Prefix + strings.Join(parts, t.Separator)
}

// validateText is the part of Validate specific to text models.
func (s *ModelSpec) validateText() error {
	const op = "onnx.ModelSpec.Validate"
	if s.Image != nil {
		return errorf(op, KindConfig, "model spec %s: an image section is not supported in a text model", s.ID)
	}
	if s.Input != "" || s.Output != "" {
		return errorf(op, KindConfig, "model spec %s: a text model names its inputs and output in its text section (ids_input, mask_input, type_ids_input, output), not in input/output", s.ID)
	}
	if s.Text == nil {
		return errorf(op, KindConfig, "model spec %s: a text model needs a text section", s.ID)
	}
	if err := s.Text.Validate(); err != nil {
		return errorf(op, KindConfig, "model spec %s: %w", s.ID, err)
	}
	return nil
}

// TokenizerPath is where the tokenizer file of a text model is: the text
// section's Tokenizer itself when it is absolute, else inside modelsDir. It
// is "" for a spec without a text section.
func (s *ModelSpec) TokenizerPath(modelsDir string) string {
	if s.Text == nil {
		return ""
	}
	if filepath.IsAbs(s.Text.Tokenizer) {
		return s.Text.Tokenizer
	}
	return filepath.Join(modelsDir, s.Text.Tokenizer)
}

// VerifyTokenizer checks that the tokenizer file of a text model exists and
// has the sha256 the spec names. Every failure is a [KindConfig] error.
func (s *ModelSpec) VerifyTokenizer(modelsDir string) error {
	const op = "onnx.ModelSpec.VerifyTokenizer"
	if s.Text == nil {
		return errorf(op, KindConfig, "model spec %s: not a text model (no text section)", s.ID)
	}
	path := s.TokenizerPath(modelsDir)
	got, err := fileSHA256(path)
	if err != nil {
		return errorf(op, KindConfig, "model %s: tokenizer: %w; run make setup to install it", s.ID, err)
	}
	if !strings.EqualFold(got, s.Text.TokenizerSHA256) {
		return errorf(op, KindConfig, "model %s: tokenizer %s has sha256 %s but the spec wants %s; the file is stale or corrupt: run make setup",
			s.ID, path, got, s.Text.TokenizerSHA256)
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// TextModelIO is what [ModelSpec.CheckTextModel] needs to know about a
// loaded text model. [*TextSession] implements it.
type TextModelIO interface {
	OutputName() string
	OutputDim() int
}

// CheckTextModel fails with a [KindConfig] error unless the loaded text
// model m matches the spec: its output (where the text section names one)
// and the number of values per text. [NewTextSession] has already checked
// the inputs and the pooling against the text section.
func (s *ModelSpec) CheckTextModel(m TextModelIO) error {
	const op = "onnx.ModelSpec.CheckTextModel"
	if s.Text == nil {
		return errorf(op, KindConfig, "model spec %s: not a text model (no text section)", s.ID)
	}
	if s.Text.Output != "" && m.OutputName() != s.Text.Output {
		return errorf(op, KindConfig, "model %s: pools output %q, the spec says %q", s.ID, m.OutputName(), s.Text.Output)
	}
	if m.OutputDim() != s.OutputDim {
		return errorf(op, KindConfig, "model %s: outputs %d values per text, the spec says %d", s.ID, m.OutputDim(), s.OutputDim)
	}
	return nil
}
