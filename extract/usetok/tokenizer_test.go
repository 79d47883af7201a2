package usetok_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/extract/usetok"
)

// synthVocab is a small vocabulary whose expected encodings below were
// produced by the JavaScript tokenizer of @energetic-ai/embeddings 0.2.0
// itself (new EmbeddingsModel({vocabulary, model: null}).tokenizer.encode).
// It exercises the quirks the port keeps: the unknown piece's score of 0
// beats any real piece ending at the same place, a running best of exactly
// 0 counts as "none yet", and a piece listed twice keeps its last id.
const synthVocab = `[["\ufffd",0],["<s>",0],["</s>",0],["x1",0],["x2",0],["x3",0],
["\u2581",-2],["\u2581a",-1],["a",-2.5],["b",-3],["ab",-1.5],["\u2581ab",-5],["c",-4],["bc",-4],
["\u2581abc",-6.5],["é",-1],["ﬁ",-1],["fi",-0.5],["dup",-1],["dup",-9],["\u2581c",0]]`

func synth(t *testing.T) *usetok.Tokenizer {
	t.Helper()
	tok, err := usetok.Parse([]byte(synthVocab))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestEncodeLikeJavaScript(t *testing.T) {
	tok := synth(t)
	tests := []struct {
		name, text string
		want       []int64
	}{
		{"empty", "", []int64{}},
		{"one piece", "a", []int64{7}},
		{"best total score", "ab", []int64{6, 10}},
		{"longer pieces", "abc", []int64{7, 13}},
		{"space becomes separator", "a b", []int64{7, 6, 9}},
		{"space run", "a  b", []int64{7, 6, 6, 9}},
		{"unknown run merged", "zz", []int64{6, 0}},
		{"unknowns apart", "zaz", []int64{6, 0, 8, 0}},
		{"NFKC composes", "e\u0301", []int64{6, 15}},
		{"NFKC unfolds ligature; unknown beats a real piece", "\ufb01", []int64{6, 0}},
		{"duplicate piece keeps the later entry; unknown wins", "dup", []int64{6, 0}},
		{"score 0 counts as none yet", "c", []int64{6, 12}},
		{"repeat", "cc", []int64{6, 12, 12}},
		{"only a space", " ", []int64{6, 6}},
		{"tab is not a separator", "a\tb", []int64{7, 0, 9}},
		{"astral code point is one unknown", "\U0001F600a", []int64{6, 0, 8}},
		{"lattice", "abcabc", []int64{7, 13, 10, 12}},
		{"no-break space folds to space", "\u00a0a", []int64{6, 7}},
		{"ideographic space folds to space", "\u3000a", []int64{6, 7}},
		{"reserved pieces are never matched", "<s>", []int64{6, 0}},
		{"separator in the input", "\u2581a", []int64{6, 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tok.Encode(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Encode(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestEncodeInvalidUTF8(t *testing.T) {
	tok := synth(t)
	for _, text := range []string{"\xff", "ab\xc3", "a\xed\xa0\x80b" /* an encoded surrogate */} {
		ids, err := tok.Encode(text)
		var e *itemvec.Error
		if !errors.As(err, &e) || itemvec.CodeOf(err) != usetok.CodeInvalidText || itemvec.KindOf(err) != itemvec.KindBadInput {
			t.Fatalf("Encode(%q) = %v, %v; want a bad-input *itemvec.Error with CodeInvalidText", text, ids, err)
		}
		if e.Retryable() || itemvec.IsRetryable(err) {
			t.Errorf("Encode(%q): Retryable() = true for bad input", text)
		}
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ name, vocab string }{
		{"not JSON", `{`},
		{"not an array", `{"a": 1}`},
		{"too short", `[["\ufffd",0],["<s>",0]]`},
		{"entry not a pair", `[["\ufffd",0],["<s>",0],["</s>",0],["x1",0],["x2",0],["x3",0],["a"]]`},
		{"piece not a string", `[["\ufffd",0],["<s>",0],["</s>",0],["x1",0],["x2",0],["x3",0],[1,2]]`},
		{"score not a number", `[["\ufffd",0],["<s>",0],["</s>",0],["x1",0],["x2",0],["x3",0],["a","b"]]`},
		{"empty unknown piece", `[["",0],["<s>",0],["</s>",0],["x1",0],["x2",0],["x3",0],["a",-1]]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := usetok.Parse([]byte(tt.vocab))
			var e *itemvec.Error
			if !errors.As(err, &e) || itemvec.CodeOf(err) != usetok.CodeBadVocab || itemvec.KindOf(err) != itemvec.KindConfig {
				t.Fatalf("Parse = %v, want a config *itemvec.Error with CodeBadVocab", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := usetok.Load("/nonexistent/vocab.json")
	var e *itemvec.Error
	if !errors.As(err, &e) || itemvec.CodeOf(err) != usetok.CodeBadVocab || itemvec.KindOf(err) != itemvec.KindConfig {
		t.Fatalf("Load = %v, want a config *itemvec.Error with CodeBadVocab", err)
	}
}

func TestUnknownRatio(t *testing.T) {
	tok := synth(t)
	tests := []struct {
		name string
		ids  []int64
		want float64
	}{
		{"none", nil, 0},
		{"only separators", []int64{6, 6}, 0},
		{"all known", []int64{7, 6, 9}, 0},
		{"separator and unknown", []int64{6, 0}, 1},
		{"half", []int64{7, 6, 0}, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tok.UnknownRatio(tt.ids); got != tt.want {
				t.Errorf("UnknownRatio(%v) = %v, want %v", tt.ids, got, tt.want)
			}
		})
	}
}

func TestPieceAndLen(t *testing.T) {
	tok := synth(t)
	if tok.Len() != 21 {
		t.Errorf("Len() = %d, want 21", tok.Len())
	}
	if got := tok.Piece(7); got != "\u2581a" {
		t.Errorf("Piece(7) = %q", got)
	}
	if got := tok.Piece(-1) + tok.Piece(21); got != "" {
		t.Errorf("Piece out of range = %q, want empty", got)
	}
}

func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", "a b", "abcabc", "\ufb01 \u3000 \U0001F600", "\xff", strings.Repeat("ab ", 50)} {
		f.Add(s)
	}
	tok, err := usetok.Parse([]byte(synthVocab))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ids, err := tok.Encode(text)
		if err != nil {
			return
		}
		for _, id := range ids {
			if id < 0 || id >= int64(tok.Len()) {
				t.Fatalf("Encode(%q) gave id %d outside the vocabulary", text, id)
			}
		}
	})
}
