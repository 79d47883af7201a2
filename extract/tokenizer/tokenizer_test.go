package tokenizer

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/itemvec/itemvec"
)

// testdata/tiny.json is a WordLevel tokenizer with added tokens of every
// kind; the expectations below are what Hugging Face's tokenizers 0.23.2
// returns for it.
func loadTiny(t *testing.T, opts ...Option) *Tokenizer {
	t.Helper()
	tk, err := Load("testdata/tiny.json", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestEncodeAddedTokens(t *testing.T) {
	tk := loadTiny(t)
	tests := []struct {
		name, a, b string
		pair       bool
		ids        []int64
		tokens     []string
		types      []int64
	}{
		{name: "plain", a: "My name is a", ids: []int64{2, 5, 6, 7, 8, 3}},
		{name: "normalized single word next to a special", a: "MY<mask>name", ids: []int64{2, 5, 4, 6, 3}},
		{name: "lstrip and rstrip take the spaces", a: "my name  <mask>  is", ids: []int64{2, 5, 6, 4, 7, 3},
			tokens: []string{"[CLS]", "my", "name", "  <mask>  ", "is", "[SEP]"}},
		{name: "single word inside a word is no match", a: "myname my", ids: []int64{2, 1, 5, 3}},
		{name: "unknown added token gets the next id", a: "a<new>a", ids: []int64{2, 8, 9, 8, 3}},
		{name: "empty", a: "", ids: []int64{2, 3}},
		{name: "only spaces", a: "   ", ids: []int64{2, 3}},
		{name: "unknown words", a: "x y z", ids: []int64{2, 1, 1, 1, 3}},
		{name: "pair", a: "a b", b: "name is", pair: true, ids: []int64{2, 8, 1, 3, 6, 7, 3}, types: []int64{0, 0, 0, 0, 1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var enc *Encoding
			var err error
			if tt.pair {
				enc, err = tk.EncodePair(tt.a, tt.b)
			} else {
				enc, err = tk.Encode(tt.a)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(enc.IDs, tt.ids) {
				t.Errorf("ids %v, want %v (tokens %q)", enc.IDs, tt.ids, enc.Tokens)
			}
			if tt.tokens != nil && !slices.Equal(enc.Tokens, tt.tokens) {
				t.Errorf("tokens %q, want %q", enc.Tokens, tt.tokens)
			}
			types := tt.types
			if types == nil {
				types = make([]int64, len(tt.ids))
			}
			if !slices.Equal(enc.TypeIDs, types) {
				t.Errorf("type ids %v, want %v", enc.TypeIDs, types)
			}
			for i, m := range enc.AttentionMask {
				if m != 1 {
					t.Errorf("mask[%d] = %d without padding", i, m)
				}
			}
		})
	}
}

func TestTruncationAndPadding(t *testing.T) {
	tests := []struct {
		name  string
		opts  []Option
		texts []string
		ids   [][]int64
		masks [][]int64
	}{
		{
			name:  "truncate to 4, pad left to 6",
			opts:  []Option{WithTruncation(Truncation{MaxLength: 4}), WithPadding(Padding{Length: 6, Side: Left})},
			texts: []string{"my name is a"},
			ids:   [][]int64{{0, 0, 2, 5, 6, 3}},
			masks: [][]int64{{0, 0, 1, 1, 1, 1}},
		},
		{
			name:  "batch padded to the longest, a multiple of 4",
			opts:  []Option{WithPadding(Padding{MultipleOf: 4})},
			texts: []string{"a", "a b c d e"},
			ids:   [][]int64{{2, 8, 3, 0, 0, 0, 0, 0}, {2, 8, 1, 1, 1, 1, 3, 0}},
			masks: [][]int64{{1, 1, 1, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 1, 1, 1, 0}},
		},
		{
			name:  "truncate on the left",
			opts:  []Option{WithTruncation(Truncation{MaxLength: 4, Side: Left})},
			texts: []string{"my name is a"},
			ids:   [][]int64{{2, 7, 8, 3}},
			masks: [][]int64{{1, 1, 1, 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			encs, err := loadTiny(t, tt.opts...).EncodeBatch(tt.texts)
			if err != nil {
				t.Fatal(err)
			}
			if len(encs) != len(tt.texts) {
				t.Fatalf("EncodeBatch gave %d encodings for %d texts", len(encs), len(tt.texts))
			}
			for i, enc := range encs {
				if !slices.Equal(enc.IDs, tt.ids[i]) || !slices.Equal(enc.AttentionMask, tt.masks[i]) {
					t.Errorf("text %d: ids %v mask %v, want %v %v", i, enc.IDs, enc.AttentionMask, tt.ids[i], tt.masks[i])
				}
			}
		})
	}
}

func TestWithKeepsTheOriginal(t *testing.T) {
	tk := loadTiny(t)
	short, err := tk.With(WithTruncation(Truncation{MaxLength: 3}))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tk.Truncation(); ok {
		t.Error("With changed the original tokenizer")
	}
	if tr, ok := short.Truncation(); !ok || tr.MaxLength != 3 {
		t.Errorf("Truncation() = %+v, %v", tr, ok)
	}
	enc, err := short.Encode("my name is a")
	if err != nil {
		t.Fatal(err)
	}
	if enc.Len() != 3 {
		t.Errorf("len %d, want 3", enc.Len())
	}
}

func TestErrors(t *testing.T) {
	tiny, err := os.ReadFile("testdata/tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	replace := func(old, new string) []byte { return []byte(strings.Replace(string(tiny), old, new, 1)) }
	tests := []struct {
		name string
		json []byte
		opts []Option
		text string
		code string
	}{
		{name: "not JSON", json: []byte("{"), code: CodeInvalidConfig},
		{name: "unknown normalizer", json: replace(`{"type":"Lowercase"}`, `{"type":"Shout"}`), code: CodeUnsupported},
		{name: "unknown pre-tokenizer in a sequence", json: replace(`{"type":"WhitespaceSplit"}`, `{"type":"Sequence","pretokenizers":[{"type":"Mystery"}]}`), code: CodeUnsupported},
		{name: "unknown model", json: replace(`"type":"WordLevel"`, `"type":"Quantum"`), code: CodeUnsupported},
		{name: "no model", json: replace(`"model"`, `"modelx"`), code: CodeInvalidConfig},
		{name: "lookahead regex", json: replace(`{"type":"WhitespaceSplit"}`, `{"type":"Split","pattern":{"Regex":"a(?=b)"},"behavior":"Isolated","invert":false}`), code: CodeUnsupported},
		{name: "bad padding strategy", json: replace(`"normalizer"`, `"padding":{"strategy":"Sometimes"},"normalizer"`), code: CodeInvalidConfig},
		{name: "max length below the special tokens", json: tiny, opts: []Option{WithTruncation(Truncation{MaxLength: 1})}, code: CodeInvalidConfig},
		{name: "stride too long", json: tiny, opts: []Option{WithTruncation(Truncation{MaxLength: 4, Stride: 2})}, code: CodeInvalidConfig},
		{name: "invalid UTF-8", json: tiny, text: "a\xffb", code: CodeInvalidUTF8},
		{name: "OnlySecond without a pair", json: tiny, opts: []Option{WithTruncation(Truncation{MaxLength: 3, Strategy: OnlySecond})}, text: "a a a", code: CodeTruncation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk, err := FromJSON(tt.json, tt.opts...)
			if err == nil {
				_, err = tk.Encode(tt.text)
			}
			var e *itemvec.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *itemvec.Error", err)
			}
			if e.Code != tt.code {
				t.Errorf("code %s (%v), want %s", e.Code, err, tt.code)
			}
			if e.Retryable() || itemvec.IsRetryable(err) {
				t.Error("Retryable() = true")
			}
			if want := codeKind(tt.code); e.Kind != want || want == itemvec.KindInternal {
				t.Errorf("kind %s, want %s", e.Kind, want)
			}
			if !strings.HasPrefix(err.Error(), "tokenizer: ") || e.Op == "" {
				t.Errorf("error %q (op %q): want the prefix \"tokenizer: \" and an op", err, e.Op)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/no-such-tokenizer.json")
	var e *itemvec.Error
	if !errors.As(err, &e) || e.Code != CodeRead || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want a CodeRead error wrapping os.ErrNotExist", err)
	}
}

func TestInferModelType(t *testing.T) {
	tests := []struct {
		json, want string
	}{
		{`{"vocab": {"a": 0}, "merges": []}`, "BPE"},
		{`{"vocab": [["a", -1.0]], "unk_id": 0}`, "Unigram"},
		{`{"vocab": {"a": 0}, "continuing_subword_prefix": "##"}`, "WordPiece"},
		{`{"vocab": {"a": 0}, "max_input_chars_per_word": 100}`, "WordPiece"},
		{`{"vocab": {"a": 0}, "unk_token": "<unk>"}`, "WordLevel"},
	}
	for _, tt := range tests {
		got, err := inferModelType([]byte(tt.json))
		if err != nil || got != tt.want {
			t.Errorf("inferModelType(%s) = %q, %v; want %q", tt.json, got, err, tt.want)
		}
	}
}

func TestTranslateOniguruma(t *testing.T) {
	tests := []struct {
		pattern, text string
		want          [][2]int
		unsupported   bool
	}{
		{pattern: `\s+`, text: "a\u00a0\u3000b c", want: [][2]int{{1, 6}, {7, 8}}},
		{pattern: `\d+`, text: "x١٢3y", want: [][2]int{{1, 6}}},
		{pattern: `\w+`, text: "é_ü-z", want: [][2]int{{0, 5}, {6, 7}}},
		{pattern: `[\s\d]`, text: "a 1", want: [][2]int{{1, 2}, {2, 3}}},
		{pattern: `^a`, text: "a\na", want: [][2]int{{0, 1}, {2, 3}}},
		{pattern: `(?m:a.b)`, text: "a\nb", want: [][2]int{{0, 3}}},
		{pattern: `x{,2}y`, text: "xxy", want: [][2]int{{0, 3}}},
		{pattern: `\u00e9`, text: "é", want: [][2]int{{0, 2}}},
		{pattern: `a(?=b)`, unsupported: true},
		{pattern: `(a)\1`, unsupported: true},
		{pattern: `\bword\b`, unsupported: true},
		{pattern: `[^\S]`, unsupported: true},
		{pattern: `(?x) a`, unsupported: true},
	}
	for _, tt := range tests {
		re, err := compileOniguruma(tt.pattern)
		if tt.unsupported {
			var e *itemvec.Error
			if !errors.As(err, &e) || e.Code != CodeUnsupported {
				t.Errorf("%q: got %v, want CodeUnsupported", tt.pattern, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.pattern, err)
			continue
		}
		if got := (regexPattern{re}).matches(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("%q on %q: %v, want %v", tt.pattern, tt.text, got, tt.want)
		}
	}
}
