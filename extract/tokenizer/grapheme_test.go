package tokenizer

import (
	"slices"
	"testing"
)

// graphemes splits s into extended grapheme clusters.
func graphemes(s string) []string {
	var out []string
	for s != "" {
		n := graphemeLen(s)
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

func TestGraphemeLen(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"ASCII", "ab", []string{"a", "b"}},
		{"CR LF (GB3)", "\r\n\n\r", []string{"\r\n", "\n", "\r"}},
		{"controls break (GB4, GB5)", "\x01\u0301a\u200b", []string{"\x01", "\u0301", "a", "\u200b"}},
		{"Hangul jamo and syllables (GB6–GB8)", "\u1100\u1161\u11a8가\u11a8각", []string{"\u1100\u1161\u11a8", "가\u11a8", "각"}},
		{"combining marks and ZWJ (GB9)", "e\u0301\u0308\u200dx", []string{"e\u0301\u0308\u200d", "x"}},
		{"spacing marks (GB9a)", "ka\u0903", []string{"k", "a\u0903"}},
		{"prepend (GB9b)", "\u0600a", []string{"\u0600a"}},
		{"Indic conjuncts (GB9c)", "\u0915\u094d\u0924\u093fa", []string{"\u0915\u094d\u0924\u093f", "a"}},
		{"a conjunct needs a linker", "\u0915\u093c\u0924", []string{"\u0915\u093c", "\u0924"}},
		{"emoji ZWJ sequences (GB11)", "👩\u200d💻👍🏽", []string{"👩\u200d💻", "👍🏽"}},
		{"ZWJ after a letter does not join emoji", "a\u200d💻", []string{"a\u200d", "💻"}},
		{"regional indicator pairs (GB12, GB13)", "🇨🇳🇺🇸🇯", []string{"🇨🇳", "🇺🇸", "🇯"}},
		{"invalid UTF-8 stands alone", "a\xff\u0301\xe4\xb8", []string{"a", "\xff", "\u0301", "\xe4", "\xb8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := graphemes(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("graphemes(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
		})
	}
}
