package modelspec

import (
	"path/filepath"
	"strings"

	"github.com/itemvec/itemvec/extract"
	"github.com/itemvec/itemvec/onnx"
)

// Text is the "text" section of a text model spec. It is one JSON object
// whose fields belong to two packages: how to turn an item's text fields
// into tokens (extract.TextPrep: tokenizer, fields, separator, prefix) and
// how to run the model and pool its output (onnx.TextSpec: max_length,
// pooling, normalize, input and output names). An example, for the test
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
// max_length serves both: the tokenizer truncates to it (special tokens
// included) and the session refuses longer sequences.
type Text struct {
	extract.TextPrep
	onnx.TextSpec
}

// Validate reports the first thing wrong with t.
func (t *Text) Validate() error {
	if err := t.TextPrep.Validate(); err != nil {
		return err
	}
	return t.TextSpec.Validate()
}

// validateText is the part of Validate specific to text models.
func (s *Spec) validateText() error {
	const op = "modelspec.Spec.Validate"
	if s.Image != nil {
		return errorf(op, "model spec %s: an image section is not supported in a text model", s.ID)
	}
	if s.Input != "" || s.Output != "" {
		return errorf(op, "model spec %s: a text model names its inputs and output in its text section (ids_input, mask_input, type_ids_input, output), not in input/output", s.ID)
	}
	if s.Text == nil {
		return errorf(op, "model spec %s: a text model needs a text section", s.ID)
	}
	if err := s.Text.Validate(); err != nil {
		return errorf(op, "model spec %s: %w", s.ID, err)
	}
	return nil
}

// TokenizerPath is where the tokenizer file of a text model is: the text
// section's Tokenizer itself when it is absolute, else inside modelsDir. It
// is "" for a spec without a text section.
func (s *Spec) TokenizerPath(modelsDir string) string {
	if s.Text == nil {
		return ""
	}
	if filepath.IsAbs(s.Text.Tokenizer) {
		return s.Text.Tokenizer
	}
	return filepath.Join(modelsDir, s.Text.Tokenizer)
}

// VerifyTokenizer checks that the tokenizer file of a text model exists and
// has the sha256 the spec names. Every failure is an itemvec.KindConfig
// error.
func (s *Spec) VerifyTokenizer(modelsDir string) error {
	const op = "modelspec.Spec.VerifyTokenizer"
	if s.Text == nil {
		return errorf(op, "model spec %s: not a text model (no text section)", s.ID)
	}
	path := s.TokenizerPath(modelsDir)
	got, err := fileSHA256(path)
	if err != nil {
		return errorf(op, "model %s: tokenizer: %w; run make setup to install it", s.ID, err)
	}
	if !strings.EqualFold(got, s.Text.TokenizerSHA256) {
		return errorf(op, "model %s: tokenizer %s has sha256 %s but the spec wants %s; the file is stale or corrupt: run make setup",
			s.ID, path, got, s.Text.TokenizerSHA256)
	}
	return nil
}

// TextModelIO is what [Spec.CheckTextModel] needs to know about a loaded
// text model. *onnx.TextSession implements it.
type TextModelIO interface {
	OutputName() string
	OutputDim() int
}

// CheckTextModel fails with an itemvec.KindConfig error unless the loaded
// text model m matches the spec: its output (where the text section names
// one) and the number of values per text. onnx.NewTextSession has already
// checked the inputs and the pooling against the text section.
func (s *Spec) CheckTextModel(m TextModelIO) error {
	const op = "modelspec.Spec.CheckTextModel"
	if s.Text == nil {
		return errorf(op, "model spec %s: not a text model (no text section)", s.ID)
	}
	if s.Text.Output != "" && m.OutputName() != s.Text.Output {
		return errorf(op, "model %s: pools output %q, the spec says %q", s.ID, m.OutputName(), s.Text.Output)
	}
	if m.OutputDim() != s.OutputDim {
		return errorf(op, "model %s: outputs %d values per text, the spec says %d", s.ID, m.OutputDim(), s.OutputDim)
	}
	return nil
}
