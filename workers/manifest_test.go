package workers

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestLineReader: lines of any length, at and around the reader's buffer
// size, with LF or CRLF ends or none; a line over the limit is consumed
// whole and reported by its length only.
func TestLineReader(t *testing.T) {
	const buf = 64 << 10
	type line struct {
		text string // "" with n > max: a line over the limit
		n    int
	}
	x := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name  string
		input string
		max   int
		want  []line
	}{
		{"empty first line", "\na\n", 10, []line{{"", 0}, {"a", 1}}},
		{"LF and CRLF", "a\nbb\r\n\r\n\nc", 10, []line{{"a", 1}, {"bb", 2}, {"", 0}, {"", 0}, {"c", 1}}},
		{"final newline ends the last line", "a\n", 10, []line{{"a", 1}}},
		{"a lone CR at the end", "a\r", 10, []line{{"a", 1}}},
		{"CR inside a line stays", "a\rb\n", 10, []line{{"a\rb", 3}}},
		{"exactly the limit, CRLF", x(10) + "\r\n" + x(11) + "\r\nok", 10, []line{{x(10), 10}, {"", 11}, {"ok", 2}}},
		{"CRLF split over two buffer fills", x(buf-1) + "\r\n" + "ok\n", 1 << 20, []line{{x(buf - 1), buf - 1}, {"ok", 2}}},
		{"a line of several buffer fills", x(3*buf+7) + "\nok", 1 << 20, []line{{x(3*buf + 7), 3*buf + 7}, {"ok", 2}}},
		{"over the limit by several buffer fills", x(5*buf) + "\r\nok\n", 100, []line{{"", 5 * buf}, {"ok", 2}}},
		{"over the limit within one fill", x(101) + "\n" + x(100) + "\n", 100, []line{{"", 101}, {x(100), 100}}},
		{"empty input", "", 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr, err := newLineReader(iotest.HalfReader(strings.NewReader(tt.input)), tt.max)
			if err != nil {
				t.Fatal(err)
			}
			var got []line
			for {
				b, n, err := lr.next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if n > tt.max && b != nil || n <= tt.max && len(b) != n {
					t.Fatalf("line %d: %d bytes returned for length %d, limit %d", len(got)+1, len(b), n, tt.max)
				}
				got = append(got, line{string(b), n})
				if c := cap(lr.buf); c > 2*(tt.max+2) {
					t.Errorf("line %d: the reader holds %d bytes for a limit of %d", len(got), c, tt.max)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d lines, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("line %d: %.20q (%d bytes), want %.20q (%d)", i+1, got[i].text, got[i].n, tt.want[i].text, tt.want[i].n)
				}
			}
		})
	}
}

// TestLineReaderReadError: a failing reader is an error, not the end.
func TestLineReaderReadError(t *testing.T) {
	boom := errors.New("disk gone")
	lr, err := newLineReader(io.MultiReader(strings.NewReader("a\nb"), iotest.ErrReader(boom)), 10)
	if err != nil {
		t.Fatal(err)
	}
	if b, _, err := lr.next(); err != nil || string(b) != "a" {
		t.Fatalf("first line %q, %v", b, err)
	}
	if _, _, err := lr.next(); !errors.Is(err, boom) {
		t.Errorf("err = %v, want the read error", err)
	}
}

func TestLoneSurrogate(t *testing.T) {
	tests := []struct {
		json string
		col  int
		esc  string
	}{
		{`{"t":"\ud83d\ude00"}`, 0, ""},
		{`{"t":"\uD83D\uDE00"}`, 0, ""},
		{`{"t":"\\ud800"}`, 0, ""},
		{`{"t":"\\\ud800"}`, 9, `\ud800`},
		{`{"t":"\ud800"}`, 7, `\ud800`},
		{`{"t":"\ud800\n"}`, 7, `\ud800`},
		{`{"t":"\ud83d\ud83d"}`, 7, `\ud83d`},
		{`{"t":"ok","u":"\uDFFF"}`, 16, `\uDFFF`},
		{`{"\udc00":1}`, 3, `\udc00`},
		{`{"t":"\u00e9\u4e2d"}`, 0, ""},
	}
	for _, tt := range tests {
		col, esc := loneSurrogate([]byte(tt.json))
		if col != tt.col || esc != tt.esc {
			t.Errorf("%s: column %d %q, want %d %q", tt.json, col, esc, tt.col, tt.esc)
		}
	}
}
