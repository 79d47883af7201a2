package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Character classes as Hugging Face's tokenizers draw them. The tables in
// unicode_tables.go were measured on HF itself (testdata/tokenizers/unicode.cjs),
// because its Rust crates use other Unicode versions than Go's unicode package.

// asciiClass flags for the ASCII fast path.
const (
	classBertControl = 1 << iota
	classBertSpace
	classWhitespace
	classPunctuation
	classWord
	classNumeric
)

var asciiFlags = func() (f [utf8.RuneSelf]uint8) {
	for r := range rune(utf8.RuneSelf) {
		for _, c := range []struct {
			flag  uint8
			table *unicode.RangeTable
		}{
			{classBertControl, bertControl},
			{classBertSpace, bertSpace},
			{classWhitespace, whitespace},
			{classPunctuation, punctuation},
			{classWord, word},
			{classNumeric, numeric},
		} {
			if unicode.Is(c.table, r) {
				f[r] |= c.flag
			}
		}
	}
	return f
}()

func hasClass(r rune, flag uint8, table *unicode.RangeTable) bool {
	if r < utf8.RuneSelf {
		return asciiFlags[r]&flag != 0
	}
	return unicode.Is(table, r)
}

// isWhitespace is Rust's char::is_whitespace.
func isWhitespace(r rune) bool { return hasClass(r, classWhitespace, whitespace) }

// isPunctuation is BERT's punctuation test (ASCII punctuation or a P* class).
func isPunctuation(r rune) bool { return hasClass(r, classPunctuation, punctuation) }

// isWordChar is \w in the Whitespace pre-tokenizer.
func isWordChar(r rune) bool { return hasClass(r, classWord, word) }

// isNumeric is Rust's char::is_numeric.
func isNumeric(r rune) bool { return hasClass(r, classNumeric, numeric) }

// lowerSpecial returns Rust's char::to_lowercase of r when it is not the
// single rune unicode.ToLower gives; ok is false otherwise.
func lowerSpecial(r rune) (string, bool) {
	if r == 'İ' {
		// The only character whose lowercase is two characters.
		return "i\u0307", true
	}
	if r < lowerNewer[0].lo || r > lowerNewer[len(lowerNewer)-1].hi {
		return "", false
	}
	for _, m := range lowerNewer {
		if m.lo <= r && r <= m.hi {
			return string(r + m.delta), true
		}
	}
	return "", false
}

// lowerNewer holds the lowercase mappings that Rust's standard library
// (Unicode 17) has and Go's unicode package (15.0) lacks, as ranges whose
// runes map to rune+delta. unicode_test.go checks every code point against
// Hugging Face.
var lowerNewer = []struct{ lo, hi, delta rune }{
	{0x1c89, 0x1c89, 1},
	{0xa7cb, 0xa7cb, 0x0264 - 0xa7cb},
	{0xa7cc, 0xa7cc, 1},
	{0xa7ce, 0xa7ce, 1},
	{0xa7d2, 0xa7d2, 1},
	{0xa7d4, 0xa7d4, 1},
	{0xa7da, 0xa7da, 1},
	{0xa7dc, 0xa7dc, 0x019b - 0xa7dc},
	{0x10d50, 0x10d65, 0x20},
	{0x16ea0, 0x16eb8, 0x1b},
}

// lowercase is Hugging Face's Lowercase normalizer: each character mapped by
// Rust's char::to_lowercase, with no context rules (Σ stays σ at a word's
// end).
func lowercase(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			break
		}
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		appendLower(&b, r)
	}
	return b.String()
}

func appendLower(b *strings.Builder, r rune) {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteByte(byte(r))
		return
	}
	if l, ok := lowerSpecial(r); ok {
		b.WriteString(l)
		return
	}
	b.WriteRune(unicode.ToLower(r))
}

// Unicode normal forms, with Go's tables (Unicode 15.0) restricted to what
// Hugging Face's normalization crate knows (an older Unicode): characters
// it does not know (hfNormUnknown) it leaves alone and treats as starters,
// so the text on either side of one is normalized on its own.
// unicode_test.go checks every code point against Hugging Face.
func nfd(s string) string  { return normalizeKnown(norm.NFD, s) }
func nfkd(s string) string { return normalizeKnown(norm.NFKD, s) }
func nfc(s string) string  { return normalizeKnown(norm.NFC, s) }
func nfkc(s string) string { return normalizeKnown(norm.NFKC, s) }

func normalizeKnown(f norm.Form, s string) string {
	i := indexNormUnknown(s)
	if i < 0 {
		return f.String(s)
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i >= 0 {
		b.WriteString(f.String(s[:i]))
		_, n := utf8.DecodeRuneInString(s[i:])
		b.WriteString(s[i : i+n])
		s = s[i+n:]
		i = indexNormUnknown(s)
	}
	b.WriteString(f.String(s))
	return b.String()
}

// indexNormUnknown is the byte index of the first character in s that HF's
// normalization tables do not know, or -1.
func indexNormUnknown(s string) int {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r >= hfNormUnknownMin && unicode.Is(hfNormUnknown, r) {
			return i
		}
		i += n
	}
	return -1
}
