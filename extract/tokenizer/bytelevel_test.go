package tokenizer

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/itemvec/itemvec/internal/testdeps"
)

func TestByteLevelChars(t *testing.T) {
	seen := map[string]bool{}
	for b, c := range byteLevelChars {
		if utf8.RuneCountInString(c) != 1 || seen[c] {
			t.Fatalf("byte %#x maps to %q: not one new character", b, c)
		}
		seen[c] = true
	}
	for b, want := range map[byte]string{' ': "Ġ", '\n': "Ċ", 'a': "a", '!': "!", 0x00: "Ā", 0xAD: "Ń", 0xFF: "ÿ"} {
		if got := byteLevelChars[b]; got != want {
			t.Errorf("byte %#x maps to %q, want %q", b, got, want)
		}
	}
	if got, want := (byteLevelNormalizer{}).Normalize("a é\n"), "aĠÃ©Ċ"; got != want {
		t.Errorf("Normalize = %q, want %q", got, want)
	}
}

func TestByteLevelPreTokenize(t *testing.T) {
	tests := []struct {
		name   string
		config string
		pieces []Piece
		want   []Piece
	}{
		{
			name:   "GPT-2 split",
			config: `{"add_prefix_space":false}`,
			pieces: []Piece{{Text: "Hello my friend, how's it   going?\n"}},
			want: []Piece{{"Hello", 0}, {"Ġmy", 5}, {"Ġfriend", 8}, {",", 15}, {"Ġhow", 16}, {"'s", 20},
				{"Ġit", 22}, {"ĠĠ", 25}, {"Ġgoing", 27}, {"?", 33}, {"Ċ", 34}},
		},
		{
			name:   "prefix space on every piece that lacks one",
			config: `{"add_prefix_space":true}`,
			pieces: []Piece{{Text: "Hello", Offset: 0}, {Text: " there", Offset: 9}, {Text: "", Offset: 15}},
			want:   []Piece{{"ĠHello", 0}, {"Ġthere", 9}},
		},
		{
			name:   "no regex",
			config: `{"add_prefix_space":true,"use_regex":false}`,
			pieces: []Piece{{Text: "Hello my friend"}, {Text: ""}},
			want:   []Piece{{"ĠHelloĠmyĠfriend", 0}},
		},
		{
			name:   "defaults: prefix space and regex",
			config: `{}`,
			pieces: []Piece{{Text: "i⭢j"}},
			want:   []Piece{{"Ġi", 0}, {"âŃ¢", 1}, {"j", 4}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt, err := decodeByteLevelPreTokenizer(json.RawMessage(tt.config))
			if err != nil {
				t.Fatal(err)
			}
			if got := pt.PreTokenize(tt.pieces); !slices.Equal(got, tt.want) {
				t.Errorf("PreTokenize = %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if _, err := decodeByteLevelPreTokenizer(json.RawMessage(`{"use_regex":"yes"}`)); err == nil {
		t.Error("a string use_regex was accepted")
	}
}

// splitOracle is testdata/split_oracle.json.gz, written by
// testdata/tokenizers/split_oracle.cjs (at the repository root) from
// Hugging Face tokenizers; -update rewrites it.
type splitOracle struct {
	Version  string              `json:"hf_tokenizers_version"`
	Patterns map[string]string   `json:"patterns"`
	Classes  map[string][][2]int `json:"classes"`
	Cases    []map[string]any    `json:"cases"`
}

func readSplitOracle(t *testing.T) splitOracle {
	t.Helper()
	const file = "testdata/split_oracle.json.gz"
	if *update {
		out, err := filepath.Abs(file)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("node", "split_oracle.cjs", "--out", out)
		cmd.Dir = filepath.Join(testdeps.Root(t), "testdata", "tokenizers")
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("node split_oracle.cjs (needs npm ci in %s): %v\n%s", cmd.Dir, err, msg)
		}
	}
	var o splitOracle
	readGzipJSON(t, file, &o)
	return o
}

// TestCharClassesOracle checks \p{L}, \p{N} and \s for every code point
// against what Hugging Face's Oniguruma says.
func TestCharClassesOracle(t *testing.T) {
	o := readSplitOracle(t)
	for name, class := range map[string]charClass{"letter": classLetter, "number": classNumber, "space": classSpace} {
		in := map[rune]bool{}
		for _, r := range o.Classes[name] {
			for c := r[0]; c <= r[1]; c++ {
				in[rune(c)] = true
			}
		}
		if len(in) == 0 {
			t.Fatalf("oracle has no %s class", name)
		}
		bad := 0
		for c := rune(0); c <= utf8.MaxRune; c++ {
			if utf8.ValidRune(c) && (classifyRune(c) == class) != in[c] {
				if bad++; bad <= 10 {
					t.Errorf("U+%04X: Go says %s = %v, Hugging Face says %v", c, name, !in[c], in[c])
				}
			}
		}
		if bad > 10 {
			t.Errorf("%s: %d code points differ in all", name, bad)
		}
	}
}

// TestSplitPatternsOracle runs the hand-written matchers over the oracle's
// strings; Hugging Face's pieces (Split, behavior Isolated) are the matches
// and the text between them.
func TestSplitPatternsOracle(t *testing.T) {
	o := readSplitOracle(t)
	want := map[string]string{"gpt2": gpt2Pattern, "llama3": llama3Pattern, "qwen2": qwen2Pattern, "clip": clipPattern}
	for name, pattern := range want {
		if o.Patterns[name] != pattern {
			t.Fatalf("oracle's %s pattern is %q, bytelevel.go's is %q: regenerate the oracle", name, o.Patterns[name], pattern)
		}
	}
	if len(o.Cases) < 1000 {
		t.Fatalf("oracle has only %d cases", len(o.Cases))
	}
	for _, c := range o.Cases {
		text, _ := c["text"].(string)
		for name, pattern := range want {
			var hf []string
			for _, p := range c[name].([]any) {
				hf = append(hf, p.(string))
			}
			if got := isolatedPieces(text, knownSplitPatterns[pattern](text)); !slices.Equal(got, hf) {
				t.Errorf("%s on %q:\n got %q\nwant %q", name, text, got, hf)
			}
		}
	}
}

// isolatedPieces is what Split with behavior Isolated makes of matches.
func isolatedPieces(s string, spans [][2]int) []string {
	var out []string
	prev := 0
	for _, sp := range spans {
		if sp[0] > prev {
			out = append(out, s[prev:sp[0]])
		}
		out = append(out, s[sp[0]:sp[1]])
		prev = sp[1]
	}
	if prev < len(s) {
		out = append(out, s[prev:])
	}
	return out
}

func FuzzSplitPatterns(f *testing.F) {
	for _, s := range []string{"", "Hello  world\n\n", "it'S 123456 ſ", "<|endoftext|>x", "\xff\xfe a", "\r\n \t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for pattern, match := range knownSplitPatterns {
			spans := match(s)
			prev := 0
			for _, sp := range spans {
				if sp[0] < prev || sp[1] <= sp[0] || sp[1] > len(s) {
					t.Fatalf("%q on %q: bad span %v after %d", pattern, s, sp, prev)
				}
				if pattern != clipPattern && sp[0] != prev {
					t.Fatalf("%q on %q: gap before %v", pattern, s, sp)
				}
				prev = sp[1]
			}
			if pattern != clipPattern && prev != len(s) {
				t.Fatalf("%q on %q: text after the last match", pattern, s)
			}
		}
		pt := byteLevelPreTokenizer{addPrefixSpace: true, useRegex: true}
		for _, p := range pt.PreTokenize([]Piece{{Text: s}}) {
			if p.Text == "" || !utf8.ValidString(p.Text) {
				t.Fatalf("piece %q", p.Text)
			}
		}
	})
}
