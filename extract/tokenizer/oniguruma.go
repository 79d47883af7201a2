package tokenizer

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Hugging Face runs the regexes of Split and Replace with Oniguruma (Ruby
// syntax). Go's regexp is RE2: no lookaround or backreferences, and \s, \w,
// \d, \b are ASCII-only. compileOniguruma rewrites what has an exact RE2
// equivalent and refuses the rest with a CodeUnsupported error, so a
// pattern either runs as in HF or does not load. (The common lookahead
// patterns of GPT-2 and Llama 3 never get here: knownSplitPatterns in
// bytelevel.go has hand-written matchers for them.)

// Oniguruma's Unicode classes as RE2 class bodies.
var (
	onigSpaceBody = `\t\n\v\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}`
	// \w is Alphabetic, marks, decimal digits, connector punctuation and
	// the joiners.
	onigWordBody = `\p{L}\p{M}\p{Nd}\p{Pc}\p{Nl}\x{200C}\x{200D}` + rangesBody(unicode.Other_Alphabetic)
)

func rangesBody(t *unicode.RangeTable) string {
	var b strings.Builder
	for _, r := range t.R16 {
		fmt.Fprintf(&b, `\x{%X}-\x{%X}`, r.Lo, r.Hi)
	}
	for _, r := range t.R32 {
		fmt.Fprintf(&b, `\x{%X}-\x{%X}`, r.Lo, r.Hi)
	}
	return b.String()
}

// compileOniguruma compiles an Oniguruma (Ruby syntax) regex as Go regexp.
func compileOniguruma(pat string) (*regexp.Regexp, error) {
	re2, err := translateOniguruma(pat)
	if err != nil {
		return nil, newError(CodeUnsupported, fmt.Sprintf("regex %q cannot run exactly on Go's regexp", pat), err)
	}
	re, err := regexp.Compile(re2)
	if err != nil {
		return nil, newError(CodeUnsupported, fmt.Sprintf("regex %q cannot run exactly on Go's regexp", pat), err)
	}
	return re, nil
}

// translateOniguruma rewrites an Oniguruma pattern into RE2 syntax.
func translateOniguruma(pat string) (string, error) {
	var b strings.Builder
	// In Ruby syntax ^ and $ always match at line breaks.
	b.WriteString("(?m)")
	inClass := false
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case c == '\\':
			if i+1 >= len(pat) {
				return "", fmt.Errorf("trailing backslash")
			}
			i++
			e := pat[i]
			switch e {
			case 's':
				b.WriteString(wrapClass(onigSpaceBody, inClass))
			case 'w':
				b.WriteString(wrapClass(onigWordBody, inClass))
			case 'd':
				b.WriteString(`\p{Nd}`)
			case 'D':
				b.WriteString(`\P{Nd}`)
			case 'h':
				b.WriteString(wrapClass(`0-9a-fA-F`, inClass))
			case 'S', 'W', 'H':
				if inClass {
					return "", fmt.Errorf(`\%c inside a character class`, e)
				}
				body := map[byte]string{'S': onigSpaceBody, 'W': onigWordBody, 'H': `0-9a-fA-F`}[e]
				b.WriteString("[^" + body + "]")
			case 'u':
				if i+4 >= len(pat) {
					return "", fmt.Errorf(`short \u escape`)
				}
				fmt.Fprintf(&b, `\x{%s}`, pat[i+1:i+5])
				i += 4
			case 'b', 'B', 'G', 'K', 'R', 'X', 'Z', 'k', 'g', 'y', 'Y', 'O', 'N':
				return "", fmt.Errorf(`\%c has no RE2 equivalent`, e)
			default:
				if e >= '1' && e <= '9' {
					return "", fmt.Errorf("backreferences have no RE2 equivalent")
				}
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		case inClass:
			if c == '[' || strings.HasPrefix(pat[i:], "&&") {
				return "", fmt.Errorf("nested classes and class intersection have no RE2 equivalent")
			}
			if c == ']' {
				inClass = false
			}
			b.WriteByte(c)
		case c == '[':
			inClass = true
			b.WriteByte(c)
			// A ] right after [ or [^ is a literal.
			if strings.HasPrefix(pat[i+1:], "^]") {
				b.WriteString(`^\]`)
				i += 2
			} else if strings.HasPrefix(pat[i+1:], "]") {
				b.WriteString(`\]`)
				i++
			} else if strings.HasPrefix(pat[i+1:], "^") {
				b.WriteByte('^')
				i++
			}
		case c == '(' && strings.HasPrefix(pat[i:], "(?"):
			n, err := translateGroup(&b, pat[i:])
			if err != nil {
				return "", err
			}
			i += n - 1
		case c == '{' && strings.HasPrefix(pat[i:], "{,"):
			b.WriteString("{0,")
			i++
		default:
			b.WriteByte(c)
		}
	}
	if inClass {
		return "", fmt.Errorf("unterminated character class")
	}
	return b.String(), nil
}

// translateGroup writes the RE2 form of the group opening at the start of
// s ("(?..."), returning how many bytes it consumed.
func translateGroup(b *strings.Builder, s string) (int, error) {
	for _, bad := range []string{"(?=", "(?!", "(?<=", "(?<!", "(?>", "(?~", "(?#"} {
		if strings.HasPrefix(s, bad) {
			return 0, fmt.Errorf("%s...) has no RE2 equivalent", bad)
		}
	}
	if strings.HasPrefix(s, "(?<") || strings.HasPrefix(s, "(?P<") || strings.HasPrefix(s, "(?'") {
		return 0, fmt.Errorf("named groups are not supported")
	}
	// Inline flags: (?imx-imx) or (?imx-imx:...). Ruby's m is RE2's s.
	j := 2
	b.WriteString("(?")
	for j < len(s) && s[j] != ')' && s[j] != ':' {
		switch s[j] {
		case 'i', '-':
			b.WriteByte(s[j])
		case 'm':
			b.WriteByte('s')
		default:
			return 0, fmt.Errorf("inline flag %q has no RE2 equivalent", s[j])
		}
		j++
	}
	if j >= len(s) {
		return 0, fmt.Errorf("unterminated group")
	}
	b.WriteByte(s[j])
	return j + 1, nil
}

func wrapClass(body string, inClass bool) string {
	if inClass {
		return body
	}
	return "[" + body + "]"
}
