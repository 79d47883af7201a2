package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

func init() {
	registerModel("WordPiece", decodeWordPiece)
	registerModel("WordLevel", decodeWordLevel)
}

// errMissingUnk is what HF's WordPiece and WordLevel say when a word needs
// the unk_token and the vocabulary does not have it.
var errMissingUnk = errors.New("the unk_token is missing from the vocabulary")

// vocab maps tokens to ids and back.
type vocab struct {
	ids    map[string]int
	tokens []string // by id; "" where no token has the id
}

func newVocab(m map[string]int) (vocab, error) {
	v := vocab{ids: m}
	highest := -1
	for tok, id := range m {
		if id < 0 {
			return v, fmt.Errorf("token %q has negative id %d", tok, id)
		}
		highest = max(highest, id)
	}
	if highest >= 1<<26 {
		return v, fmt.Errorf("token id %d is implausibly large", highest)
	}
	v.tokens = make([]string, highest+1)
	for tok, id := range m {
		v.tokens[id] = tok
	}
	return v, nil
}

func (v vocab) TokenToID(token string) (int, bool) {
	id, ok := v.ids[token]
	return id, ok
}

func (v vocab) IDToToken(id int) (string, bool) {
	if id < 0 || id >= len(v.tokens) {
		return "", false
	}
	tok := v.tokens[id]
	got, ok := v.ids[tok]
	return tok, ok && got == id
}

func (v vocab) VocabSize() int { return len(v.ids) }

// wordPiece is {"type": "WordPiece"}: greedy longest-match-first subwords,
// continuations marked with a prefix ("##").
type wordPiece struct {
	vocab
	unk          string
	prefix       string
	maxWordChars int
	// cont maps a continuation's text without the prefix to its id, so a
	// lookup needs no string concatenation.
	cont map[string]int
	// maxLen and maxContLen bound the bytes of a match, so the search does
	// not try ends that no token can reach.
	maxLen, maxContLen int
}

func decodeWordPiece(raw json.RawMessage) (Model, error) {
	cfg := struct {
		Vocab                   map[string]int `json:"vocab"`
		UnkToken                *string        `json:"unk_token"`
		ContinuingSubwordPrefix *string        `json:"continuing_subword_prefix"`
		MaxInputCharsPerWord    *int           `json:"max_input_chars_per_word"`
	}{}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, err
	}
	v, err := newVocab(cfg.Vocab)
	if err != nil {
		return nil, err
	}
	m := &wordPiece{vocab: v, unk: "[UNK]", prefix: "##", maxWordChars: 100, cont: map[string]int{}}
	if cfg.UnkToken != nil {
		m.unk = *cfg.UnkToken
	}
	if cfg.ContinuingSubwordPrefix != nil {
		m.prefix = *cfg.ContinuingSubwordPrefix
	}
	if cfg.MaxInputCharsPerWord != nil {
		m.maxWordChars = *cfg.MaxInputCharsPerWord
	}
	for tok, id := range cfg.Vocab {
		m.maxLen = max(m.maxLen, len(tok))
		if rest, ok := strings.CutPrefix(tok, m.prefix); ok {
			m.cont[rest] = id
			m.maxContLen = max(m.maxContLen, len(rest))
		}
	}
	return m, nil
}

// Tokenize splits a word into the longest vocabulary entries from the
// left, as HF's WordPiece does: a word longer than max_input_chars_per_word
// or with a part no entry covers becomes the unk_token.
func (m *wordPiece) Tokenize(word string) ([]Token, error) {
	return m.appendTokens(nil, word)
}

func (m *wordPiece) appendTokens(dst []Token, word string) ([]Token, error) {
	if utf8.RuneCountInString(word) > m.maxWordChars {
		return m.appendUnk(dst)
	}
	n := len(dst)
	for start := 0; start < len(word); {
		table, limit := m.ids, m.maxLen
		if start > 0 {
			table, limit = m.cont, m.maxContLen
		}
		end := min(len(word), start+limit)
		for end > start && !utf8.RuneStart(wordByte(word, end)) {
			end--
		}
		found := false
		for end > start {
			if id, ok := table[word[start:end]]; ok {
				tok := word[start:end]
				if start > 0 {
					tok = m.tokens[id]
				}
				dst = append(dst, Token{ID: id, Value: tok})
				found = true
				break
			}
			_, size := utf8.DecodeLastRuneInString(word[start:end])
			end -= size
		}
		if !found {
			return m.appendUnk(dst[:n])
		}
		start = end
	}
	return dst, nil
}

// wordByte is word[i], or a rune start at the end of the word.
func wordByte(word string, i int) byte {
	if i >= len(word) {
		return 0
	}
	return word[i]
}

func (m *wordPiece) appendUnk(dst []Token) ([]Token, error) {
	id, ok := m.ids[m.unk]
	if !ok {
		return nil, newError(CodeModel, fmt.Sprintf("WordPiece: unk_token %q needed", m.unk), errMissingUnk)
	}
	return append(dst, Token{ID: id, Value: m.unk}), nil
}

// wordLevel is {"type": "WordLevel"}: each piece is one vocabulary entry,
// or the unk_token.
type wordLevel struct {
	vocab
	unk string
}

func decodeWordLevel(raw json.RawMessage) (Model, error) {
	cfg := struct {
		Vocab    map[string]int `json:"vocab"`
		UnkToken *string        `json:"unk_token"`
	}{}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, err
	}
	v, err := newVocab(cfg.Vocab)
	if err != nil {
		return nil, err
	}
	m := &wordLevel{vocab: v, unk: "<unk>"}
	if cfg.UnkToken != nil {
		m.unk = *cfg.UnkToken
	}
	return m, nil
}

func (m *wordLevel) Tokenize(piece string) ([]Token, error) {
	if id, ok := m.ids[piece]; ok {
		return []Token{{ID: id, Value: piece}}, nil
	}
	id, ok := m.ids[m.unk]
	if !ok {
		return nil, newError(CodeModel, fmt.Sprintf("WordLevel: unk_token %q needed", m.unk), errMissingUnk)
	}
	return []Token{{ID: id, Value: m.unk}}, nil
}
