package tokenizer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

func init() {
	registerPreTokenizer("BertPreTokenizer", func(json.RawMessage) (PreTokenizer, error) { return bertPreTokenizer{}, nil })
	registerPreTokenizer("Whitespace", func(json.RawMessage) (PreTokenizer, error) { return whitespacePreTokenizer{}, nil })
	registerPreTokenizer("WhitespaceSplit", func(json.RawMessage) (PreTokenizer, error) {
		return charSplit{isDelimiter: isWhitespace, behavior: removed}, nil
	})
	registerPreTokenizer("Punctuation", decodePunctuation)
	registerPreTokenizer("Digits", decodeDigits)
	registerPreTokenizer("CharDelimiterSplit", decodeCharDelimiterSplit)
	registerPreTokenizer("Split", decodeSplit)
	registerPreTokenizer("Sequence", decodePreTokenizerSequence)
}

// splitBehavior is what a split does with the delimiters it finds.
type splitBehavior int

const (
	removed splitBehavior = iota
	isolated
	mergedWithPrevious
	mergedWithNext
	contiguous
)

func (b *splitBehavior) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	switch strings.ToLower(s) {
	case "removed":
		*b = removed
	case "isolated":
		*b = isolated
	case "merged_with_previous", "mergedwithprevious":
		*b = mergedWithPrevious
	case "merged_with_next", "mergedwithnext":
		*b = mergedWithNext
	case "contiguous":
		*b = contiguous
	default:
		return fmt.Errorf("unknown split behavior %q", s)
	}
	return nil
}

// span is s[start:end] of a piece being split; match says whether it is a
// delimiter.
type span struct {
	start, end int
	match      bool
}

// emit appends to dst the pieces that spans (covering p.Text, in order)
// make under behavior, as Hugging Face's NormalizedString::split does;
// empty pieces are dropped.
func emit(dst []Piece, p Piece, spans []span, behavior splitBehavior) []Piece {
	switch behavior {
	case mergedWithPrevious:
		out := spans[:0:0]
		prevMatch := false
		for _, s := range spans {
			if s.match && !prevMatch && len(out) > 0 {
				out[len(out)-1].end = s.end
			} else {
				out = append(out, span{s.start, s.end, false})
			}
			prevMatch = s.match
		}
		spans = out
	case mergedWithNext:
		out := make([]span, 0, len(spans))
		prevMatch := false
		for i := len(spans) - 1; i >= 0; i-- {
			s := spans[i]
			if s.match && !prevMatch && len(out) > 0 {
				out[len(out)-1].start = s.start
			} else {
				out = append(out, span{s.start, s.end, false})
			}
			prevMatch = s.match
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		spans = out
	case contiguous:
		out := spans[:0:0]
		prevMatch := false
		for _, s := range spans {
			if s.match == prevMatch && len(out) > 0 {
				out[len(out)-1].end = s.end
			} else {
				out = append(out, span{s.start, s.end, false})
			}
			prevMatch = s.match
		}
		spans = out
	}
	for _, s := range spans {
		if s.start == s.end || behavior == removed && s.match {
			continue
		}
		dst = append(dst, Piece{Text: p.Text[s.start:s.end], Offset: p.Offset + s.start})
	}
	return dst
}

// charSpans splits s at every character isDelimiter accepts: each such
// character is a match of its own, runs of others are the gaps.
func charSpans(dst []span, s string, isDelimiter func(rune) bool) []span {
	last := 0
	for i, r := range s {
		if isDelimiter(r) {
			if last < i {
				dst = append(dst, span{last, i, false})
			}
			n := utf8.RuneLen(r)
			if r == utf8.RuneError {
				n = 1
			}
			dst = append(dst, span{i, i + n, true})
			last = i + n
		}
	}
	if last < len(s) {
		dst = append(dst, span{last, len(s), false})
	}
	return dst
}

// matchSpans turns the match positions of a pattern into spans covering s.
func matchSpans(dst []span, s string, matches [][2]int, invert bool) []span {
	prev := 0
	for _, m := range matches {
		if prev != m[0] {
			dst = append(dst, span{prev, m[0], invert})
		}
		dst = append(dst, span{m[0], m[1], !invert})
		prev = m[1]
	}
	if prev != len(s) {
		dst = append(dst, span{prev, len(s), invert})
	}
	return dst
}

// bertPreTokenizer is {"type": "BertPreTokenizer"}: words split at
// whitespace (dropped) and at punctuation (kept as pieces of their own).
type bertPreTokenizer struct{}

func (bertPreTokenizer) PreTokenize(pieces []Piece) []Piece {
	n := 0
	for _, p := range pieces {
		n += len(p.Text)/5 + 1
	}
	out := make([]Piece, 0, n)
	for _, p := range pieces {
		s := p.Text
		start := -1
		for i := 0; i < len(s); {
			c := s[i]
			var r rune
			n := 1
			var space, punct bool
			if c < utf8.RuneSelf {
				f := asciiFlags[c]
				space, punct = f&classWhitespace != 0, f&classPunctuation != 0
			} else {
				r, n = utf8.DecodeRuneInString(s[i:])
				space, punct = isWhitespace(r), isPunctuation(r)
			}
			if space || punct {
				if start >= 0 {
					out = append(out, Piece{Text: s[start:i], Offset: p.Offset + start})
					start = -1
				}
				if punct {
					out = append(out, Piece{Text: s[i : i+n], Offset: p.Offset + i})
				}
			} else if start < 0 {
				start = i
			}
			i += n
		}
		if start >= 0 {
			out = append(out, Piece{Text: s[start:], Offset: p.Offset + start})
		}
	}
	return out
}

// whitespacePreTokenizer is {"type": "Whitespace"}: the matches of
// \w+|[^\w\s]+, that is runs of word characters and runs of other
// non-space characters.
type whitespacePreTokenizer struct{}

func (whitespacePreTokenizer) PreTokenize(pieces []Piece) []Piece {
	out := make([]Piece, 0, len(pieces)*4)
	const (
		none = iota
		wordRun
		otherRun
	)
	for _, p := range pieces {
		s := p.Text
		start, kind := 0, none
		for i, r := range s {
			k := otherRun
			switch {
			case isWordChar(r):
				k = wordRun
			case isWhitespace(r):
				k = none
			}
			if k == kind {
				continue
			}
			if kind != none {
				out = append(out, Piece{Text: s[start:i], Offset: p.Offset + start})
			}
			start, kind = i, k
		}
		if kind != none {
			out = append(out, Piece{Text: s[start:], Offset: p.Offset + start})
		}
	}
	return out
}

// charSplit splits at every character isDelimiter accepts
// (WhitespaceSplit, Punctuation, Digits, CharDelimiterSplit).
type charSplit struct {
	isDelimiter func(rune) bool
	behavior    splitBehavior
}

func (c charSplit) PreTokenize(pieces []Piece) []Piece {
	out := make([]Piece, 0, len(pieces)*2)
	var spans []span
	for _, p := range pieces {
		spans = charSpans(spans[:0], p.Text, c.isDelimiter)
		out = emit(out, p, spans, c.behavior)
	}
	return out
}

func decodePunctuation(raw json.RawMessage) (PreTokenizer, error) {
	cfg := struct {
		Behavior *splitBehavior `json:"behavior"`
	}{}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, err
	}
	b := isolated
	if cfg.Behavior != nil {
		b = *cfg.Behavior
	}
	return charSplit{isDelimiter: isPunctuation, behavior: b}, nil
}

func decodeDigits(raw json.RawMessage) (PreTokenizer, error) {
	cfg := struct {
		IndividualDigits bool `json:"individual_digits"`
	}{}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, err
	}
	if cfg.IndividualDigits {
		return charSplit{isDelimiter: isNumeric, behavior: isolated}, nil
	}
	return charSplit{isDelimiter: isNumeric, behavior: contiguous}, nil
}

func decodeCharDelimiterSplit(raw json.RawMessage) (PreTokenizer, error) {
	cfg := struct {
		Delimiter string `json:"delimiter"`
	}{}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, err
	}
	d, n := utf8.DecodeRuneInString(cfg.Delimiter)
	if n == 0 || n != len(cfg.Delimiter) {
		return nil, fmt.Errorf("delimiter %q is not one character", cfg.Delimiter)
	}
	return charSplit{isDelimiter: func(r rune) bool { return r == d }, behavior: removed}, nil
}

// splitPattern finds the matches of a Split or Replace pattern.
type splitPattern interface {
	// matches returns the [start, end) byte spans of the non-overlapping
	// matches in s, in order.
	matches(s string) [][2]int
}

// patternJSON is a pattern in tokenizer.json: {"String": …} or {"Regex": …}.
type patternJSON struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

func (p patternJSON) compile() (splitPattern, error) {
	switch {
	case p.String != nil:
		return literalPattern(*p.String), nil
	case p.Regex != nil:
		if m, ok := knownSplitPatterns[*p.Regex]; ok {
			return knownPattern(m), nil
		}
		re, err := compileOniguruma(*p.Regex)
		if err != nil {
			return nil, err
		}
		return regexPattern{re}, nil
	}
	return nil, fmt.Errorf(`pattern has neither "String" nor "Regex"`)
}

// literalPattern matches a string literally.
type literalPattern string

func (l literalPattern) matches(s string) [][2]int {
	if l == "" {
		return nil
	}
	var out [][2]int
	for i := 0; i <= len(s)-len(l); {
		j := strings.Index(s[i:], string(l))
		if j < 0 {
			break
		}
		out = append(out, [2]int{i + j, i + j + len(l)})
		i += j + len(l)
	}
	return out
}

// regexPattern is an Oniguruma regex that Go's regexp runs exactly.
type regexPattern struct{ re *regexp.Regexp }

func (r regexPattern) matches(s string) [][2]int {
	found := r.re.FindAllStringIndex(s, -1)
	out := make([][2]int, len(found))
	for i, m := range found {
		out[i] = [2]int{m[0], m[1]}
	}
	return out
}

// knownPattern is a hand-written matcher from knownSplitPatterns.
type knownPattern func(s string) [][2]int

func (k knownPattern) matches(s string) [][2]int { return k(s) }

// split is {"type": "Split"}.
type split struct {
	pattern  splitPattern
	behavior splitBehavior
	invert   bool
}

func decodeSplit(raw json.RawMessage) (PreTokenizer, error) {
	cfg := struct {
		Pattern  patternJSON   `json:"pattern"`
		Behavior splitBehavior `json:"behavior"`
		Invert   bool          `json:"invert"`
	}{}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, err
	}
	p, err := cfg.Pattern.compile()
	if err != nil {
		return nil, err
	}
	return split{pattern: p, behavior: cfg.Behavior, invert: cfg.Invert}, nil
}

func (sp split) PreTokenize(pieces []Piece) []Piece {
	out := make([]Piece, 0, len(pieces)*4)
	var spans []span
	for _, p := range pieces {
		spans = matchSpans(spans[:0], p.Text, sp.pattern.matches(p.Text), sp.invert)
		out = emit(out, p, spans, sp.behavior)
	}
	return out
}

// preTokenizerSequence is {"type": "Sequence"}: the pre-tokenizers in order.
type preTokenizerSequence []PreTokenizer

func decodePreTokenizerSequence(raw json.RawMessage) (PreTokenizer, error) {
	cfg := struct {
		PreTokenizers []json.RawMessage `json:"pretokenizers"`
	}{}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, err
	}
	seq := make(preTokenizerSequence, 0, len(cfg.PreTokenizers))
	for _, r := range cfg.PreTokenizers {
		p, err := decodePreTokenizer(r)
		if err != nil {
			return nil, err
		}
		if p != nil {
			seq = append(seq, p)
		}
	}
	return seq, nil
}

func (seq preTokenizerSequence) PreTokenize(pieces []Piece) []Piece {
	for _, p := range seq {
		pieces = p.PreTokenize(pieces)
	}
	return pieces
}
