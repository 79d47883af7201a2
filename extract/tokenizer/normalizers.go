package tokenizer

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

func init() {
	registerNormalizer("BertNormalizer", decodeBertNormalizer)
	registerNormalizer("Lowercase", func(json.RawMessage) (Normalizer, error) { return normalizerFunc(lowercase), nil })
	registerNormalizer("StripAccents", func(json.RawMessage) (Normalizer, error) {
		return normalizerFunc(func(s string) string { return dropRunes(s, combiningMark) }), nil
	})
	registerNormalizer("NFD", func(json.RawMessage) (Normalizer, error) { return normalizerFunc(nfd), nil })
	registerNormalizer("NFKD", func(json.RawMessage) (Normalizer, error) { return normalizerFunc(nfkd), nil })
	registerNormalizer("NFC", func(json.RawMessage) (Normalizer, error) { return normalizerFunc(nfc), nil })
	registerNormalizer("NFKC", func(json.RawMessage) (Normalizer, error) { return normalizerFunc(nfkc), nil })
	registerNormalizer("Strip", decodeStrip)
	registerNormalizer("Replace", decodeReplace)
	registerNormalizer("Prepend", decodePrepend)
	registerNormalizer("Sequence", decodeNormalizerSequence)
}

// normalizerFunc adapts a plain function to Normalizer.
type normalizerFunc func(string) string

func (f normalizerFunc) Normalize(s string) string { return f(s) }

// bertNormalizer is {"type": "BertNormalizer"}.
type bertNormalizer struct {
	cleanText, handleChinese, stripAccents, lowercase bool
}

func decodeBertNormalizer(raw json.RawMessage) (Normalizer, error) {
	cfg := struct {
		CleanText          *bool `json:"clean_text"`
		HandleChineseChars *bool `json:"handle_chinese_chars"`
		StripAccents       *bool `json:"strip_accents"`
		Lowercase          *bool `json:"lowercase"`
	}{}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, err
	}
	orTrue := func(b *bool) bool { return b == nil || *b }
	n := &bertNormalizer{
		cleanText:     orTrue(cfg.CleanText),
		handleChinese: orTrue(cfg.HandleChineseChars),
		lowercase:     orTrue(cfg.Lowercase),
	}
	// strip_accents null means: strip them when lowercasing.
	n.stripAccents = n.lowercase
	if cfg.StripAccents != nil {
		n.stripAccents = *cfg.StripAccents
	}
	return n, nil
}

// Normalize cleans, spaces out CJK ideographs, strips accents and
// lowercases, in that order, as HF's BertNormalizer does.
func (n *bertNormalizer) Normalize(s string) string {
	if out, ok := n.normalizeASCII(s); ok {
		return out
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		if n.cleanText {
			if unicode.Is(bertControl, r) {
				continue
			}
			if unicode.Is(bertSpace, r) {
				r = ' '
			}
		}
		if n.handleChinese && r >= 0x3400 && unicode.Is(bertChinese, r) {
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
			continue
		}
		b.WriteRune(r)
	}
	out := b.String()
	if n.stripAccents {
		out = dropRunes(nfd(out), bertMark)
	}
	if n.lowercase {
		out = lowercase(out)
	}
	return out
}

// normalizeASCII is Normalize for pure ASCII text, in one pass. ok is false
// if s has non-ASCII bytes.
func (n *bertNormalizer) normalizeASCII(s string) (string, bool) {
	changed := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			return "", false
		case n.cleanText && (c < ' ' || c == 0x7f) && c != ' ':
			changed = true
		case n.lowercase && 'A' <= c && c <= 'Z':
			changed = true
		}
	}
	if !changed {
		return s, true
	}
	buf := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if n.cleanText {
			if asciiFlags[c]&classBertControl != 0 {
				continue
			}
			if asciiFlags[c]&classBertSpace != 0 {
				c = ' '
			}
		}
		if n.lowercase && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return string(buf), true
}

// dropRunes removes the non-ASCII characters in table (the marks of
// strip_accents and StripAccents; neither decomposes on its own).
func dropRunes(s string, table *unicode.RangeTable) string {
	i := 0
	for i < len(s) {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.Is(table, r) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		if r >= utf8.RuneSelf && unicode.Is(table, r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// strip is {"type": "Strip"}: it trims whitespace from either end.
type strip struct{ left, right bool }

func decodeStrip(raw json.RawMessage) (Normalizer, error) {
	cfg := struct {
		Left  *bool `json:"strip_left"`
		Right *bool `json:"strip_right"`
	}{}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, err
	}
	return strip{left: cfg.Left == nil || *cfg.Left, right: cfg.Right == nil || *cfg.Right}, nil
}

func (n strip) Normalize(s string) string {
	if n.left {
		s = strings.TrimLeftFunc(s, isWhitespace)
	}
	if n.right {
		s = strings.TrimRightFunc(s, isWhitespace)
	}
	return s
}

// prepend is {"type": "Prepend"}: it puts a string before non-empty text.
type prepend struct{ prefix string }

func decodePrepend(raw json.RawMessage) (Normalizer, error) {
	cfg := struct {
		Prepend string `json:"prepend"`
	}{}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, err
	}
	return prepend{cfg.Prepend}, nil
}

func (n prepend) Normalize(s string) string {
	if s == "" {
		return s
	}
	return n.prefix + s
}

// replace is {"type": "Replace"}: every match of the pattern (a literal
// string or an Oniguruma regex) becomes the content, taken literally.
type replace struct {
	find    splitPattern
	content string
}

func decodeReplace(raw json.RawMessage) (Normalizer, error) {
	cfg := struct {
		Pattern patternJSON `json:"pattern"`
		Content string      `json:"content"`
	}{}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, err
	}
	p, err := cfg.Pattern.compile()
	if err != nil {
		return nil, err
	}
	return replace{find: p, content: cfg.Content}, nil
}

func (n replace) Normalize(s string) string {
	spans := n.find.matches(s)
	if len(spans) == 0 {
		return s
	}
	var b strings.Builder
	prev := 0
	for _, sp := range spans {
		b.WriteString(s[prev:sp[0]])
		b.WriteString(n.content)
		prev = sp[1]
	}
	b.WriteString(s[prev:])
	return b.String()
}

// normalizerSequence is {"type": "Sequence"}: the normalizers in order.
type normalizerSequence []Normalizer

func decodeNormalizerSequence(raw json.RawMessage) (Normalizer, error) {
	cfg := struct {
		Normalizers []json.RawMessage `json:"normalizers"`
	}{}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, err
	}
	seq := make(normalizerSequence, 0, len(cfg.Normalizers))
	for _, r := range cfg.Normalizers {
		n, err := decodeNormalizer(r)
		if err != nil {
			return nil, err
		}
		if n != nil {
			seq = append(seq, n)
		}
	}
	return seq, nil
}

func (seq normalizerSequence) Normalize(s string) string {
	for _, n := range seq {
		s = n.Normalize(s)
	}
	return s
}
