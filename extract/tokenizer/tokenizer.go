package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"unicode/utf8"
)

// Tokenizer turns text into token ids exactly as Hugging Face's tokenizers
// does with the same tokenizer.json. It is immutable and safe for
// concurrent use; With returns a copy with other truncation or padding.
type Tokenizer struct {
	added        *addedVocab
	normalizer   Normalizer
	preTokenizer PreTokenizer
	model        Model
	post         postProcessor
	truncation   *Truncation
	padding      *Padding
}

// tokenizerJSON is the part of tokenizer.json that encoding depends on
// ("decoder" only matters for decoding).
type tokenizerJSON struct {
	Truncation    json.RawMessage `json:"truncation"`
	Padding       json.RawMessage `json:"padding"`
	AddedTokens   []addedToken    `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Model         json.RawMessage `json:"model"`
}

// Load reads a Hugging Face tokenizer.json file. Options override the
// truncation and padding it configures.
func Load(path string, opts ...Option) (_ *Tokenizer, err error) {
	defer withOp(&err, "tokenizer.Load")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, newError(CodeRead, "cannot read tokenizer file", err)
	}
	return FromJSON(data, opts...)
}

// FromJSON parses the contents of a Hugging Face tokenizer.json. Options
// override the truncation and padding it configures.
func FromJSON(data []byte, opts ...Option) (_ *Tokenizer, err error) {
	defer withOp(&err, "tokenizer.FromJSON")
	var j tokenizerJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, newError(CodeInvalidConfig, "tokenizer.json is not valid JSON of the expected shape", err)
	}
	t := &Tokenizer{}
	if t.model, err = decodeModel(j.Model); err != nil {
		return nil, err
	}
	if t.normalizer, err = decodeNormalizer(j.Normalizer); err != nil {
		return nil, err
	}
	if t.preTokenizer, err = decodePreTokenizer(j.PreTokenizer); err != nil {
		return nil, err
	}
	if t.post, err = decodePostProcessor(j.PostProcessor); err != nil {
		return nil, err
	}
	if t.added, err = newAddedVocab(j.AddedTokens, t.model, t.normalizer); err != nil {
		return nil, asConfigError("added_tokens", err)
	}
	if t.truncation, err = parseTruncation(j.Truncation); err != nil {
		return nil, asConfigError("truncation", err)
	}
	if t.padding, err = parsePadding(j.Padding); err != nil {
		return nil, asConfigError("padding", err)
	}
	return t.With(opts...)
}

// With returns a copy of t with the options applied.
func (t *Tokenizer) With(opts ...Option) (_ *Tokenizer, err error) {
	defer withOp(&err, "tokenizer.Tokenizer.With")
	c := *t
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if err := c.checkSettings(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Truncation returns the truncation in effect; ok is false if none.
func (t *Tokenizer) Truncation() (tr Truncation, ok bool) {
	if t.truncation == nil {
		return Truncation{}, false
	}
	return *t.truncation, true
}

// Padding returns the padding in effect; ok is false if none.
func (t *Tokenizer) Padding() (p Padding, ok bool) {
	if t.padding == nil {
		return Padding{}, false
	}
	return *t.padding, true
}

// TokenToID returns the id of a token, added tokens included.
func (t *Tokenizer) TokenToID(token string) (int, bool) {
	if id, ok := t.added.byContent[token]; ok {
		return id, true
	}
	return t.model.TokenToID(token)
}

// Encode tokenizes text with the tokenizer's special tokens, truncation
// and padding. Text that is not valid UTF-8 gets a CodeInvalidUTF8 error.
func (t *Tokenizer) Encode(text string) (_ *Encoding, err error) {
	defer withOp(&err, "tokenizer.Tokenizer.Encode")
	enc, err := t.encodeSequence(text, 0)
	if err != nil {
		return nil, err
	}
	return t.postProcess(enc, nil)
}

// EncodePair tokenizes a pair of texts (a question and a passage, a title
// and a description) as one input, the way the post-processor joins them.
func (t *Tokenizer) EncodePair(a, b string) (_ *Encoding, err error) {
	defer withOp(&err, "tokenizer.Tokenizer.EncodePair")
	if err := checkUTF8(b); err != nil {
		return nil, err
	}
	ea, err := t.encodeSequence(a, 0)
	if err != nil {
		return nil, err
	}
	eb, err := t.encodeSequence(b, 1)
	if err != nil {
		return nil, err
	}
	return t.postProcess(ea, eb)
}

// EncodeBatch encodes texts one after the other and, with padding to the
// longest (Padding.Length 0), pads them all to the longest of the batch.
// It stops at the first text that fails and says which one it was.
func (t *Tokenizer) EncodeBatch(texts []string) (_ []*Encoding, err error) {
	defer withOp(&err, "tokenizer.Tokenizer.EncodeBatch")
	out := make([]*Encoding, len(texts))
	longest := 0
	for i, text := range texts {
		enc, err := t.Encode(text)
		if err != nil {
			e, c, _ := ownError(asModelError(err))
			return nil, newError(e.Code, fmt.Sprintf("text %d of %d: %s", i, len(texts), c.Msg), c.Err)
		}
		out[i] = enc
		longest = max(longest, enc.Len())
	}
	if t.padding != nil {
		n := padLength(longest, t.padding)
		for _, enc := range out {
			enc.pad(n, t.padding)
		}
	}
	return out, nil
}

// addedTokens is how many special tokens the post-processor adds.
func (t *Tokenizer) addedTokens(pair bool) int {
	if t.post == nil {
		return 0
	}
	return t.post.addedTokens(pair)
}

// postProcess truncates, adds the special tokens and pads, in Hugging
// Face's order.
func (t *Tokenizer) postProcess(a, b *Encoding) (*Encoding, error) {
	if tr := t.truncation; tr != nil {
		added := t.addedTokens(b != nil)
		if tr.MaxLength < added {
			return nil, newError(CodeTruncation, fmt.Sprintf("truncation max length %d leaves no room for the %d special tokens of a pair", tr.MaxLength, added), nil)
		}
		if err := truncatePair(a, b, tr.MaxLength-added, tr); err != nil {
			return nil, err
		}
	}
	seqs := []*Encoding{a}
	if b != nil {
		seqs = append(seqs, b)
	}
	if t.post != nil {
		seqs = t.post.process(seqs)
	}
	enc := seqs[0]
	if len(seqs) > 1 {
		enc = &Encoding{}
		for _, s := range seqs {
			enc.concat(s)
		}
	}
	if t.padding != nil {
		enc.pad(padLength(enc.Len(), t.padding), t.padding)
	}
	return enc, nil
}

// segment is a piece of a sequence on its way to tokens: an added token
// (added >= 0, its id) or a pre-tokenized piece for the model (added < 0).
type segment struct {
	text  string
	added int
}

// encodeSequence runs one text through added-token extraction,
// normalization, pre-tokenization and the model; every token gets typeID.
//
// With truncation on, Hugging Face stops running the model once the
// sequence has MaxLength tokens (counting from the end when truncating on
// the left). Truncation cuts the rest anyway, but the shortened lengths
// decide how LongestFirst shares a pair's room, and a piece the model never
// sees cannot fail, so this package stops at the same place.
func (t *Tokenizer) encodeSequence(text string, typeID int64) (*Encoding, error) {
	if err := checkUTF8(text); err != nil {
		return nil, err
	}
	splits := t.splitText(text)
	limit, fromEnd := 0, false
	if tr := t.truncation; tr != nil {
		limit, fromEnd = tr.MaxLength, tr.Side == Left
	}
	enc := &Encoding{}
	enc.grow(len(splits) + len(splits)/4 + 4)
	if !fromEnd {
		for _, sp := range splits {
			if sp.added >= 0 {
				enc.push(int64(sp.added), sp.text, typeID)
				continue
			}
			tokens, err := t.model.Tokenize(sp.text)
			if err != nil {
				return nil, asModelError(err)
			}
			for _, tok := range tokens {
				enc.push(int64(tok.ID), tok.Value, typeID)
			}
			if limit > 0 && enc.Len() >= limit {
				break
			}
		}
		return enc, nil
	}
	// Left truncation: tokenize from the last piece backwards.
	groups := make([][]Token, 0, len(splits))
	n := 0
	for i := len(splits) - 1; i >= 0; i-- {
		sp := splits[i]
		if sp.added >= 0 {
			groups = append(groups, []Token{{ID: sp.added, Value: sp.text}})
			n++
			continue
		}
		tokens, err := t.model.Tokenize(sp.text)
		if err != nil {
			return nil, asModelError(err)
		}
		groups = append(groups, tokens)
		if n += len(tokens); limit > 0 && n >= limit {
			break
		}
	}
	for i := len(groups) - 1; i >= 0; i-- {
		for _, tok := range groups[i] {
			enc.push(int64(tok.ID), tok.Value, typeID)
		}
	}
	return enc, nil
}

// splitText cuts the raw added tokens out of text, normalizes the rest,
// cuts the normalized added tokens out of that and pre-tokenizes what is
// left, returning the pieces in order. Empty pieces are dropped.
func (t *Tokenizer) splitText(text string) []segment {
	splits := make([]segment, 0, len(text)/4+2)
	prev := 0
	for _, m := range t.added.raw.find(nil, text) {
		if prev < m.start {
			splits = t.splitRaw(splits, text[prev:m.start], prev)
		}
		splits = append(splits, segment{text: text[m.start:m.end], added: m.id})
		prev = m.end
	}
	if prev < len(text) {
		splits = t.splitRaw(splits, text[prev:], prev)
	}
	return splits
}

// splitRaw normalizes a stretch of text between raw added tokens and cuts
// the normalized added tokens out of it.
func (t *Tokenizer) splitRaw(dst []segment, seg string, offset int) []segment {
	if t.normalizer != nil {
		seg = t.normalizer.Normalize(seg)
	}
	if t.added.normed.empty() {
		return t.splitNormalized(dst, seg, offset)
	}
	prev := 0
	for _, m := range t.added.normed.find(nil, seg) {
		if prev < m.start {
			dst = t.splitNormalized(dst, seg[prev:m.start], offset+prev)
		}
		dst = append(dst, segment{text: seg[m.start:m.end], added: m.id})
		prev = m.end
	}
	if prev < len(seg) {
		dst = t.splitNormalized(dst, seg[prev:], offset+prev)
	}
	return dst
}

// splitNormalized pre-tokenizes a normalized stretch of text.
func (t *Tokenizer) splitNormalized(dst []segment, seg string, offset int) []segment {
	if seg == "" {
		return dst
	}
	if t.preTokenizer == nil {
		return append(dst, segment{text: seg, added: -1})
	}
	for _, p := range t.preTokenizer.PreTokenize([]Piece{{Text: seg, Offset: offset}}) {
		if p.Text != "" {
			dst = append(dst, segment{text: p.Text, added: -1})
		}
	}
	return dst
}

// asModelError returns the error of this package in err's chain, or err
// wrapped as a CodeModel error when there is none.
func asModelError(err error) error {
	if e, _, ok := ownError(err); ok {
		return e
	}
	return newError(CodeModel, "the model refused the text", err)
}

// checkUTF8 refuses text that is not valid UTF-8.
func checkUTF8(text string) error {
	if utf8.ValidString(text) {
		return nil
	}
	return newError(CodeInvalidUTF8, fmt.Sprintf("text is not valid UTF-8 (first bad byte at offset %d)", firstInvalid(text)), nil)
}

func firstInvalid(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return i
			}
		}
	}
	return len(s)
}
