package tokenizer

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/internal/testdeps"
)

// fixtureCharsmap returns the Precompiled normalizer object of the XLM-R style
// fixture (SentencePiece's nmt_nfkc rules).
func fixtureCharsmap(tb testing.TB) json.RawMessage {
	tb.Helper()
	data, err := os.ReadFile("testdata/tokenizers/spm-unigram.json")
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		Normalizer struct {
			Normalizers []json.RawMessage `json:"normalizers"`
		} `json:"normalizer"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		tb.Fatal(err)
	}
	for _, raw := range doc.Normalizer.Normalizers {
		if typ, _, _ := componentHeader(raw); typ == "Precompiled" {
			return raw
		}
	}
	tb.Fatal("spm-unigram.json has no Precompiled normalizer")
	return nil
}

func fixturePrecompiled(tb testing.TB) *precompiledNormalizer {
	tb.Helper()
	n, err := decodePrecompiled(fixtureCharsmap(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return n.(*precompiledNormalizer)
}

// The expectations were taken from Hugging Face's tokenizers 0.23.2.
func TestPrecompiledNormalize(t *testing.T) {
	n := fixturePrecompiled(t)
	tests := []struct{ name, in, want string }{
		{"plain text is kept", "Hello, world", "Hello, world"},
		{"full width to ASCII", "ＡＢＣ１２３", "ABC123"},
		{"decomposed to composed", "e\u0301", "é"},
		{"compatibility forms", "ﬁ ㎏ Ⅻ", "fi kg XII"},
		{"a cluster becomes its first character's mapping", "Ａ\u0301", "A"},
		{"CR LF is one cluster, mapped as CR", "a\r\nb", "a b"},
		{"tab, LF and CR become spaces", "\t\n\r", "   "},
		{"zero width space becomes a space", "a\u200bb", "a b"},
		{"byte order mark becomes a space", "\ufeffBOM", " BOM"},
		{"ideographic space", "\u3000x", " x"},
		{"NUL ends a trie key and stays", "a\x00b", "a\x00b"},
		{"clusters of 6 bytes or more go character by character", "１\ufe0f\u20e3", "1\ufe0f\u20e3"},
		{"emoji with a skin tone are kept", "👍🏽", "👍🏽"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := n.Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
		})
	}
}

// precompiledOracle is testdata/precompiled_oracle.json.gz, written by
// testdata/tokenizers/precompiled_oracle.cjs from Hugging Face's own
// normalizer.
type precompiledOracle struct {
	Version   string            `json:"hf_tokenizers_version"`
	Single    map[string]string `json:"single"`
	NBSPJoins [][2]rune         `json:"nbsp_joins"`
	Cases     [][2]string       `json:"cases"`
}

// TestPrecompiledOracle checks every code point, every code point after
// U+00A0 (which decides whether it joins the cluster) and seeded random
// strings against what Hugging Face's Precompiled normalizer makes of them.
// With -update it first rewrites the oracle (node and npm ci in
// testdata/tokenizers at the repository root).
func TestPrecompiledOracle(t *testing.T) {
	if *update {
		cmd := exec.Command("node", "precompiled_oracle.cjs")
		cmd.Dir = filepath.Join(testdeps.Root(t), "testdata", "tokenizers")
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("node precompiled_oracle.cjs (needs npm ci in %s): %v\n%s", cmd.Dir, err, msg)
		}
	}
	var oracle precompiledOracle
	readGzipJSON(t, "testdata/precompiled_oracle.json.gz", &oracle)
	single := make(map[rune]string, len(oracle.Single))
	for k, v := range oracle.Single {
		cp, err := strconv.ParseUint(k, 16, 32)
		if err != nil {
			t.Fatal(err)
		}
		single[rune(cp)] = v
	}
	alone := func(r rune) string {
		if s, ok := single[r]; ok {
			return s
		}
		return string(r)
	}
	n := fixturePrecompiled(t)
	var bad []string
	report := func(in, got, want string) {
		bad = append(bad, fmt.Sprintf("%+q: got %+q, HF %+q", in, got, want))
	}

	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		if got := n.Normalize(string(r)); got != alone(r) {
			report(string(r), got, alone(r))
		}
	}
	joins := func(r rune) bool {
		for _, rg := range oracle.NBSPJoins {
			if rg[0] <= r && r <= rg[1] {
				return true
			}
		}
		return false
	}
	for r := rune(0); r <= 0xFFFF; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		in := "\u00a0" + string(r)
		want := " " + alone(r)
		if joins(r) {
			want = " "
		}
		if got := n.Normalize(in); got != want {
			report(in, got, want)
		}
	}
	for _, c := range oracle.Cases {
		if got := n.Normalize(c[0]); got != c[1] {
			report(c[0], got, c[1])
		}
	}
	if len(bad) > 0 {
		t.Errorf("%d inputs normalize unlike Hugging Face, first: %v", len(bad), bad[:min(len(bad), 20)])
	}
}

// charsmapBlob builds a charsmap from trie units and replacement strings.
func charsmapBlob(units []uint32, replacements string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(4*len(units)))
	for _, u := range units {
		b = binary.LittleEndian.AppendUint32(b, u)
	}
	return append(b, replacements...)
}

func TestDecodePrecompiledErrors(t *testing.T) {
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	valid := charsmapBlob([]uint32{0}, "x\x00")
	tests := []struct{ name, cfg string }{
		{"missing charsmap", `{"type":"Precompiled"}`},
		{"null charsmap", `{"type":"Precompiled","precompiled_charsmap":null}`},
		{"charsmap not a string", `{"type":"Precompiled","precompiled_charsmap":[1,2]}`},
		{"empty charsmap", `{"type":"Precompiled","precompiled_charsmap":""}`},
		{"not base64", `{"type":"Precompiled","precompiled_charsmap":"AA AA"}`},
		{"URL-safe base64", `{"type":"Precompiled","precompiled_charsmap":"AA-_"}`},
		{"line breaks", `{"type":"Precompiled","precompiled_charsmap":"AAAA\nAAAA"}`},
		{"trailing bits", `{"type":"Precompiled","precompiled_charsmap":"AAAAAB=="}`},
		{"short header", `{"type":"Precompiled","precompiled_charsmap":"` + b64([]byte{4, 0}) + `"}`},
		{"trie past the end", `{"type":"Precompiled","precompiled_charsmap":"` + b64([]byte{8, 0, 0, 0, 1, 2, 3, 4}) + `"}`},
		{"empty trie", `{"type":"Precompiled","precompiled_charsmap":"` + b64([]byte{0, 0, 0, 0, 'a', 0}) + `"}`},
		{"replacements not UTF-8", `{"type":"Precompiled","precompiled_charsmap":"` + b64(append(valid, 0xff)) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodePrecompiled(json.RawMessage(tt.cfg))
			var e *itemvec.Error
			if !errors.As(err, &e) || e.Code != CodeInvalidConfig {
				t.Fatalf("decodePrecompiled(%s) error = %v, want a %s *itemvec.Error", tt.cfg, err, CodeInvalidConfig)
			}
		})
	}
	// Unpadded base64 loads, as in HF.
	raw := b64(valid)
	cfg := `{"type":"Precompiled","precompiled_charsmap":"` + strings.TrimRight(raw, "=") + `"}`
	if _, err := decodePrecompiled(json.RawMessage(cfg)); err != nil {
		t.Errorf("unpadded charsmap: %v", err)
	}
}

func FuzzPrecompiledNormalize(f *testing.F) {
	blob, err := decodePrecompiledBase64(func() string {
		var cfg struct {
			Charsmap string `json:"precompiled_charsmap"`
		}
		if err := json.Unmarshal(fixtureCharsmap(f), &cfg); err != nil {
			f.Fatal(err)
		}
		return cfg.Charsmap
	}())
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(nil), "ＡＢＣ e\u0301 \r\n\x00")
	f.Add(charsmapBlob([]uint32{0xffffffff, 0x100, 0x61}, "x"), "abc")
	f.Add(charsmapBlob([]uint32{1 << 10, 0x161, 0x7fffffff}, "é\x00"), "a\xff\xc3")
	f.Fuzz(func(t *testing.T, charsmap []byte, s string) {
		if len(charsmap) == 0 {
			charsmap = blob
		}
		n, err := newPrecompiled(charsmap)
		if err != nil {
			return
		}
		out := n.Normalize(s)
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("Normalize(%+q) = %+q, not UTF-8", s, out)
		}
	})
}
