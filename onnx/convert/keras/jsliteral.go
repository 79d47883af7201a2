package keras

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxLiteralDepth bounds nesting so hostile input cannot exhaust the stack.
const maxLiteralDepth = 256

// exportedLiteral finds the one `<name>.exports = <literal>` assignment in a
// browserify/UMD bundle and returns that literal translated to JSON. Only an
// object, array or string literal counts; the UMD header's
// `module.exports=e()` does not. More than one such assignment is an error,
// as the bundle would then be ambiguous.
func exportedLiteral(src []byte) ([]byte, error) {
	const marker = ".exports"
	var (
		found []byte
		pos   int
	)
	for {
		i := bytes.Index(src[pos:], []byte(marker))
		if i < 0 {
			break
		}
		p := &literalParser{src: src, pos: pos + i + len(marker)}
		pos = p.pos
		p.skipSpace()
		if !p.consume('=') || p.peek() == '=' {
			continue
		}
		p.skipSpace()
		switch p.peek() {
		case '{', '[', '"', '\'':
		default:
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("second exported literal at byte %d", p.pos)
		}
		out, err := p.translate()
		if err != nil {
			return nil, err
		}
		found, pos = out, p.pos
	}
	if found == nil {
		return nil, fmt.Errorf("no `.exports = {...}` or `.exports = \"...\"` assignment found")
	}
	return found, nil
}

// jsLiteralToJSON translates one JavaScript literal (the whole input, bar
// surrounding whitespace and comments) to JSON: unquoted and single-quoted
// keys, single-quoted strings, `!0`/`!1`, `void 0`, leading-dot and hex
// numbers, trailing commas and comments are accepted; anything that is not a
// plain data literal (calls, identifiers, NaN, Infinity, holes) is an error.
func jsLiteralToJSON(src []byte) ([]byte, error) {
	p := &literalParser{src: src}
	out, err := p.translate()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, p.errorf("unexpected %s after the literal", p.describe())
	}
	return out, nil
}

type literalParser struct {
	src   []byte
	pos   int
	out   bytes.Buffer
	depth int
}

func (p *literalParser) translate() ([]byte, error) {
	if err := p.value(); err != nil {
		return nil, err
	}
	return p.out.Bytes(), nil
}

func (p *literalParser) errorf(format string, args ...any) error {
	return fmt.Errorf("js literal at byte %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *literalParser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *literalParser) consume(c byte) bool {
	if p.peek() == c && p.pos < len(p.src) {
		p.pos++
		return true
	}
	return false
}

func (p *literalParser) describe() string {
	if p.pos >= len(p.src) {
		return "end of input"
	}
	end := min(p.pos+16, len(p.src))
	return strconv.Quote(string(p.src[p.pos:end]))
}

// skipSpace skips whitespace and JavaScript comments.
func (p *literalParser) skipSpace() {
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			p.pos++
		case bytes.HasPrefix(p.src[p.pos:], []byte("//")):
			i := bytes.IndexByte(p.src[p.pos:], '\n')
			if i < 0 {
				p.pos = len(p.src)
			} else {
				p.pos += i + 1
			}
		case bytes.HasPrefix(p.src[p.pos:], []byte("/*")):
			i := bytes.Index(p.src[p.pos+2:], []byte("*/"))
			if i < 0 {
				p.pos = len(p.src)
			} else {
				p.pos += i + 4
			}
		default:
			return
		}
	}
}

func (p *literalParser) value() error {
	p.skipSpace()
	switch c := p.peek(); {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"' || c == '\'':
		s, err := p.str()
		if err != nil {
			return err
		}
		return writeJSONString(&p.out, s)
	case c == '!':
		p.pos++
		p.skipSpace()
		v, err := p.number()
		if err != nil {
			return err
		}
		// JavaScript: !x is true exactly when x is 0 (or NaN, which number rejects).
		p.out.WriteString(strconv.FormatBool(v == 0))
		return nil
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		v, err := p.number()
		if err != nil {
			return err
		}
		p.out.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		return nil
	case isIdentStart(c):
		start := p.pos
		word := p.ident()
		switch word {
		case "true", "false", "null":
			p.out.WriteString(word)
		case "undefined":
			p.out.WriteString("null")
		case "void":
			p.skipSpace()
			if _, err := p.number(); err != nil {
				return err
			}
			p.out.WriteString("null")
		default:
			p.pos = start
			return p.errorf("identifier %q is not a data literal", word)
		}
		return nil
	default:
		return p.errorf("unexpected %s", p.describe())
	}
}

func (p *literalParser) enter() error {
	p.depth++
	if p.depth > maxLiteralDepth {
		return p.errorf("nesting deeper than %d", maxLiteralDepth)
	}
	return nil
}

func (p *literalParser) object() error {
	if err := p.enter(); err != nil {
		return err
	}
	p.pos++ // '{'
	p.out.WriteByte('{')
	for first := true; ; first = false {
		p.skipSpace()
		if p.consume('}') {
			break
		}
		if !first {
			if !p.consume(',') {
				return p.errorf("expected ',' or '}' in object, got %s", p.describe())
			}
			p.skipSpace()
			if p.consume('}') { // trailing comma
				break
			}
			p.out.WriteByte(',')
		}
		key, err := p.key()
		if err != nil {
			return err
		}
		if err := writeJSONString(&p.out, key); err != nil {
			return err
		}
		p.skipSpace()
		if !p.consume(':') {
			return p.errorf("expected ':' after key %q, got %s", key, p.describe())
		}
		p.out.WriteByte(':')
		if err := p.value(); err != nil {
			return err
		}
	}
	p.out.WriteByte('}')
	p.depth--
	return nil
}

func (p *literalParser) key() (string, error) {
	switch c := p.peek(); {
	case c == '"' || c == '\'':
		return p.str()
	case isIdentStart(c):
		return p.ident(), nil
	case c >= '0' && c <= '9':
		start := p.pos
		for c := p.peek(); c >= '0' && c <= '9'; c = p.peek() {
			p.pos++
		}
		if c := p.peek(); c == '.' || c == 'e' || c == 'E' || c == 'x' || c == 'X' || isIdentStart(c) {
			p.pos = start
			return "", p.errorf("only plain integer numeric keys are supported, got %s", p.describe())
		}
		k := string(p.src[start:p.pos])
		if len(k) > 1 && k[0] == '0' {
			p.pos = start
			return "", p.errorf("numeric key %s has a leading zero (legacy octal)", k)
		}
		if n, err := strconv.ParseUint(k, 10, 53); err == nil {
			return strconv.FormatUint(n, 10), nil
		}
		p.pos = start
		return "", p.errorf("numeric key %s out of range", k)
	default:
		return "", p.errorf("expected an object key, got %s", p.describe())
	}
}

func (p *literalParser) array() error {
	if err := p.enter(); err != nil {
		return err
	}
	p.pos++ // '['
	p.out.WriteByte('[')
	for first := true; ; first = false {
		p.skipSpace()
		if p.consume(']') {
			break
		}
		if !first {
			if !p.consume(',') {
				return p.errorf("expected ',' or ']' in array, got %s", p.describe())
			}
			p.skipSpace()
			if p.consume(']') { // trailing comma
				break
			}
			p.out.WriteByte(',')
		}
		if p.peek() == ',' {
			return p.errorf("array holes are not supported")
		}
		if err := p.value(); err != nil {
			return err
		}
	}
	p.out.WriteByte(']')
	p.depth--
	return nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func (p *literalParser) ident() string {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if !isIdentStart(c) && !(c >= '0' && c <= '9') {
			break
		}
		p.pos++
	}
	return string(p.src[start:p.pos])
}

// number parses a JavaScript numeric literal with an optional sign: decimal
// (with optional integer or fraction part and exponent) or 0x hexadecimal.
// The value is rounded to float64 as JavaScript does.
func (p *literalParser) number() (float64, error) {
	start := p.pos
	neg := false
	if c := p.peek(); c == '-' || c == '+' {
		neg = c == '-'
		p.pos++
		p.skipSpace()
	}
	digits := func(ok func(byte) bool) int {
		n := 0
		for p.pos < len(p.src) && ok(p.src[p.pos]) {
			p.pos++
			n++
		}
		return n
	}
	isDec := func(c byte) bool { return c >= '0' && c <= '9' }
	isHex := func(c byte) bool { return isDec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }

	numStart := p.pos
	var v float64
	if bytes.HasPrefix(p.src[p.pos:], []byte("0x")) || bytes.HasPrefix(p.src[p.pos:], []byte("0X")) {
		p.pos += 2
		if digits(isHex) == 0 {
			p.pos = start
			return 0, p.errorf("bad hexadecimal literal %s", p.describe())
		}
		u, err := strconv.ParseUint(string(p.src[numStart+2:p.pos]), 16, 64)
		if err != nil || u > 1<<53 {
			p.pos = start
			return 0, p.errorf("hexadecimal literal %s is too large to be exact", p.describe())
		}
		v = float64(u)
	} else {
		intDigits := digits(isDec)
		if intDigits > 1 && p.src[numStart] == '0' {
			p.pos = start
			return 0, p.errorf("number %s has a leading zero (legacy octal)", p.describe())
		}
		fracDigits := 0
		if p.consume('.') {
			fracDigits = digits(isDec)
		}
		if intDigits+fracDigits == 0 {
			p.pos = start
			return 0, p.errorf("expected a number, got %s", p.describe())
		}
		if c := p.peek(); c == 'e' || c == 'E' {
			p.pos++
			if c := p.peek(); c == '+' || c == '-' {
				p.pos++
			}
			if digits(isDec) == 0 {
				p.pos = start
				return 0, p.errorf("bad exponent in %s", p.describe())
			}
		}
		f, err := strconv.ParseFloat(string(p.src[numStart:p.pos]), 64)
		if err != nil || math.IsInf(f, 0) {
			p.pos = start
			return 0, p.errorf("number %s is not a finite float64", p.describe())
		}
		v = f
	}
	if c := p.peek(); isIdentStart(c) || isDec(c) || c == '.' {
		p.pos = start
		return 0, p.errorf("unsupported numeric literal %s", p.describe())
	}
	if neg {
		v = -v
	}
	return v, nil
}

// str parses a single- or double-quoted JavaScript string literal, decoding
// its escapes as JavaScript does (UTF-16 code units; an unpaired surrogate
// becomes U+FFFD).
func (p *literalParser) str() (string, error) {
	start := p.pos
	quote := p.src[p.pos]
	p.pos++
	// Fast path: no escapes and plain ASCII up to the closing quote.
	for i := p.pos; i < len(p.src); i++ {
		c := p.src[i]
		if c == quote {
			s := string(p.src[p.pos:i])
			p.pos = i + 1
			return s, nil
		}
		if c == '\\' || c == '\n' || c == '\r' || c >= utf8.RuneSelf {
			break
		}
	}
	var units []uint16
	for {
		if p.pos >= len(p.src) {
			p.pos = start
			return "", p.errorf("unterminated string")
		}
		c := p.src[p.pos]
		switch {
		case c == quote:
			p.pos++
			return string(utf16.Decode(units)), nil
		case c == '\n' || c == '\r':
			return "", p.errorf("line break inside a string")
		case c == '\\':
			p.pos++
			var err error
			if units, err = p.escape(units); err != nil {
				return "", err
			}
		default:
			r, size := utf8.DecodeRune(p.src[p.pos:])
			if r == utf8.RuneError && size <= 1 {
				return "", p.errorf("invalid UTF-8 in string")
			}
			p.pos += size
			units = utf16.AppendRune(units, r)
		}
	}
}

func (p *literalParser) escape(units []uint16) ([]uint16, error) {
	if p.pos >= len(p.src) {
		return nil, p.errorf("unterminated escape")
	}
	c := p.src[p.pos]
	p.pos++
	hex := func(n int) (uint64, error) {
		if p.pos+n > len(p.src) {
			return 0, p.errorf("short escape")
		}
		v, err := strconv.ParseUint(string(p.src[p.pos:p.pos+n]), 16, 32)
		if err != nil {
			return 0, p.errorf("bad hex escape %q", p.src[p.pos:p.pos+n])
		}
		p.pos += n
		return v, nil
	}
	switch c {
	case 'n':
		return append(units, '\n'), nil
	case 't':
		return append(units, '\t'), nil
	case 'r':
		return append(units, '\r'), nil
	case 'b':
		return append(units, '\b'), nil
	case 'f':
		return append(units, '\f'), nil
	case 'v':
		return append(units, '\v'), nil
	case '0':
		if d := p.peek(); d >= '0' && d <= '9' {
			return nil, p.errorf("octal escapes are not supported")
		}
		return append(units, 0), nil
	case 'x':
		v, err := hex(2)
		if err != nil {
			return nil, err
		}
		return append(units, uint16(v)), nil
	case 'u':
		if p.consume('{') {
			end := bytes.IndexByte(p.src[p.pos:], '}')
			if end < 1 || end > 6 {
				return nil, p.errorf("bad \\u{...} escape")
			}
			v, err := hex(end)
			if err != nil {
				return nil, err
			}
			p.pos++ // '}'
			if v > utf8.MaxRune {
				return nil, p.errorf("code point %#x out of range", v)
			}
			return utf16.AppendRune(units, rune(v)), nil
		}
		v, err := hex(4)
		if err != nil {
			return nil, err
		}
		return append(units, uint16(v)), nil
	case '\r':
		p.consume('\n') // line continuation
		return units, nil
	case '\n':
		return units, nil
	case '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return nil, p.errorf("octal escapes are not supported")
	default:
		// \\, \', \" and any other character stand for themselves.
		p.pos--
		r, size := utf8.DecodeRune(p.src[p.pos:])
		p.pos += size
		return utf16.AppendRune(units, r), nil
	}
}

// writeJSONString appends s as a JSON string. encoding/json escapes
// deterministically and always produces valid JSON.
func writeJSONString(buf *bytes.Buffer, s string) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	buf.Write(b)
	return nil
}
