package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/itemvec/itemvec"
)

// bpeJSON writes the JSON of a BPE model with tokens numbered in order.
func bpeJSON(t *testing.T, tokens []string, merges any, options string) json.RawMessage {
	t.Helper()
	vocab := map[string]int{}
	for i, tok := range tokens {
		vocab[tok] = i
	}
	v, err := json.Marshal(vocab)
	if err != nil {
		t.Fatal(err)
	}
	m, err := json.Marshal(merges)
	if err != nil {
		t.Fatal(err)
	}
	if options != "" {
		options += ","
	}
	return json.RawMessage(fmt.Sprintf(`{"type":"BPE",%s"vocab":%s,"merges":%s}`, options, v, m))
}

func newTestBPE(t *testing.T, tokens []string, merges any, options string) Model {
	t.Helper()
	m, err := decodeBPE(bpeJSON(t, tokens, merges, options))
	if err != nil {
		t.Fatalf("decodeBPE: %v", err)
	}
	return m
}

// The expected tokens below are what Hugging Face tokenizers 0.23.2 makes
// of each word with the same model (no normalizer, no pre-tokenizer).
func TestBPETokenize(t *testing.T) {
	ignoreMergesVocab := []string{".:.:", "Ġbelirtilen", ".", ":", "bel", "irtilen", "Ġ", ".:", "belirtilen", ".:.",
		"be", "l", "ir", "ti", "en", "irtil", "irti", "i", "r", "t", "b", "e", "n"}
	tests := []struct {
		name    string
		tokens  []string
		merges  any
		options string
		words   map[string][]string
	}{
		{
			name: "rank order",
			tokens: []string{"u", "n", "r", "e", "l", "a", "t", "d", "re", "at", "ed", "un", "ated", "rel",
				"related", "unrelated"},
			merges: []string{"r e", "a t", "e d", "u n", "at ed", "re l", "rel ated", "un related"},
			words: map[string][]string{
				"unrelated": {"unrelated"},
				"unrelate":  {"un", "rel", "at", "e"},
				"tedun":     {"t", "ed", "un"},
				"":          nil,
			},
		},
		{
			name:   "ties go to the leftmost pair",
			tokens: []string{"a", "b", "aa", "ab", "aaa", "ba", "aab"},
			merges: []string{"a a", "a b", "aa a", "b a", "aa b"},
			words: map[string][]string{
				"aaaa":    {"aa", "aa"},
				"aaab":    {"aa", "ab"},
				"aaaaa":   {"aa", "aaa"},
				"baab":    {"b", "aab"},
				"aaaaaaa": {"aa", "aa", "aaa"},
			},
		},
		{
			name:    "continuing_subword_prefix",
			tokens:  []string{"[UNK]", "a", "##b", "##c", "ab", "abc", "b", "##a"},
			merges:  []string{"a ##b", "ab ##c"},
			options: `"unk_token":"[UNK]","continuing_subword_prefix":"##"`,
			words: map[string][]string{
				"abc": {"abc"},
				"abd": {"ab", "[UNK]"},
				"bab": {"b", "##a", "##b"},
			},
		},
		{
			name:    "end_of_word_suffix",
			tokens:  []string{"l", "o", "w", "e", "r", "w</w>", "r</w>", "o</w>", "lo", "low</w>", "low", "er</w>", "lower</w>"},
			merges:  []string{"l o", "lo w</w>", "lo w", "e r</w>", "low er</w>"},
			options: `"end_of_word_suffix":"</w>"`,
			words: map[string][]string{
				"low":    {"low</w>"},
				"lower":  {"lower</w>"},
				"lowlow": {"low", "low</w>"},
				"lo":     {"l", "o</w>"},
				"ol":     {"o"}, // "l</w>" is unknown and there is no unk_token
			},
		},
		{
			name:    "unknown characters",
			tokens:  []string{"<unk>", "a", "b"},
			merges:  []string{},
			options: `"unk_token":"<unk>"`,
			words: map[string][]string{
				"cc":   {"<unk>", "<unk>"},
				"accb": {"a", "<unk>", "<unk>", "b"},
				"ĉĉĉ":  {"<unk>", "<unk>", "<unk>"},
			},
		},
		{
			name:    "fuse_unk",
			tokens:  []string{"<unk>", "a", "b"},
			merges:  []string{},
			options: `"unk_token":"<unk>","fuse_unk":true`,
			words: map[string][]string{
				"cc":   {"<unk>"},
				"accb": {"a", "<unk>", "b"},
				"cacc": {"<unk>", "a", "<unk>"},
			},
		},
		{
			name:    "byte_fallback",
			tokens:  []string{"<unk>", "<0x61>", "<0xC3>", "<0xA9>", "b"},
			merges:  []string{},
			options: `"unk_token":"<unk>","fuse_unk":true,"byte_fallback":true`,
			words: map[string][]string{
				"a": {"<0x61>"},
				"é": {"<0xC3>", "<0xA9>"},
				"ü": {"<unk>"}, // <0xBC> is missing
				// A waiting unknown run is not flushed before byte tokens.
				"céc":  {"<0xC3>", "<0xA9>", "<unk>"},
				"ccéb": {"<0xC3>", "<0xA9>", "<unk>", "b"},
			},
		},
		{
			name:   "no unk_token drops unknown characters",
			tokens: []string{"a", "b", "ab"},
			merges: []string{"a b"},
			words: map[string][]string{
				"xaby":  {"ab"},
				"xyz":   nil,
				"abxab": {"ab", "ab"},
			},
		},
		{
			name:    "ignore_merges",
			tokens:  ignoreMergesVocab,
			merges:  []string{". :", "b e", "be l", "i r", "t i", "ir ti", "e n", "irti l"},
			options: `"ignore_merges":true`,
			words: map[string][]string{
				".:.:":         {".:.:"},
				"Ġbelirtilen":  {"Ġbelirtilen"},
				".:.:.:":       {".:", ".:", ".:"},
				"Ġbelirtilen.": {"Ġ", "bel", "irtil", "en", "."},
			},
		},
		{
			name:   "a repeated merge keeps its last rank",
			tokens: []string{"a", "b", "c", "ab", "bc"},
			merges: []string{"a b", "b c", "a b"},
			words:  map[string][]string{"abc": {"a", "bc"}, "abab": {"ab", "ab"}},
		},
		{
			name:   "merges as pairs",
			tokens: []string{"a", "b", "c", "ab", "bc"},
			merges: [][2]string{{"b", "c"}, {"a", "b"}},
			words:  map[string][]string{"abc": {"a", "bc"}},
		},
		{
			name:   "merges with a version line",
			tokens: []string{"a", "b", "c", "ab", "bc"},
			merges: []string{"#version: 0.2", "b c", "a b"},
			words:  map[string][]string{"abc": {"a", "bc"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestBPE(t, tt.tokens, tt.merges, tt.options)
			for word, want := range tt.words {
				// Twice: the second answer comes from the cache.
				for range 2 {
					toks, err := m.Tokenize(word)
					if err != nil {
						t.Fatalf("Tokenize(%q): %v", word, err)
					}
					var got []string
					for _, tok := range toks {
						got = append(got, tok.Value)
						if id, _ := m.TokenToID(tok.Value); id != tok.ID {
							t.Errorf("Tokenize(%q): token %q has id %d, vocabulary says %d", word, tok.Value, tok.ID, id)
						}
					}
					if !slices.Equal(got, want) {
						t.Errorf("Tokenize(%q) = %q, want %q", word, got, want)
					}
				}
			}
		})
	}
}

func TestBPEUnkNotInVocabulary(t *testing.T) {
	m := newTestBPE(t, []string{"a"}, []string{}, `"unk_token":"<nope>"`)
	if _, err := m.Tokenize("a"); err != nil {
		t.Fatalf("Tokenize(known) = %v", err)
	}
	_, err := m.Tokenize("b")
	var e *itemvec.Error
	if !errors.As(err, &e) || e.Code != CodeModel {
		t.Fatalf("Tokenize(unknown) error = %v, want Code %q", err, CodeModel)
	}
}

func TestDecodeBPEErrors(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		code string
	}{
		{"dropout", `{"dropout":0.1,"vocab":{"a":0},"merges":[]}`, CodeUnsupported},
		{"not an object", `[1]`, CodeInvalidConfig},
		{"no merges", `{"vocab":{"a":0}}`, CodeInvalidConfig},
		{"no vocab", `{"merges":[]}`, CodeInvalidConfig},
		{"null merges", `{"vocab":{"a":0},"merges":null}`, CodeInvalidConfig},
		{"merges of numbers", `{"vocab":{"a":0},"merges":[1]}`, CodeInvalidConfig},
		{"three-part merge", `{"vocab":{"a":0,"aa":1},"merges":["a a a"]}`, CodeInvalidConfig},
		{"one-part merge", `{"vocab":{"a":0},"merges":["a"]}`, CodeInvalidConfig},
		{"merge of unknown token", `{"vocab":{"a":0},"merges":["a b"]}`, CodeInvalidConfig},
		{"merge result unknown", `{"vocab":{"a":0,"b":1},"merges":[["a","b"]]}`, CodeInvalidConfig},
		{"right token shorter than prefix", `{"continuing_subword_prefix":"###","vocab":{"a":0,"b":1},"merges":["a b"]}`, CodeInvalidConfig},
		{"negative id", `{"vocab":{"a":-1},"merges":[]}`, CodeInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeBPE(json.RawMessage(tt.raw))
			var e *itemvec.Error
			if !errors.As(err, &e) || e.Code != tt.code {
				t.Fatalf("decodeBPE error = %v, want Code %q", err, tt.code)
			}
		})
	}
	if _, err := decodeBPE(json.RawMessage(`{"dropout":0,"vocab":{"a":0},"merges":[]}`)); err != nil {
		t.Errorf("dropout 0 (no dropout) refused: %v", err)
	}
}

func TestBPESparseIDs(t *testing.T) {
	m, err := decodeBPE(json.RawMessage(`{"vocab":{"a":0,"b":4000000000,"ab":7},"merges":["a b"]}`))
	if err != nil {
		t.Fatal(err)
	}
	toks, err := m.Tokenize("ab")
	if err != nil || len(toks) != 1 || toks[0] != (Token{ID: 7, Value: "ab"}) {
		t.Fatalf("Tokenize(ab) = %v, %v", toks, err)
	}
	if tok, ok := m.IDToToken(4000000000); !ok || tok != "b" {
		t.Errorf("IDToToken(4e9) = %q, %v", tok, ok)
	}
	if _, ok := m.IDToToken(5); ok {
		t.Error("IDToToken(5) found a token")
	}
	if m.VocabSize() != 3 {
		t.Errorf("VocabSize = %d", m.VocabSize())
	}
}

// TestBPEConcurrent runs one model from many goroutines (run with -race):
// the word cache and the scratch pool must be safe and must not change
// answers.
func TestBPEConcurrent(t *testing.T) {
	m := newTestBPE(t, []string{"a", "b", "aa", "ab", "aaa", "ba", "aab"},
		[]string{"a a", "a b", "aa a", "b a", "aa b"}, "")
	words := []string{"aaaa", "aaab", "abab", "aaaaa", "baab", "aaaaaaa", strings.Repeat("ab", 200)}
	want := map[string][]Token{}
	for _, w := range words {
		toks, err := m.Tokenize(w)
		if err != nil {
			t.Fatal(err)
		}
		want[w] = toks
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				w := words[(g+i)%len(words)]
				got, err := m.Tokenize(w)
				if err != nil || !slices.Equal(got, want[w]) {
					t.Errorf("Tokenize(%q) = %v, %v; want %v", w, got, err, want[w])
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestBPECacheBound(t *testing.T) {
	c := newBPECache(2)
	c.set("a", []Token{{ID: 1}})
	c.set("b", []Token{{ID: 2}})
	c.set("c", []Token{{ID: 3}})
	if _, ok := c.get("c"); ok {
		t.Error("a full cache took another word")
	}
	if toks, ok := c.get("a"); !ok || toks[0].ID != 1 {
		t.Errorf("get(a) = %v, %v", toks, ok)
	}
}

func FuzzBPETokenize(f *testing.F) {
	for _, s := range []string{"", "a", "accb", "é", "céc", "\xff\xfe", "a\x00b"} {
		f.Add(s)
	}
	models := []json.RawMessage{
		json.RawMessage(`{"unk_token":"<unk>","fuse_unk":true,"byte_fallback":true,"continuing_subword_prefix":"##","end_of_word_suffix":"</w>",
			"vocab":{"<unk>":0,"<0x61>":1,"<0xC3>":2,"a":3,"##b":4,"ab":5,"##b</w>":6,"ab</w>":7},"merges":["a ##b","a ##b</w>"]}`),
		json.RawMessage(`{"ignore_merges":true,"vocab":{"a":0,"b":1,"ab":2,"abab":3},"merges":["a b","ab ab"]}`),
	}
	var ms []Model
	for _, raw := range models {
		m, err := decodeBPE(raw)
		if err != nil {
			f.Fatal(err)
		}
		ms = append(ms, m)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range ms {
			toks, err := m.Tokenize(s)
			if err != nil {
				t.Fatal(err)
			}
			for _, tok := range toks {
				if v, ok := m.IDToToken(tok.ID); !ok || v != tok.Value {
					t.Fatalf("token %v is not in the vocabulary", tok)
				}
			}
		}
	})
}

// BenchmarkEncodeBPE encodes the parity corpus with Cohere's byte-level BPE
// tokenizer (NFC, ByteLevel with GPT-2's split, 75k merges) on one
// goroutine, truncation and padding off, and reports tokens per second
// (compare node testdata/tokenizers/bench.cjs --tokenizer …/cohere.json).
func BenchmarkEncodeBPE(b *testing.B) {
	benchmarkEncode(b, "tokenizers/cohere.json")
}
