package tokenizer

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Byte-level text, as GPT-2 introduced it and Hugging Face's ByteLevel
// pre-tokenizer and normalizer produce it: every byte of the UTF-8 input
// becomes one printable character, so a byte-level BPE vocabulary covers any
// input without an unknown token. Also here: hand-written matchers for the
// GPT-family split regexes, which use lookahead that Go's regexp lacks.

func init() {
	registerPreTokenizer("ByteLevel", decodeByteLevelPreTokenizer)
	registerNormalizer("ByteLevel", func(json.RawMessage) (Normalizer, error) {
		return byteLevelNormalizer{}, nil
	})
}

// byteLevelChars maps a byte to the character that stands for it: the
// printable Latin-1 bytes stand for themselves and the 68 others, in order,
// for U+0100 onwards (so ' ' is 'Ġ' and '\n' is 'Ċ').
var byteLevelChars = func() (chars [256]string) {
	n := 0
	for b := range 256 {
		if b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE {
			chars[b] = string(rune(b))
			continue
		}
		chars[b] = string(rune(256 + n))
		n++
	}
	return chars
}()

// toByteLevel returns s with every byte replaced by its byte-level character.
func toByteLevel(s string) string {
	var b strings.Builder
	b.Grow(2 * len(s))
	for i := range len(s) {
		b.WriteString(byteLevelChars[s[i]])
	}
	return b.String()
}

// byteLevelNormalizer is the normalizer {"type": "ByteLevel"}: the whole
// text becomes byte-level characters, without splitting or a prefix space.
type byteLevelNormalizer struct{}

func (byteLevelNormalizer) Normalize(s string) string { return toByteLevel(s) }

// byteLevelPreTokenizer is the pre-tokenizer {"type": "ByteLevel"}.
type byteLevelPreTokenizer struct {
	// addPrefixSpace puts a space before every piece that does not start
	// with one, so a text's first word is split like any other.
	addPrefixSpace bool
	// useRegex splits pieces with GPT-2's pattern (see gpt2Matches).
	useRegex bool
}

func decodeByteLevelPreTokenizer(raw json.RawMessage) (PreTokenizer, error) {
	// trim_offsets only moves offsets, which this package does not report.
	cfg := struct {
		AddPrefixSpace *bool `json:"add_prefix_space"`
		UseRegex       *bool `json:"use_regex"`
	}{}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, newError(CodeInvalidConfig, "ByteLevel pre-tokenizer", err)
	}
	p := byteLevelPreTokenizer{addPrefixSpace: true, useRegex: true}
	if cfg.AddPrefixSpace != nil {
		p.addPrefixSpace = *cfg.AddPrefixSpace
	}
	if cfg.UseRegex != nil {
		p.useRegex = *cfg.UseRegex
	}
	return p, nil
}

// PreTokenize prepends the space if configured, splits each piece with
// GPT-2's pattern if configured and maps every piece to byte-level text.
func (p byteLevelPreTokenizer) PreTokenize(pieces []Piece) []Piece {
	out := make([]Piece, 0, len(pieces))
	for _, piece := range pieces {
		text, added := piece.Text, 0
		if p.addPrefixSpace && text != "" && text[0] != ' ' {
			text, added = " "+text, 1
		}
		if !p.useRegex {
			if text != "" {
				out = append(out, Piece{Text: toByteLevel(text), Offset: piece.Offset})
			}
			continue
		}
		for _, span := range gpt2Matches(text) {
			out = append(out, Piece{
				Text:   toByteLevel(text[span[0]:span[1]]),
				Offset: piece.Offset + max(span[0]-added, 0),
			})
		}
	}
	return out
}

// The split patterns that knownSplitPatterns runs by hand.
const (
	// gpt2Pattern is GPT-2's pattern, which ByteLevel uses with use_regex.
	gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	// llama3Pattern is the Split pattern of Llama 3 (tiktoken's cl100k).
	llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// qwen2Pattern is llama3Pattern with single digits (Qwen 2).
	qwen2Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// clipPattern is the Split pattern of OpenAI's CLIP.
	clipPattern = `<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`
)

// knownSplitPatterns maps the regexes of Split pre-tokenizers that Go's
// regexp cannot run as Hugging Face's Oniguruma does (lookahead, and \s is
// ASCII-only in Go but Unicode White_Space in Oniguruma) to hand-written
// matchers with Oniguruma's semantics. A matcher returns the byte spans of
// all leftmost-first, non-overlapping matches in s, in order.
var knownSplitPatterns = map[string]func(s string) [][2]int{
	gpt2Pattern:   gpt2Matches,
	llama3Pattern: func(s string) [][2]int { return tiktokenMatches(s, 3) },
	qwen2Pattern:  func(s string) [][2]int { return tiktokenMatches(s, 1) },
	clipPattern:   clipMatches,
}

// charClass is the class of a character in the split patterns: \p{L},
// \p{N}, Oniguruma's \s (Unicode White_Space) or anything else.
type charClass uint8

const (
	classOther charClass = iota
	classLetter
	classNumber
	classSpace
)

var asciiClasses = func() (c [utf8.RuneSelf]charClass) {
	for r := range rune(utf8.RuneSelf) {
		c[r] = classifyRune(r)
	}
	return c
}()

func classifyRune(r rune) charClass {
	switch {
	case isOnigLetter(r):
		return classLetter
	case isOnigNumber(r):
		return classNumber
	case isOnigSpace(r):
		return classSpace
	}
	return classOther
}

// isOnigLetter is Oniguruma's \p{L} as Hugging Face's tokenizers build it
// (Unicode 16.0; Go's unicode package is at 15.0).
func isOnigLetter(r rune) bool {
	return unicode.IsLetter(r) || r > 0x1c00 && unicode.Is(unicode16Letters, r)
}

// isOnigNumber is Oniguruma's \p{N} (Unicode 16.0).
func isOnigNumber(r rune) bool {
	return unicode.IsNumber(r) || r > 0x10000 && unicode.Is(unicode16Numbers, r)
}

// isOnigSpace is Oniguruma's \s: the White_Space property, which is what
// unicode.IsSpace tests (unchanged in Unicode 16.0).
func isOnigSpace(r rune) bool { return unicode.IsSpace(r) }

// The letters and numbers that Unicode 16.0 added, which Go's unicode
// tables (15.0) do not know yet. TestCharClassesOracle checks the classes
// against Hugging Face for every code point.
var (
	unicode16Letters = &unicode.RangeTable{
		R16: []unicode.Range16{
			{0x1c89, 0x1c8a, 1}, {0xa7cb, 0xa7cd, 1}, {0xa7da, 0xa7dc, 1},
		},
		R32: []unicode.Range32{
			{0x105c0, 0x105f3, 1}, {0x10d4a, 0x10d65, 1}, {0x10d6f, 0x10d85, 1},
			{0x10ec2, 0x10ec4, 1}, {0x11380, 0x11389, 1}, {0x1138b, 0x1138b, 1},
			{0x1138e, 0x1138e, 1}, {0x11390, 0x113b5, 1}, {0x113b7, 0x113b7, 1},
			{0x113d1, 0x113d1, 1}, {0x113d3, 0x113d3, 1}, {0x11bc0, 0x11be0, 1},
			{0x13460, 0x143fa, 1}, {0x16100, 0x1611d, 1}, {0x16d40, 0x16d6c, 1},
			{0x18cff, 0x18cff, 1}, {0x1e5d0, 0x1e5ed, 1}, {0x1e5f0, 0x1e5f0, 1},
			{0x2ebf0, 0x2ee5d, 1},
		},
	}
	unicode16Numbers = &unicode.RangeTable{
		R32: []unicode.Range32{
			{0x10d40, 0x10d49, 1}, {0x116d0, 0x116e3, 1}, {0x11bf0, 0x11bf9, 1},
			{0x16130, 0x16139, 1}, {0x16d70, 0x16d79, 1}, {0x1ccf0, 0x1ccf9, 1},
			{0x1e5f1, 0x1e5fa, 1},
		},
	}
)

// charAt returns the class and byte length of the character at s[i]; an
// invalid byte counts as one "other" character. i must be < len(s).
func charAt(s string, i int) (charClass, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClasses[c], 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && n <= 1 {
		return classOther, 1
	}
	return classifyRune(r), n
}

// classIs reports whether a character of class c starts at s[i]; past the
// end it reports false.
func classIs(s string, i int, c charClass) bool {
	if i >= len(s) {
		return false
	}
	got, _ := charAt(s, i)
	return got == c
}

// runOf returns the end of the run of characters of class c starting at i.
func runOf(s string, i int, c charClass) int {
	for i < len(s) {
		got, n := charAt(s, i)
		if got != c {
			break
		}
		i += n
	}
	return i
}

// spaceRun returns the end of the whitespace run starting at i and the
// start of its last character.
func spaceRun(s string, i int) (end, last int) {
	end, last = i, i
	for end < len(s) {
		c, n := charAt(s, end)
		if c != classSpace {
			break
		}
		last = end
		end += n
	}
	return end, last
}

// contraction returns the length of 's 't 're 've 'm 'll 'd at s[i:], or 0.
// With foldCase the letters match in either case, as under (?i), where
// Oniguruma's Unicode case folding also lets 'ſ' (U+017F) match 's'.
func contraction(s string, i int, foldCase bool) int {
	if s[i] != '\'' {
		return 0
	}
	letter := func(j int, want byte) int {
		if j >= len(s) {
			return 0
		}
		c := s[j]
		if c == want || foldCase && c == want-'a'+'A' {
			return 1
		}
		if foldCase && want == 's' && strings.HasPrefix(s[j:], "ſ") {
			return len("ſ")
		}
		return 0
	}
	for _, suffix := range [...]string{"s", "t", "re", "ve", "m", "ll", "d"} {
		j := i + 1
		for k := range len(suffix) {
			n := letter(j, suffix[k])
			if n == 0 {
				j = -1
				break
			}
			j += n
		}
		if j > 0 {
			return j - i
		}
	}
	return 0
}

// gpt2Matches runs gpt2Pattern over s.
func gpt2Matches(s string) [][2]int {
	var spans [][2]int
	for i := 0; i < len(s); {
		end := gpt2MatchAt(s, i)
		spans = append(spans, [2]int{i, end})
		i = end
	}
	return spans
}

// gpt2MatchAt returns the end of gpt2Pattern's match at i; some alternative
// always matches at least one character.
func gpt2MatchAt(s string, i int) int {
	if n := contraction(s, i, false); n > 0 {
		return i + n
	}
	c, _ := charAt(s, i)
	// ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
	for _, want := range [...]charClass{classLetter, classNumber, classOther} {
		if s[i] == ' ' && classIs(s, i+1, want) {
			return runOf(s, i+1, want)
		}
		if c == want {
			return runOf(s, i, want)
		}
	}
	return whitespaceMatchAt(s, i)
}

// whitespaceMatchAt is `\s+(?!\S)|\s+` at a whitespace character: the
// whole run if it ends the text or is one character long, else the run
// without its last character (which then leads the next word).
func whitespaceMatchAt(s string, i int) int {
	end, last := spaceRun(s, i)
	if end == len(s) || last == i {
		return end
	}
	return last
}

// tiktokenMatches runs llama3Pattern (maxDigits 3) or qwen2Pattern
// (maxDigits 1) over s.
func tiktokenMatches(s string, maxDigits int) [][2]int {
	var spans [][2]int
	for i := 0; i < len(s); {
		end := tiktokenMatchAt(s, i, maxDigits)
		spans = append(spans, [2]int{i, end})
		i = end
	}
	return spans
}

func tiktokenMatchAt(s string, i, maxDigits int) int {
	// (?i:'s|'t|'re|'ve|'m|'ll|'d)
	if n := contraction(s, i, true); n > 0 {
		return i + n
	}
	c, n := charAt(s, i)
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if c == classLetter {
		return runOf(s, i, classLetter)
	}
	if c != classNumber && s[i] != '\r' && s[i] != '\n' && classIs(s, i+n, classLetter) {
		return runOf(s, i+n, classLetter)
	}
	// \p{N}{1,3}
	if c == classNumber {
		end := i
		for range maxDigits {
			if !classIs(s, end, classNumber) {
				break
			}
			_, m := charAt(s, end)
			end += m
		}
		return end
	}
	// ` ?[^\s\p{L}\p{N}]+[\r\n]*`
	start := -1
	if c == classOther {
		start = i
	} else if s[i] == ' ' && classIs(s, i+1, classOther) {
		start = i + 1
	}
	if start >= 0 {
		end := runOf(s, start, classOther)
		for end < len(s) && (s[end] == '\r' || s[end] == '\n') {
			end++
		}
		return end
	}
	// c is whitespace from here on.
	// \s*[\r\n]+ : up to and including the run's last line break.
	end, _ := spaceRun(s, i)
	if k := strings.LastIndexAny(s[i:end], "\r\n"); k >= 0 {
		return i + k + 1
	}
	// \s+(?!\S)|\s+
	return whitespaceMatchAt(s, i)
}

// clipMatches runs clipPattern over s. Whitespace is never part of a match.
func clipMatches(s string) [][2]int {
	var spans [][2]int
	for i := 0; i < len(s); {
		end := clipMatchAt(s, i)
		if end > i {
			spans = append(spans, [2]int{i, end})
			i = end
			continue
		}
		_, n := charAt(s, i)
		i += n
	}
	return spans
}

// clipMatchAt returns the end of clipPattern's match at i, or i if none.
func clipMatchAt(s string, i int) int {
	for _, special := range [...]string{"<|startoftext|>", "<|endoftext|>"} {
		if strings.HasPrefix(s[i:], special) {
			return i + len(special)
		}
	}
	if n := contraction(s, i, false); n > 0 {
		return i + n
	}
	switch c, n := charAt(s, i); c {
	case classLetter, classOther:
		return runOf(s, i, c)
	case classNumber:
		return i + n
	}
	return i
}
