package tokenizer

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/internal/testdeps"
)

// FuzzEncode feeds arbitrary bytes to every tokenizer with a golden: it
// must never panic, must refuse invalid UTF-8 with CodeInvalidUTF8, and
// must return ids, masks and type ids of one length.
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", " ", "[CLS]", "hello [MASK] world", "中文\u0000\u00ad😀", "a\xffb", "\xed\xa0\x80", "<s></s><|endoftext|>"} {
		f.Add(s, "pair")
	}
	tokenizers := fuzzTokenizers(f)
	f.Fuzz(func(t *testing.T, a, b string) {
		for name, tk := range tokenizers {
			cases := []struct {
				valid  bool
				encode func() (*Encoding, error)
			}{
				{utf8.ValidString(a), func() (*Encoding, error) { return tk.Encode(a) }},
				{utf8.ValidString(a) && utf8.ValidString(b), func() (*Encoding, error) { return tk.EncodePair(a, b) }},
			}
			for _, c := range cases {
				enc, err := c.encode()
				var e *itemvec.Error
				if err != nil && !errors.As(err, &e) {
					t.Fatalf("%s: error %v is not an *itemvec.Error", name, err)
				}
				switch {
				case !c.valid:
					if err == nil || e.Code != CodeInvalidUTF8 {
						t.Fatalf("%s: invalid UTF-8 %+q: got %v, want CodeInvalidUTF8", name, a+"|"+b, err)
					}
				case err != nil:
					if e.Code == CodeInvalidUTF8 {
						t.Fatalf("%s: valid UTF-8 %+q refused as invalid", name, a)
					}
				case len(enc.IDs) != len(enc.AttentionMask) || len(enc.IDs) != len(enc.TypeIDs) || len(enc.IDs) != len(enc.Tokens):
					t.Fatalf("%s: %+q: ids, mask, type ids and tokens differ in length", name, a)
				}
			}
		}
	})
}

// fuzzTokenizers loads the tokenizers of the goldens. A deps tokenizer
// that is not installed is left out, or fails the test when
// ITEMVEC_REQUIRE_DEPS=1.
func fuzzTokenizers(tb testing.TB) map[string]*Tokenizer {
	files, err := filepath.Glob("testdata/golden/*.golden.jsonl.gz")
	if err != nil {
		tb.Fatal(err)
	}
	out, missing := map[string]*Tokenizer{}, map[string]bool{}
	for _, f := range files {
		h := readGoldenHeader(tb, f)
		if _, seen := out[h.Source]; seen || missing[h.Source] {
			continue
		}
		path, ok := sourcePath(tb, h.Source)
		if path == "" {
			tb.Fatalf("%s: bad source %q: want deps: or repo:", f, h.Source)
		}
		if !ok {
			if testdeps.Required() {
				testdeps.Missing(tb, "%s: %s is missing: run make setup-test", h.Source, path)
			}
			tb.Logf("%s: %s is missing, not fuzzed: run make setup-test", h.Source, path)
			missing[h.Source] = true
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			tb.Fatalf("%s: %v", h.Source, err)
		}
		opts, err := h.Options.tokenizerOptions()
		if err != nil {
			tb.Fatal(err)
		}
		tk, err := FromJSON(data, opts...)
		if err != nil {
			tb.Fatalf("%s: %v", h.Source, err)
		}
		out[h.Source] = tk
	}
	if len(out) == 0 {
		testdeps.Missing(tb, "no tokenizer files for the %d goldens: run make setup-test", len(files))
	}
	return out
}

// FuzzFromJSON mutates a small tokenizer file: loading must fail with an
// *itemvec.Error or give a tokenizer that encodes without panicking.
func FuzzFromJSON(f *testing.F) {
	data, err := os.ReadFile("testdata/tiny.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := FromJSON(data)
		if err != nil {
			var e *itemvec.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *itemvec.Error", err)
			}
			return
		}
		for _, text := range []string{"", "My name is a [CLS] <mask> sku 12 café 中文 😀", "a\u0000b\u00ad"} {
			if _, err := tk.EncodePair(text, text); err != nil {
				var e *itemvec.Error
				if !errors.As(err, &e) {
					t.Fatalf("error %v is not an *itemvec.Error", err)
				}
			}
		}
	})
}
