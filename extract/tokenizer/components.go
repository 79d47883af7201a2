package tokenizer

import (
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
