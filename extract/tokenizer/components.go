package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
)

// Normalizer rewrites a piece of input text before it is split, e.g. NFC,
// lowercasing or BERT's cleaning. It never fails: every valid UTF-8 string
// has a normal form.
type Normalizer interface {
	Normalize(s string) string
}

// Piece is a span of (normalized) text on its way to the model.
type Piece struct {
	// Text is the piece's text after normalization and earlier splits.
	Text string
	// Offset is the byte offset in the original input where the piece's
	// source starts; Metaspace's prepend_scheme "first" uses it.
	Offset int
}

// PreTokenizer splits pieces into smaller pieces that the model tokenizes
// independently (words, punctuation, byte-level words, …).
type PreTokenizer interface {
	PreTokenize(pieces []Piece) []Piece
}

// Token is one model token.
type Token struct {
	ID    int
	Value string
}

// Model turns one pre-tokenized piece into tokens (WordPiece, BPE, Unigram).
type Model interface {
	Tokenize(piece string) ([]Token, error)
	TokenToID(token string) (int, bool)
	IDToToken(id int) (string, bool)
	VocabSize() int
}

// Decoders of tokenizer.json components by their "type". Each component file
// registers its own types in an init function.
type (
	normalizerDecoder   func(raw json.RawMessage) (Normalizer, error)
	preTokenizerDecoder func(raw json.RawMessage) (PreTokenizer, error)
	modelDecoder        func(raw json.RawMessage) (Model, error)
)

var registry = struct {
	sync.Mutex
	normalizers   map[string]normalizerDecoder
	preTokenizers map[string]preTokenizerDecoder
	models        map[string]modelDecoder
}{
	normalizers:   map[string]normalizerDecoder{},
	preTokenizers: map[string]preTokenizerDecoder{},
	models:        map[string]modelDecoder{},
}

func registerNormalizer(typ string, d normalizerDecoder) {
	registry.Lock()
	defer registry.Unlock()
	mustBeNew(typ, registry.normalizers[typ] != nil)
	registry.normalizers[typ] = d
}

func registerPreTokenizer(typ string, d preTokenizerDecoder) {
	registry.Lock()
	defer registry.Unlock()
	mustBeNew(typ, registry.preTokenizers[typ] != nil)
	registry.preTokenizers[typ] = d
}

func registerModel(typ string, d modelDecoder) {
	registry.Lock()
	defer registry.Unlock()
	mustBeNew(typ, registry.models[typ] != nil)
	registry.models[typ] = d
}

func mustBeNew(typ string, exists bool) {
	if exists {
		panic(fmt.Sprintf("tokenizer: component type %q registered twice", typ))
	}
}

// postProcessor adds a tokenizer's special tokens around the encoded
// sequences ("post_processor" in tokenizer.json: TemplateProcessing,
// BertProcessing, …).
type postProcessor interface {
	// addedTokens is how many tokens process adds to one sequence
	// (pair false) or to a pair; truncation leaves room for them.
	addedTokens(pair bool) int
	// process returns the encodings that seqs (one or two) become. The
	// tokenizer concatenates what it returns.
	process(seqs []*Encoding) []*Encoding
}

type postProcessorDecoder func(raw json.RawMessage) (postProcessor, error)

var postProcessors = struct {
	sync.Mutex
	m map[string]postProcessorDecoder
}{m: map[string]postProcessorDecoder{}}

func registerPostProcessor(typ string, d postProcessorDecoder) {
	postProcessors.Lock()
	defer postProcessors.Unlock()
	mustBeNew(typ, postProcessors.m[typ] != nil)
	postProcessors.m[typ] = d
}

// componentHeader reads the "type" of a component object. A JSON null (or
// nothing) is no component: null is true.
func componentHeader(raw json.RawMessage) (typ string, null bool, err error) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return "", true, nil
	}
	var h struct {
		Type *string `json:"type"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return "", false, err
	}
	if h.Type == nil {
		return "", false, nil
	}
	return *h.Type, false, nil
}

// decodeComponent finds the decoder for raw's "type" with lookup and runs
// it. kind names the component in errors ("normalizer"). A null component
// decodes to the zero T.
func decodeComponent[T any](kind string, raw json.RawMessage, lookup func(typ string) func(json.RawMessage) (T, error)) (T, error) {
	var zero T
	typ, null, err := componentHeader(raw)
	switch {
	case err != nil:
		return zero, newError(CodeInvalidConfig, kind+" is not a JSON object", err)
	case null:
		return zero, nil
	case typ == "":
		return zero, newError(CodeInvalidConfig, kind+` has no "type"`, nil)
	}
	decode := lookup(typ)
	if decode == nil {
		return zero, newError(CodeUnsupported, fmt.Sprintf("unsupported %s type %q", kind, typ), nil)
	}
	c, err := decode(raw)
	if err != nil {
		return zero, asConfigError(fmt.Sprintf("%s %s", typ, kind), err)
	}
	return c, nil
}

// asConfigError wraps err as a CodeInvalidConfig error, keeping an error of
// this package (an unsupported nested component, say) as it is.
func asConfigError(what string, err error) error {
	if _, _, ok := ownError(err); ok {
		return err
	}
	return newError(CodeInvalidConfig, "bad "+what, err)
}

// decodeNormalizer decodes a "normalizer" object (nil for null).
func decodeNormalizer(raw json.RawMessage) (Normalizer, error) {
	return decodeComponent("normalizer", raw, func(typ string) func(json.RawMessage) (Normalizer, error) {
		registry.Lock()
		defer registry.Unlock()
		return registry.normalizers[typ]
	})
}

// decodePreTokenizer decodes a "pre_tokenizer" object (nil for null).
func decodePreTokenizer(raw json.RawMessage) (PreTokenizer, error) {
	return decodeComponent("pre-tokenizer", raw, func(typ string) func(json.RawMessage) (PreTokenizer, error) {
		registry.Lock()
		defer registry.Unlock()
		return registry.preTokenizers[typ]
	})
}

// decodePostProcessor decodes a "post_processor" object (nil for null).
func decodePostProcessor(raw json.RawMessage) (postProcessor, error) {
	return decodeComponent("post-processor", raw, func(typ string) func(json.RawMessage) (postProcessor, error) {
		postProcessors.Lock()
		defer postProcessors.Unlock()
		return postProcessors.m[typ]
	})
}

// decodeModel decodes the "model" object. Files written by old versions of
// Hugging Face's tokenizers have no "type" there; like HF, the type is then
// inferred from the fields: merges means BPE, a list vocab Unigram,
// WordPiece's own fields WordPiece, anything else WordLevel.
func decodeModel(raw json.RawMessage) (Model, error) {
	typ, null, err := componentHeader(raw)
	switch {
	case err != nil:
		return nil, newError(CodeInvalidConfig, "model is not a JSON object", err)
	case null:
		return nil, newError(CodeInvalidConfig, "tokenizer.json has no model", nil)
	case typ == "":
		typ, err = inferModelType(raw)
		if err != nil {
			return nil, err
		}
		if raw, err = withType(raw, typ); err != nil {
			return nil, newError(CodeInvalidConfig, "bad model", err)
		}
	}
	return decodeComponent("model", raw, func(typ string) func(json.RawMessage) (Model, error) {
		registry.Lock()
		defer registry.Unlock()
		return registry.models[typ]
	})
}

func inferModelType(raw json.RawMessage) (string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return "", newError(CodeInvalidConfig, "model is not a JSON object", err)
	}
	vocab := bytes.TrimSpace(fields["vocab"])
	_, hasMerges := fields["merges"]
	_, hasPrefix := fields["continuing_subword_prefix"]
	_, hasMaxChars := fields["max_input_chars_per_word"]
	switch {
	case len(vocab) == 0:
		return "", newError(CodeInvalidConfig, `model has neither "type" nor "vocab"`, nil)
	case hasMerges:
		return "BPE", nil
	case vocab[0] == '[':
		return "Unigram", nil
	case hasPrefix || hasMaxChars:
		return "WordPiece", nil
	}
	return "WordLevel", nil
}

// withType returns the object raw with "type": typ added.
func withType(raw json.RawMessage, typ string) (json.RawMessage, error) {
	t, err := json.Marshal(typ)
	if err != nil {
		return nil, err
	}
	body := bytes.TrimSpace(raw)
	rest := bytes.TrimSpace(body[1:])
	out := append([]byte(`{"type":`), t...)
	if len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, rest...), nil
}
