package extract

import (
	"fmt"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/extract/tokenizer"
	"github.com/itemvec/itemvec/extract/usetok"
)

// Tokens is one tokenized text: the model input ids of one text.
type Tokens struct {
	IDs           []int64 // special tokens included, at most the model's max length
	AttentionMask []int64 // nil means all 1
	TypeIDs       []int64 // nil means all 0
	// UnknownShare is the share of IDs the vocabulary does not know, when
	// the tokenizer can tell (USE Lite's can); 0 when it cannot (HF
	// tokenizers).
	UnknownShare float64
	// pieces are the token strings, when tokenizing produced them anyway
	// (Hugging Face encodings carry them); see TextTokenizer.Pieces.
	pieces []string
}

// TextTokenizer turns one text into Tokens. Safe for concurrent use.
type TextTokenizer interface {
	Tokenize(text string) (Tokens, error)
	// Pieces returns the token strings of t, one per id, for debugging
	// output (itemvec embed --tokens). It does not tokenize again.
	Pieces(t Tokens) []string
}

// OpenTokenizer loads the tokenizer prep names from path (the caller
// resolves the models dir and has verified the file's sha256), truncating to
// maxLength tokens, special tokens included. Loading the file is the one
// file read of this package; it is meant for start-up.
//
// A Hugging Face tokenizer.json (prep.TokenizerKind "" or "hf") is loaded
// without padding; its Tokens carry the file's attention mask and type ids
// and an UnknownShare of 0. Universal Sentence Encoder Lite's vocabulary
// ("use") adds no special tokens; its Tokens have no mask or type ids, and
// their UnknownShare is that of the ids kept ([usetok.Tokenizer.UnknownRatio]).
//
// A maxLength below 1 or an unknown prep.TokenizerKind is a CodeInvalidSpec
// error of kind config. A file that cannot be loaded gives the tokenizer
// package's error (kind config, its Code kept) with a message that names
// the file. Tokenize errors are those of the tokenizer package: text that
// is not valid UTF-8 is of kind bad input.
func OpenTokenizer(prep TextPrep, path string, maxLength int) (TextTokenizer, error) {
	const op = "extract.OpenTokenizer"
	if maxLength < 1 {
		return nil, newError(op, CodeInvalidSpec, fmt.Sprintf("text max length %d: want at least 1 token", maxLength), nil)
	}
	switch prep.TokenizerKind {
	case "", TokenizerHF:
		t, err := tokenizer.Load(path,
			tokenizer.WithTruncation(tokenizer.Truncation{MaxLength: maxLength}),
			tokenizer.WithoutPadding())
		if err != nil {
			return nil, itemvec.Wrap(op, fmt.Errorf("tokenizer file %s: %w", path, err))
		}
		return hfTokenizer{t: t}, nil
	case TokenizerUSE:
		t, err := usetok.Load(path)
		if err != nil {
			return nil, itemvec.Wrap(op, fmt.Errorf("tokenizer file %s: %w", path, err))
		}
		return useTokenizer{t: t, max: maxLength}, nil
	}
	return nil, newError(op, CodeInvalidSpec, fmt.Sprintf("tokenizer_kind %q: want %q (Hugging Face tokenizer.json) or %q",
		prep.TokenizerKind, TokenizerHF, TokenizerUSE), nil)
}

// hfTokenizer is a Hugging Face tokenizer, loaded with truncation and
// without padding.
type hfTokenizer struct{ t *tokenizer.Tokenizer }

// Tokenize implements TextTokenizer.
func (h hfTokenizer) Tokenize(text string) (Tokens, error) {
	enc, err := h.t.Encode(text)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{IDs: enc.IDs, AttentionMask: enc.AttentionMask, TypeIDs: enc.TypeIDs, pieces: enc.Tokens}, nil
}

// Pieces implements TextTokenizer: the tokens of the truncated encoding,
// special tokens included, as the encoding named them.
func (h hfTokenizer) Pieces(t Tokens) []string { return t.pieces }

// useTokenizer is Universal Sentence Encoder Lite's tokenizer: no special
// tokens, truncated to max ids.
type useTokenizer struct {
	t   *usetok.Tokenizer
	max int
}

// Tokenize implements TextTokenizer.
func (u useTokenizer) Tokenize(text string) (Tokens, error) {
	ids, err := u.t.Encode(text)
	if err != nil {
		return Tokens{}, err
	}
	if len(ids) > u.max {
		ids = ids[:u.max]
	}
	return Tokens{IDs: ids, UnknownShare: u.t.UnknownRatio(ids)}, nil
}

// Pieces implements TextTokenizer: the vocabulary's piece of each id kept.
func (u useTokenizer) Pieces(t Tokens) []string {
	out := make([]string, len(t.IDs))
	for i, id := range t.IDs {
		out[i] = u.t.Piece(id)
	}
	return out
}
