package tokenizer

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/itemvec/itemvec"
)

// unigramFromJSON decodes a Unigram model object.
func unigramFromJSON(t testing.TB, model string) *unigramModel {
	t.Helper()
	m, err := decodeUnigram(json.RawMessage(model))
	if err != nil {
		t.Fatalf("decodeUnigram(%s): %v", model, err)
	}
	return m.(*unigramModel)
}

// The expectations were taken from Hugging Face's tokenizers 0.23.2 with the
// same vocabularies (a tokenizer.json holding the model alone).
func TestUnigramTokenize(t *testing.T) {
	tests := []struct {
		name  string
		model string
		in    string
		want  []Token
	}{
		{
			name:  "HF's documentation example, unknowns fused",
			model: `{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0],["a",0],["b",0],["c",0],["d",0],["cd",1],["ab",2],["abc",5],["abcd",10]]}`,
			in:    "abcdacdxx",
			want:  []Token{{8, "abcd"}, {1, "a"}, {5, "cd"}, {0, "xx"}},
		},
		{
			name:  "a tie keeps the path found first",
			model: `{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0],["a",-1],["b",-1],["ab",-2]]}`,
			in:    "ab",
			want:  []Token{{3, "ab"}},
		},
		{
			name:  "a tie between two splits keeps the earlier end",
			model: `{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0],["a",-1],["bc",-1],["ab",-1],["c",-1]]}`,
			in:    "abc",
			want:  []Token{{1, "a"}, {2, "bc"}},
		},
		{
			// Read exactly, -13.241231918334961 is one unit in the last place
			// below a+b and "a" "b" would win; serde_json reads it one unit
			// higher, a tie, and HF keeps "ab".
			name:  "scores are read as serde_json reads them",
			model: `{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0],["a",-10],["b",-3.241231918334959],["ab",-13.241231918334961]]}`,
			in:    "ab",
			want:  []Token{{3, "ab"}},
		},
		{
			name:  "unknown characters fuse into one unk token",
			model: `{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0],["a",-1]]}`,
			in:    "x中a",
			want:  []Token{{0, "x中"}, {1, "a"}},
		},
		{
			name:  "the unk token's own text fuses with unknowns",
			model: `{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0],["a",-1]]}`,
			in:    "q<unk>a<unk>",
			want:  []Token{{0, "q<unk>"}, {1, "a"}, {0, "<unk>"}},
		},
		{
			name:  "byte fallback, and unk when a byte token is missing",
			model: `{"type":"Unigram","unk_id":0,"byte_fallback":true,"vocab":[["<unk>",0],["a",-1],["<0xC3>",-5],["<0xA9>",-5]]}`,
			in:    "éa中",
			want:  []Token{{2, "<0xC3>"}, {3, "<0xA9>"}, {1, "a"}, {0, "中"}},
		},
		{
			name:  "a token listed twice takes its last id and score",
			model: `{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0],["a",-1],["a",-5],["b",-1],["ab",-5.5]]}`,
			in:    "ab",
			want:  []Token{{4, "ab"}},
		},
		{
			name:  "unk_id need not be 0",
			model: `{"type":"Unigram","unk_id":1,"vocab":[["a",-1],["<unk>",0]]}`,
			in:    "bab",
			want:  []Token{{1, "b"}, {0, "a"}, {1, "b"}},
		},
		{
			name:  "no unk_id is fine while nothing is unknown",
			model: `{"type":"Unigram","unk_id":null,"vocab":[["a",-1],["ab",-1]]}`,
			in:    "ab",
			want:  []Token{{1, "ab"}},
		},
		{
			name:  "multi-byte characters",
			model: `{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0],["é",-1],["e",-1],["\u0301",-1],["e\u0301",-1.5]]}`,
			in:    "e\u0301é",
			want:  []Token{{4, "e\u0301"}, {1, "é"}},
		},
		{
			name:  "empty piece",
			model: `{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0]]}`,
			in:    "",
			want:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := unigramFromJSON(t, tt.model)
			for range 2 { // the second time from the cache
				got, err := m.Tokenize(tt.in)
				if err != nil {
					t.Fatalf("Tokenize(%q): %v", tt.in, err)
				}
				if !slices.Equal(got, tt.want) {
					t.Fatalf("Tokenize(%q) = %v, want %v", tt.in, got, tt.want)
				}
			}
		})
	}
}

func TestUnigramUnknownWithoutUnkID(t *testing.T) {
	m := unigramFromJSON(t, `{"type":"Unigram","unk_id":null,"vocab":[["a",-1]]}`)
	_, err := m.Tokenize("ab")
	var e *itemvec.Error
	if !errors.As(err, &e) || e.Code != CodeModel {
		t.Fatalf("Tokenize(ab) error = %v, want a %s *itemvec.Error", err, CodeModel)
	}
}

func TestUnigramNeverPanics(t *testing.T) {
	m := unigramFromJSON(t, `{"type":"Unigram","unk_id":0,"byte_fallback":true,"vocab":[["<unk>",0],["a",-1],["\ufffd",-2],["<0xFF>",-3]]}`)
	for _, in := range []string{"\xff", "a\xc3", "\xe4\xb8", "\x00a\x00", "\xed\xa0\x80"} {
		if _, err := m.Tokenize(in); err != nil {
			t.Errorf("Tokenize(%q): %v", in, err)
		}
	}
}

func TestUnigramLookups(t *testing.T) {
	m := unigramFromJSON(t, `{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0],["a",-1],["a",-2],["b",-3]]}`)
	if got := m.VocabSize(); got != 4 {
		t.Errorf("VocabSize() = %d, want 4", got)
	}
	if id, ok := m.TokenToID("a"); !ok || id != 2 {
		t.Errorf("TokenToID(a) = %d, %v, want 2, true", id, ok)
	}
	if _, ok := m.TokenToID("c"); ok {
		t.Error("TokenToID(c) found a token")
	}
	if tok, ok := m.IDToToken(1); !ok || tok != "a" {
		t.Errorf("IDToToken(1) = %q, %v, want a, true", tok, ok)
	}
	for _, id := range []int{-1, 4} {
		if _, ok := m.IDToToken(id); ok {
			t.Errorf("IDToToken(%d) found a token", id)
		}
	}
}

func TestDecodeUnigramErrors(t *testing.T) {
	tests := []struct{ name, model string }{
		{"no vocab", `{"type":"Unigram","unk_id":0}`},
		{"null vocab", `{"type":"Unigram","vocab":null}`},
		{"unk_id outside", `{"type":"Unigram","unk_id":2,"vocab":[["a",0],["b",0]]}`},
		{"unk_id in an empty vocabulary", `{"type":"Unigram","unk_id":0,"vocab":[]}`},
		{"negative unk_id", `{"type":"Unigram","unk_id":-1,"vocab":[["a",0]]}`},
		{"fractional unk_id", `{"type":"Unigram","unk_id":0.5,"vocab":[["a",0]]}`},
		{"unk_id as a string", `{"type":"Unigram","unk_id":"0","vocab":[["a",0]]}`},
		{"entry of three", `{"type":"Unigram","vocab":[["a",0,1]]}`},
		{"entry of one", `{"type":"Unigram","vocab":[["a"]]}`},
		{"score as a string", `{"type":"Unigram","vocab":[["a","0"]]}`},
		{"null score", `{"type":"Unigram","vocab":[["a",null]]}`},
		{"null token", `{"type":"Unigram","vocab":[[null,0]]}`},
		{"score out of range", `{"type":"Unigram","vocab":[["a",1e400]]}`},
		{"byte_fallback not a bool", `{"type":"Unigram","vocab":[["a",0]],"byte_fallback":1}`},
		{"not an object", `[1]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeUnigram(json.RawMessage(tt.model))
			var e *itemvec.Error
			if !errors.As(err, &e) || e.Code != CodeInvalidConfig {
				t.Fatalf("decodeUnigram(%s) error = %v, want a %s *itemvec.Error", tt.model, err, CodeInvalidConfig)
			}
		})
	}
}

func TestParseSerdeFloat(t *testing.T) {
	exact := func(s string) float64 {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	tests := []struct {
		in   string
		want float64
	}{
		{"0", 0},
		{"-0.0", math.Copysign(0, -1)},
		{"-10", -10},
		{"1.5", 1.5},
		{"-4.359129428863525", exact("-4.359129428863525")},
		// 17 significant digits: the uint64 significand is rounded to a
		// float64 before the division, one unit in the last place high.
		{"-13.241231918334961", exact("-13.24123191833496")},
		{"2.5e-3", 0.0025},
		{"25E-4", 0.0025},
		{"1e+2", 100},
		// Digits past the uint64 significand are dropped.
		{"123456789012345678901234567890", math.Float64frombits(0x45f8ee90ff6c373e)},
		{"0.1234567890123456789012345", math.Float64frombits(0x3fbf9add3746f65f)},
		{"1e-400", 0},
		{"-1e-99999999999", math.Copysign(0, -1)},
	}
	for _, tt := range tests {
		got, err := parseSerdeFloat(json.RawMessage(tt.in))
		if err != nil {
			t.Errorf("parseSerdeFloat(%s): %v", tt.in, err)
			continue
		}
		if math.Float64bits(got) != math.Float64bits(tt.want) {
			t.Errorf("parseSerdeFloat(%s) = %v (%#x), want %v (%#x)", tt.in, got, math.Float64bits(got), tt.want, math.Float64bits(tt.want))
		}
	}
	for _, in := range []string{"", "-", "01", "1.", ".5", "1e", "1e+", "1e400", "1e99999999999", "NaN", "1x", `"1"`} {
		if got, err := parseSerdeFloat(json.RawMessage(in)); err == nil {
			t.Errorf("parseSerdeFloat(%q) = %v, want an error", in, got)
		}
	}
}

func FuzzUnigramTokenize(f *testing.F) {
	for _, s := range []string{"", "a", "abcdacdxx", "é", "q<unk>a", "\xff\xfe", "a\x00b", "e\u0301中"} {
		f.Add(s)
	}
	models := []*unigramModel{
		unigramFromJSON(f, `{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0],["a",0],["b",0],["c",0],["d",0],["cd",1],["ab",2],["abc",5],["abcd",10]]}`),
		unigramFromJSON(f, `{"type":"Unigram","unk_id":0,"byte_fallback":true,"vocab":[["<unk>",0],["a",-1],["<0xC3>",-5],["<0xA9>",-5],["\ufffd",-3]]}`),
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range models {
			toks, err := m.Tokenize(s)
			if err != nil {
				t.Fatal(err)
			}
			for _, tok := range toks {
				if _, ok := m.IDToToken(tok.ID); !ok {
					t.Fatalf("token %v has no vocabulary entry", tok)
				}
			}
		}
	})
}

// BenchmarkEncodeUnigram encodes the parity corpus with the XLM-R style
// SentencePiece fixture (Precompiled nmt_nfkc, Metaspace, Unigram); one op
// is one pass over the corpus.
func BenchmarkEncodeUnigram(b *testing.B) {
	tk, err := Load(filepath.Join("testdata", "tokenizers", "spm-unigram.json"))
	if err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "tokenizers", "corpus.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	var texts []string
	size := 0
	for line := range strings.Lines(string(raw)) {
		var s string
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			b.Fatal(err)
		}
		texts = append(texts, s)
		size += len(s)
	}
	b.SetBytes(int64(size))
	tokens := 0
	for b.Loop() {
		tokens = 0
		for _, s := range texts {
			enc, err := tk.Encode(s)
			if err != nil {
				b.Fatal(err)
			}
			tokens += enc.Len()
		}
	}
	b.ReportMetric(float64(tokens)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}
