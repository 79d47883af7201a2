package extract

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/itemvec/itemvec"
)

// Tokenizer kinds of a [TextPrep].
const (
	// TokenizerHF is a Hugging Face tokenizer.json (extract/tokenizer).
	TokenizerHF = "hf"
	// TokenizerUSE is the vocabulary of Universal Sentence Encoder Lite
	// (extract/usetok), which adds no special tokens.
	TokenizerUSE = "use"
)

// TextPrep says how a product's text fields become one text and that text
// becomes tokens for a text model: the extract half of a text model spec's
// "text" section (the model half, how to run and pool, belongs to onnx). An
// example, for the test stand-in:
//
//	"tokenizer": "bert-base-uncased.json",
//	"tokenizer_sha256": "3140af3f…",
//	"fields": ["title", "description"],
//	"separator": ". "
//
// The text of an item is its Fields, in order, joined by Separator after
// Prefix ([TextPrep.Join]).
type TextPrep struct {
	// TokenizerKind says what Tokenizer is: "hf" (the default) for a
	// Hugging Face tokenizer.json, "use" for the vocabulary of Universal
	// Sentence Encoder Lite.
	TokenizerKind string `json:"tokenizer_kind,omitempty"`
	// Tokenizer is the tokenizer file, relative to the models directory or
	// absolute.
	Tokenizer string `json:"tokenizer"`
	// TokenizerSHA256 is the hex sha256 of Tokenizer.
	TokenizerSHA256 string `json:"tokenizer_sha256"`
	// Fields are the item's text fields to embed, in order, e.g.
	// ["title", "description"].
	Fields []string `json:"fields"`
	// Separator joins the non-empty fields; required when there are
	// several.
	Separator string `json:"separator,omitempty"`
	// Prefix is put before every non-empty text, for models trained with
	// one (multilingual-e5 embeds documents as "passage: …").
	Prefix string `json:"prefix,omitempty"`
}

// Validate reports the first thing wrong with p, as an [*itemvec.Error] of
// kind config with Code CodeInvalidSpec.
func (p *TextPrep) Validate() error {
	if p.Tokenizer == "" {
		return invalidText("tokenizer is empty")
	}
	switch p.TokenizerKind {
	case "", TokenizerHF, TokenizerUSE:
	default:
		return invalidText("tokenizer_kind %q: want %q (Hugging Face tokenizer.json) or %q", p.TokenizerKind, TokenizerHF, TokenizerUSE)
	}
	if b, err := hex.DecodeString(p.TokenizerSHA256); err != nil || len(b) != sha256.Size {
		return invalidText("tokenizer_sha256 %q is not 64 hex digits", p.TokenizerSHA256)
	}
	if len(p.Fields) == 0 {
		return invalidText("fields is empty; name the text fields to embed, e.g. [\"title\", \"description\"]")
	}
	for i, f := range p.Fields {
		if strings.TrimSpace(f) == "" {
			return invalidText("field %d is empty", i)
		}
		if slices.Contains(p.Fields[:i], f) {
			return invalidText("field %q is listed twice", f)
		}
	}
	if len(p.Fields) > 1 && p.Separator == "" {
		return invalidText("separator is empty, so the %d fields would run together; set one, e.g. \". \"", len(p.Fields))
	}
	return nil
}

// Join returns the text to tokenize for an item: the values of p.Fields, in
// order, that are not blank, trimmed and joined by p.Separator, after
// p.Prefix. Fields missing from values count as blank; with none left the
// text is "" (no prefix).
func (p *TextPrep) Join(values map[string]string) string {
	parts := make([]string, 0, len(p.Fields))
	for _, f := range p.Fields {
		if v := strings.TrimSpace(values[f]); v != "" {
			parts = append(parts, v)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return p.Prefix + strings.Join(parts, p.Separator)
}

func invalidText(format string, args ...any) *itemvec.Error {
	return newError("extract.TextPrep.Validate", CodeInvalidSpec, "text section: "+fmt.Sprintf(format, args...), nil)
}
