package extract

import (
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/internal/testdeps"
)

// The sample text mixes accents, punctuation, Chinese (unknown to both
// vocabularies) and a special-token literal.
const sampleText = "Héllo wörld! 你好 [MASK] test"

func openBERT(t *testing.T, maxLength int) TextTokenizer {
	t.Helper()
	path := testdeps.RequireTest(t, "tokenizers/bert-base-uncased.json")[0]
	tok, err := OpenTokenizer(TextPrep{}, path, maxLength)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func openUSE(t *testing.T, maxLength int) TextTokenizer {
	t.Helper()
	path := testdeps.Require(t, "models/use_lite_vocab.json")[0]
	tok, err := OpenTokenizer(TextPrep{TokenizerKind: TokenizerUSE}, path, maxLength)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestOpenTokenizerHF(t *testing.T) {
	tests := []struct {
		name      string
		kind      string
		maxLength int
		wantIDs   []int64
		wantToks  []string
	}{
		{"default kind", "", 128,
			[]int64{101, 7592, 2088, 999, 100, 100, 103, 3231, 102},
			[]string{"[CLS]", "hello", "world", "!", "[UNK]", "[UNK]", "[MASK]", "test", "[SEP]"}},
		{"hf kind", TokenizerHF, 128,
			[]int64{101, 7592, 2088, 999, 100, 100, 103, 3231, 102},
			[]string{"[CLS]", "hello", "world", "!", "[UNK]", "[UNK]", "[MASK]", "test", "[SEP]"}},
		{"truncated", "", 4,
			[]int64{101, 7592, 2088, 102},
			[]string{"[CLS]", "hello", "world", "[SEP]"}},
		{"special tokens only", "", 2,
			[]int64{101, 102},
			[]string{"[CLS]", "[SEP]"}},
	}
	path := testdeps.RequireTest(t, "tokenizers/bert-base-uncased.json")[0]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := OpenTokenizer(TextPrep{TokenizerKind: tt.kind}, path, tt.maxLength)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tok.Tokenize(sampleText)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.IDs, tt.wantIDs) {
				t.Errorf("IDs = %v, want %v", got.IDs, tt.wantIDs)
			}
			if want := slices.Repeat([]int64{1}, len(tt.wantIDs)); !slices.Equal(got.AttentionMask, want) {
				t.Errorf("AttentionMask = %v, want %v", got.AttentionMask, want)
			}
			if want := make([]int64, len(tt.wantIDs)); !slices.Equal(got.TypeIDs, want) {
				t.Errorf("TypeIDs = %v, want %v", got.TypeIDs, want)
			}
			if got.UnknownShare != 0 {
				t.Errorf("UnknownShare = %v, want 0 (a Hugging Face tokenizer cannot tell)", got.UnknownShare)
			}
			if pieces := tok.Pieces(got); !slices.Equal(pieces, tt.wantToks) {
				t.Errorf("Pieces = %q, want %q", pieces, tt.wantToks)
			}
		})
	}
}

func TestOpenTokenizerUSE(t *testing.T) {
	full := openUSE(t, 1000)
	tests := []struct {
		name       string
		text       string
		wantIDs    []int64 // nil: not checked
		minUnknown float64
		maxUnknown float64
	}{
		{"english", "red shoes", []int64{1181, 4064}, 0, 0},
		{"english title", "Red leather shoes for men", []int64{2157, 7440, 4064, 22, 646}, 0, 0},
		{"chinese", "红色杯子 你好世界", nil, 0.5, 1},
		{"empty", "", []int64{}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := full.Tokenize(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantIDs != nil && !slices.Equal(got.IDs, tt.wantIDs) {
				t.Errorf("IDs = %v, want %v", got.IDs, tt.wantIDs)
			}
			if got.AttentionMask != nil || got.TypeIDs != nil {
				t.Errorf("AttentionMask = %v, TypeIDs = %v; want nil (all 1, all 0)", got.AttentionMask, got.TypeIDs)
			}
			if got.UnknownShare < tt.minUnknown || got.UnknownShare > tt.maxUnknown {
				t.Errorf("UnknownShare = %v, want in [%v, %v]", got.UnknownShare, tt.minUnknown, tt.maxUnknown)
			}
		})
	}

	t.Run("truncated", func(t *testing.T) {
		all, err := full.Tokenize(sampleText)
		if err != nil {
			t.Fatal(err)
		}
		if len(all.IDs) <= 10 {
			t.Fatalf("%q has %d ids; the test needs more than 10", sampleText, len(all.IDs))
		}
		got, err := openUSE(t, 10).Tokenize(sampleText)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.IDs, all.IDs[:10]) {
			t.Errorf("IDs = %v, want the first 10 of %v", got.IDs, all.IDs)
		}
		// The unknown share is that of the ids kept: the Chinese is cut off.
		if all.UnknownShare == 0 || got.UnknownShare != 0 {
			t.Errorf("UnknownShare = %v truncated, %v in full; want 0 and more", got.UnknownShare, all.UnknownShare)
		}
	})

	t.Run("pieces", func(t *testing.T) {
		tok := openUSE(t, 3)
		got, err := tok.Tokenize("Red leather shoes for men")
		if err != nil {
			t.Fatal(err)
		}
		// One piece per id kept: itemvec embed --tokens shows what the
		// model is given.
		want := []string{"▁Red", "▁leather", "▁shoes"}
		if pieces := tok.Pieces(got); !slices.Equal(pieces, want) {
			t.Errorf("Pieces = %q, want %q", pieces, want)
		}
	})
}

func TestOpenTokenizerInvalidUTF8(t *testing.T) {
	tests := []struct {
		name     string
		tok      func(*testing.T) TextTokenizer
		wantCode string
	}{
		{"hf", func(t *testing.T) TextTokenizer { return openBERT(t, 128) }, "invalid_utf8"},
		{"use", func(t *testing.T) TextTokenizer { return openUSE(t, 128) }, "invalid_text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := tt.tok(t)
			_, err := tok.Tokenize("red \xff shoes")
			if itemvec.KindOf(err) != itemvec.KindBadInput || itemvec.CodeOf(err) != tt.wantCode || itemvec.IsRetryable(err) {
				t.Errorf("Tokenize = %v (kind %s, code %q), want a bad-input %q error, not retryable",
					err, itemvec.KindOf(err), itemvec.CodeOf(err), tt.wantCode)
			}
		})
	}
}

func TestOpenTokenizerErrors(t *testing.T) {
	bert := testdeps.RequireTest(t, "tokenizers/bert-base-uncased.json")[0]
	use := testdeps.Require(t, "models/use_lite_vocab.json")[0]
	missing := filepath.Join(t.TempDir(), "no-such-tokenizer.json")
	tests := []struct {
		name      string
		prep      TextPrep
		path      string
		maxLength int
		wantCode  string
		wantMsg   string // a substring of the message
		notExist  bool   // the error wraps fs.ErrNotExist
	}{
		{"zero max length", TextPrep{}, bert, 0, CodeInvalidSpec, "text max length 0: want at least 1 token", false},
		{"negative max length", TextPrep{TokenizerKind: TokenizerUSE}, use, -1, CodeInvalidSpec, "text max length -1", false},
		{"unknown kind", TextPrep{TokenizerKind: "spm"}, bert, 128, CodeInvalidSpec, `tokenizer_kind "spm"`, false},
		{"hf file missing", TextPrep{}, missing, 128, "read", "tokenizer file " + missing + ": tokenizer: cannot read tokenizer file", true},
		{"use file missing", TextPrep{TokenizerKind: TokenizerUSE}, missing, 128, "bad_vocab", "tokenizer file " + missing + ": usetok: reading the vocabulary", true},
		{"hf given the USE vocabulary", TextPrep{}, use, 128, "invalid_config", "tokenizer file " + use + ": tokenizer: ", false},
		{"use given a tokenizer.json", TextPrep{TokenizerKind: TokenizerUSE}, bert, 128, "bad_vocab", "tokenizer file " + bert + ": usetok: ", false},
		{"no room for the special tokens", TextPrep{}, bert, 1, "invalid_config", "leaves no room for the 2 special tokens", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := OpenTokenizer(tt.prep, tt.path, tt.maxLength)
			if err == nil {
				t.Fatalf("OpenTokenizer = %T, want an error", tok)
			}
			e, ok := errors.AsType[*itemvec.Error](err)
			if !ok || e.Op != "extract.OpenTokenizer" {
				t.Errorf("error %v (%T): want an *itemvec.Error of op extract.OpenTokenizer", err, err)
			}
			if itemvec.KindOf(err) != itemvec.KindConfig || itemvec.CodeOf(err) != tt.wantCode || itemvec.IsRetryable(err) {
				t.Errorf("error %v: kind %s, code %q; want %s, %q, not retryable",
					err, itemvec.KindOf(err), itemvec.CodeOf(err), itemvec.KindConfig, tt.wantCode)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q, want it to contain %q", err, tt.wantMsg)
			}
			if errors.Is(err, fs.ErrNotExist) != tt.notExist {
				t.Errorf("errors.Is(%v, fs.ErrNotExist) = %v, want %v", err, !tt.notExist, tt.notExist)
			}
		})
	}
}

// A TextTokenizer is shared by a worker's goroutines.
func TestTextTokenizerConcurrent(t *testing.T) {
	for name, tok := range map[string]TextTokenizer{"hf": openBERT(t, 128), "use": openUSE(t, 128)} {
		t.Run(name, func(t *testing.T) {
			want, err := tok.Tokenize(sampleText)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					for range 20 {
						got, err := tok.Tokenize(sampleText)
						if err != nil || !slices.Equal(got.IDs, want.IDs) {
							t.Errorf("Tokenize = %v, %v; want %v", got.IDs, err, want.IDs)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}
