package workers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/itemvec/itemvec"
)

// The manifest reader: JSON lines, one Item object per line, read as a
// stream. Every line read ends in exactly one place of an EnqueueSummary:
// skipped (blank or a comment), a valid item handed on, a duplicate id, or
// an invalid line with its reason.

const opEnqueue = "workers.Enqueue"

// badLine is the error of a manifest line that is not a valid item.
func badLine(format string, args ...any) error {
	return itemvec.Errorf(itemvec.KindBadInput, opEnqueue, format, args...)
}

// lineReader reads lines of any length from a bufio.Reader while holding at
// most max+2 bytes of one: a longer line is read to its end and only its
// length is kept.
type lineReader struct {
	r   *bufio.Reader
	max int
	buf []byte
}

// newLineReader skips a UTF-8 byte order mark at the start of r and refuses
// a UTF-16 one.
func newLineReader(r io.Reader, maxLine int) (*lineReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(3)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return nil, badLine("manifest is UTF-16 encoded; convert it to UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)")
	}
	return &lineReader{r: br, max: maxLine}, nil
}

// next returns the next line without its line end ("\n" or "\r\n"), and
// its length n. A line longer than the limit (n > max) is consumed and
// returned as nil. At the end of the input it returns io.EOF; a last
// line without a line end is a line. The line is valid until the next call.
func (lr *lineReader) next() (line []byte, n int, err error) {
	lr.buf = lr.buf[:0]
	total, over := 0, false
	var tail [2]byte // the last two bytes read of the line
	for {
		frag, err := lr.r.ReadSlice('\n')
		total += len(frag)
		for _, c := range frag[max(0, len(frag)-2):] {
			tail[0], tail[1] = tail[1], c
		}
		if !over && len(lr.buf)+len(frag) > lr.max+2 {
			over, lr.buf = true, lr.buf[:0]
		}
		if !over {
			lr.buf = append(lr.buf, frag...)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if total == 0 {
				return nil, 0, io.EOF
			}
		case err != nil:
			return nil, 0, err
		}
		break
	}
	n = total
	if n > 0 && tail[1] == '\n' {
		n--
		if n > 0 && tail[0] == '\r' {
			n--
		}
	} else if tail[1] == '\r' {
		n--
	}
	if over || n > lr.max {
		return nil, n, nil
	}
	return lr.buf[:n], n, nil
}

// scanManifest reads the manifest from r line by line into sum: Lines,
// Skipped, Invalid and DuplicateIDs; every valid item with a new id goes to
// visit. It stops at the end of the input, at a read error, when ctx is
// done, or when visit returns an error, and returns that error (nil at the
// end); sum.Lines is then the number of the last line read.
func scanManifest(ctx context.Context, r io.Reader, maxLine int, sum *EnqueueSummary, visit func(line int, it Item) error) error {
	lr, err := newLineReader(r, maxLine)
	if err != nil {
		return err
	}
	first := map[string]int{} // item id -> the line it was first accepted on
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		raw, n, err := lr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read manifest: %w", err)
		}
		sum.Lines++
		line := sum.Lines
		if n > maxLine {
			sum.Invalid = append(sum.Invalid, LineError{Line: line,
				Err: badLine("line is %d bytes, over the limit of %d bytes (--max-line-bytes)", n, maxLine)})
			continue
		}
		if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] == '#' {
			sum.Skipped++
			continue
		}
		it, err := parseLine(raw)
		if err == nil {
			err = ValidateItem(it)
		}
		if err != nil {
			sum.Invalid = append(sum.Invalid, LineError{Line: line, ID: it.ID, Err: err})
			continue
		}
		if at, ok := first[it.ID]; ok {
			sum.DuplicateIDs = append(sum.DuplicateIDs, LineError{Line: line, ID: it.ID,
				Err: badLine("id %q already on line %d", it.ID, at)})
			continue
		}
		first[it.ID] = line
		if err := visit(line, it); err != nil {
			return err
		}
	}
}

// parseLine decodes one manifest line: exactly one JSON object of the
// Item's fields, in valid UTF-8, without lone surrogate escapes. Columns in
// the errors count bytes from 1.
func parseLine(raw []byte) (Item, error) {
	var it Item
	if col := invalidUTF8(raw); col > 0 {
		return it, badLine("invalid UTF-8 at byte column %d", col)
	}
	start := skipJSONSpace(raw, 0)
	if start == len(raw) || raw[start] != '{' {
		var v any
		if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&v); err != nil {
			return it, badLine("not JSON: %v", err)
		}
		return it, badLine("a JSON %s, not an object: each line must be one item object {\"id\":...}", jsonKind(v))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&it); err != nil {
		var syn *json.SyntaxError
		switch {
		case errors.As(err, &syn):
			return it, badLine("not JSON at column %d: %v", syn.Offset, err)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return it, badLine("not JSON: the line ends inside the object")
		}
		return it, badLine("not an item: %v", err)
	}
	end := int(dec.InputOffset())
	if rest := skipJSONSpace(raw, end); rest < len(raw) {
		return it, badLine("unexpected data after the JSON object at column %d", rest+1)
	}
	if col, esc := loneSurrogate(raw[:end]); col > 0 {
		return it, badLine("escape %s at column %d is a lone UTF-16 surrogate, not a character", esc, col)
	}
	return it, nil
}

// invalidUTF8 returns the 1-based byte column of the first byte of b that
// is not valid UTF-8, or 0.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i + 1
		}
		i += size
	}
	return 0
}

// skipJSONSpace returns the index of the first byte of b at or after i that
// is not JSON whitespace.
func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// loneSurrogate finds a \u escape of a UTF-16 surrogate that is not part of
// a high-low pair in b, valid JSON, which encoding/json would silently turn
// into U+FFFD. It returns its 1-based column and text, or 0.
func loneSurrogate(b []byte) (int, string) {
	inString := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case !inString:
			inString = c == '"'
		case c == '"':
			inString = false
		case c == '\\' && i+1 < len(b) && b[i+1] != 'u':
			i++
		case c == '\\' && i+6 <= len(b):
			r := hex4(b[i+2 : i+6])
			switch {
			case r >= 0xD800 && r <= 0xDBFF:
				if i+12 <= len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
					if lo := hex4(b[i+8 : i+12]); lo >= 0xDC00 && lo <= 0xDFFF {
						i += 11
						continue
					}
				}
				return i + 1, string(b[i : i+6])
			case r >= 0xDC00 && r <= 0xDFFF:
				return i + 1, string(b[i : i+6])
			}
			i += 5
		}
	}
	return 0, ""
}

// hex4 decodes four hex digits; -1 when one is not a hex digit.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// jsonKind names the type of a decoded JSON value.
func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "value"
}
