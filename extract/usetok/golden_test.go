package usetok_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/itemvec/itemvec/extract/usetok"
	"github.com/itemvec/itemvec/internal/testdeps"
)

var update = flag.Bool("update", false,
	"regenerate testdata/use/tokens.golden.json and vectors.golden.json.gz with the npm package's own pipeline (needs node and `npm ci` in testdata/use)")

const (
	vocabFile     = "use/vocab.json"
	sentencesFile = "testdata/use/sentences.json"
	tokensFile    = "testdata/use/tokens.golden.json"
	vectorsFile   = "testdata/use/vectors.golden.json.gz"
)

// tokensGolden is what testdata/use/reference.cjs writes to tokens.golden.json.
type tokensGolden struct {
	VocabSHA256 string `json:"vocab_json_sha256"`
	Tokens      []struct {
		Text string  `json:"text"`
		IDs  []int64 `json:"ids"`
	} `json:"tokens"`
}

func loadTokens(t *testing.T, root string) tokensGolden {
	t.Helper()
	if *update {
		cmd := exec.Command("node", "testdata/use/reference.cjs", sentencesFile, tokensFile, vectorsFile)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("regenerating the goldens: %v\n%s", err, out)
		}
	}
	data, err := os.ReadFile(filepath.Join(root, tokensFile))
	if err != nil {
		t.Fatal(err)
	}
	var g tokensGolden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("%s: %v", tokensFile, err)
	}
	return g
}

func loadSentences(t *testing.T, root string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, sentencesFile))
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("%s: %v", sentencesFile, err)
	}
	return s
}

// TestGolden encodes every sentence of testdata/use/sentences.json and
// requires exactly the ids the package's own JavaScript tokenizer gave.
func TestGolden(t *testing.T) {
	root := testdeps.Root(t)
	vocab := testdeps.Require(t, vocabFile)[0]
	g := loadTokens(t, root)
	sentences := loadSentences(t, root)

	data, err := os.ReadFile(vocab)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != g.VocabSHA256 {
		t.Fatalf("%s has sha256 %x, the golden was made with %s: rerun make setup", vocab, sum, g.VocabSHA256)
	}
	tok, err := usetok.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Tokens) != len(sentences) || len(sentences) < 200 {
		t.Fatalf("golden has %d sentences, %s %d (want the same, at least 200): regenerate with -update", len(g.Tokens), sentencesFile, len(sentences))
	}
	pieces := 0
	for i, want := range g.Tokens {
		if want.Text != sentences[i] {
			t.Fatalf("golden sentence %d is %q, %s has %q: regenerate with -update", i, want.Text, sentencesFile, sentences[i])
		}
		got, err := tok.Encode(want.Text)
		if err != nil {
			t.Errorf("Encode(%q): %v", want.Text, err)
			continue
		}
		if !slices.Equal(got, want.IDs) {
			t.Errorf("Encode(%q)\n got %v\nwant %v", want.Text, got, want.IDs)
		}
		pieces += len(got)
	}
	t.Logf("%d sentences, %d pieces: identical to @energetic-ai/embeddings", len(sentences), pieces)
}

// TestUnknownRatioOnRealText checks that the ratio separates what the
// English-only model can read from what it cannot: every sentence of the
// golden corpus written only in CJK scripts scores at least 0.5, every
// plain English product title below 0.1.
func TestUnknownRatioOnRealText(t *testing.T) {
	tok, err := usetok.Load(testdeps.Require(t, vocabFile)[0])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text     string
		min, max float64
	}{
		{"无线蓝牙耳机 主动降噪 超长续航", 1, 1},
		{"这是一个很好的产品，我非常喜欢。", 0.5, 1},
		{"ワイヤレスイヤホン ノイズキャンセリング", 1, 1},
		{"무선 블루투스 이어폰", 1, 1},
		{"😀", 1, 1},
		{"iPhone 15 手机壳", 0.1, 0.5},
		{"Sony WH-1000XM5 Wireless Noise Cancelling Headphones, Black", 0, 0.1},
		{"Made from 100% organic cotton, this t-shirt is soft, breathable and built to last.", 0, 0},
		{"Café au lait crème brûlée", 0, 0.1},
		{"", 0, 0},
	}
	for _, tt := range tests {
		ids, err := tok.Encode(tt.text)
		if err != nil {
			t.Fatal(err)
		}
		r := tok.UnknownRatio(ids)
		t.Logf("%.2f %q", r, tt.text)
		if r < tt.min || r > tt.max {
			t.Errorf("UnknownRatio(%q) = %.3f, want in [%g, %g] (ids %v)", tt.text, r, tt.min, tt.max, ids)
		}
	}
	// Every English title of the corpus (its first 110 entries) reads fine.
	for _, s := range loadSentences(t, testdeps.Root(t))[:110] {
		ids, err := tok.Encode(s)
		if err != nil {
			t.Errorf("Encode(%q): %v, want no error", s, err)
			continue
		}
		if r := tok.UnknownRatio(ids); r >= 0.1 {
			t.Errorf("English title %q: UnknownRatio %.3f, want < 0.1", s, r)
		}
		if strings.TrimSpace(s) == "" {
			t.Errorf("corpus entry %q is not a title", s)
		}
	}
}
