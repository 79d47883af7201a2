package standin_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/itemvec/itemvec/extract/tokenizer"
	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/onnx/convert/standin"
	"github.com/itemvec/itemvec/workers/modelspec"
)

var update = flag.Bool("update", false,
	"regenerate testdata/textenc/standin_vectors.golden.json with Hugging Face tokenizers and onnxruntime-node (needs node and `npm ci` in testdata/textenc)")

const (
	goldenFile    = "testdata/textenc/standin_vectors.golden.json"
	linesFile     = "testdata/textenc/lines.jsonl"
	tokenizerFile = "tokenizers/bert-base-uncased.json" // under .deps
	ortLibrary    = "ort/" + onnx.ORTLibraryName        // under .deps
	maxLength     = 128
	minCosine     = 0.9999
	paddingTol    = 1e-5
)

// golden is what testdata/textenc/encode.cjs writes.
type golden struct {
	ORTNodeVersion    string       `json:"onnxruntime_node_version"`
	TokenizersVersion string       `json:"tokenizers_version"`
	ModelSHA256       string       `json:"model_sha256"`
	TokenizerSHA256   string       `json:"tokenizer_sha256"`
	LinesSHA256       string       `json:"lines_sha256"`
	MaxLength         int          `json:"max_length"`
	Pooling           string       `json:"pooling"`
	Normalize         bool         `json:"normalize"`
	Items             []goldenItem `json:"items"`
}

type goldenItem struct {
	Line      int       `json:"line"`
	Tokens    int       `json:"tokens"`
	Truncated bool      `json:"truncated"`
	IDs       []int64   `json:"ids"`
	Vector    []float64 `json:"vector"`
}

// corpus is the parity corpus: the lines, the golden and the default
// stand-in written to a temporary file.
type corpus struct {
	Lines     []string
	Golden    *golden
	ModelPath string
	Tokenizer string // path of bert-base-uncased.json
}

var regenerate sync.Once

// loadCorpus reads the lines and the golden (regenerating the golden first,
// once per test binary, under -update) and checks that the golden was made
// from the same lines, tokenizer and stand-in that this test uses.
func loadCorpus(t testing.TB) *corpus {
	t.Helper()
	tokPath := testdeps.RequireTest(t, tokenizerFile)[0]
	root := testdeps.Root(t)
	model := build(t, standin.Config{})
	modelPath := filepath.Join(t.TempDir(), "bert_standin_text.onnx")
	if err := os.WriteFile(modelPath, model, 0o644); err != nil {
		t.Fatal(err)
	}
	goldenPath := filepath.Join(root, goldenFile)
	if *update {
		var err error
		regenerate.Do(func() { err = writeGolden(t, modelPath, tokPath, goldenPath) })
		if err != nil {
			t.Fatalf("regenerate %s: %v", goldenFile, err)
		}
	}
	data, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (regenerate with go test ./onnx/standin -run Parity -update)", err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("%s: %v", goldenFile, err)
	}
	linesData, err := os.ReadFile(filepath.Join(root, linesFile))
	if err != nil {
		t.Fatal(err)
	}
	tokData, err := os.ReadFile(tokPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, got, want string }{
		{"the stand-in model (onnx/standin changed)", sha256Hex(model), g.ModelSHA256},
		{linesFile, sha256Hex(linesData), g.LinesSHA256},
		{tokPath, sha256Hex(tokData), g.TokenizerSHA256},
	} {
		if c.got != c.want {
			t.Fatalf("%s has sha256 %s but the golden was made from %s: regenerate it with go test ./onnx/standin -run Parity -update", c.what, c.got, c.want)
		}
	}
	lines := readLines(t, linesData)
	if len(lines) != len(g.Items) || len(lines) < 100 {
		t.Fatalf("%d lines, %d golden items; want the same number, at least 100", len(lines), len(g.Items))
	}
	if g.MaxLength != maxLength || g.Pooling != "mean" || !g.Normalize {
		t.Fatalf("golden made with max_length %d, pooling %q, normalize %v; want %d, mean, true", g.MaxLength, g.Pooling, g.Normalize, maxLength)
	}
	return &corpus{Lines: lines, Golden: &g, ModelPath: modelPath, Tokenizer: tokPath}
}

func readLines(t testing.TB, data []byte) []string {
	t.Helper()
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var l struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Text == "" {
			t.Fatalf("%s line %d: want {\"text\": \"...\"} (%v)", linesFile, len(lines)+1, err)
		}
		lines = append(lines, l.Text)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// writeGolden runs testdata/textenc/encode.cjs on the stand-in.
func writeGolden(t testing.TB, modelPath, tokPath, goldenPath string) error {
	t.Helper()
	dir := filepath.Dir(goldenPath)
	for _, pkg := range []string{"onnxruntime-node", "tokenizers"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg)); err != nil {
			t.Fatalf("%s is not installed: run `npm ci` in %s (%v)", pkg, dir, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "encode.cjs", "--model", modelPath, "--tokenizer", tokPath,
		"--max-length", fmt.Sprint(maxLength), filepath.Base(linesFile), filepath.Base(goldenPath))
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("node encode.cjs: %w\n%s", err, out)
	}
	return nil
}

// textSession opens the stand-in as the example spec says: mean pooling,
// normalised, at most 128 tokens.
func textSession(t testing.TB, modelPath string) *onnx.TextSession {
	t.Helper()
	lib := testdeps.Require(t, ortLibrary)[0]
	env, err := onnx.InitEnvironment(onnx.EnvConfig{LibraryPath: lib, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Close() })
	spec, err := modelspec.Load(filepath.Join(testdeps.Root(t), "workers", "modelspec", "specs", "bert-standin-text.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := onnx.NewTextSession(t.Context(), env, modelPath, spec.Text.TextSpec, onnx.SessionConfig{Device: onnx.DeviceCPU, IntraOpThreads: 1, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := spec.CheckTextModel(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// runBatches embeds texts in batches of batch, in order, so short texts
// are padded to longer ones.
func runBatches(t testing.TB, s *onnx.TextSession, texts [][]int64, batch int) [][]float32 {
	t.Helper()
	var out [][]float32
	for start := 0; start < len(texts); start += batch {
		vecs, err := s.Run(t.Context(), texts[start:min(start+batch, len(texts))], nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, vecs...)
	}
	return out
}

// compareToGolden requires cosine ≥ minCosine between every vector and
// its golden one, and logs the worst cosine and absolute difference.
func compareToGolden(t *testing.T, g *golden, got [][]float32) {
	t.Helper()
	minCos, worstLine, maxDiff := 2.0, 0, 0.0
	for i, it := range g.Items {
		var dot, na, nb float64
		for j, want := range it.Vector {
			v := float64(got[i][j])
			dot += v * want
			na += v * v
			nb += want * want
			maxDiff = max(maxDiff, math.Abs(v-want))
		}
		cos := dot / math.Sqrt(na*nb)
		if cos < minCos || math.IsNaN(cos) {
			minCos, worstLine = cos, it.Line
		}
		if !(cos >= minCosine) {
			t.Errorf("line %d (%d tokens): cosine %.7f with the reference, want at least %v", it.Line, it.Tokens, cos, minCosine)
		}
	}
	t.Logf("%d lines: min cosine %.12f (1 - %.2g, line %d), max abs diff %.3g (ORT %s, tokenizers %s in the reference)",
		len(g.Items), minCos, 1-minCos, worstLine, maxDiff, g.ORTNodeVersion, g.TokenizersVersion)
}

// TestParity compares the Go text path with the independent reference of
// testdata/textenc: Hugging Face tokenizers + onnxruntime-node, each text
// run alone, mean-pooled and normalised in JavaScript.
func TestParity(t *testing.T) {
	c := loadCorpus(t)
	s := textSession(t, c.ModelPath)

	t.Run("reference ids", func(t *testing.T) {
		ids := make([][]int64, len(c.Golden.Items))
		for i, it := range c.Golden.Items {
			ids[i] = it.IDs
		}
		compareToGolden(t, c.Golden, runBatches(t, s, ids, 16))
	})

	t.Run("go tokenizer", func(t *testing.T) {
		tok, err := tokenizer.Load(c.Tokenizer, tokenizer.WithTruncation(tokenizer.Truncation{MaxLength: maxLength}), tokenizer.WithoutPadding())
		if err != nil {
			t.Fatal(err)
		}
		ids := make([][]int64, len(c.Lines))
		mismatched := 0
		for i, line := range c.Lines {
			enc, err := tok.Encode(line)
			if err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
			ids[i] = enc.IDs
			if want := c.Golden.Items[i].IDs; !slices.Equal(enc.IDs, want) {
				mismatched++
				t.Errorf("line %d: the Go tokenizer gives %d ids %v, Hugging Face %d %v", i+1, len(enc.IDs), enc.IDs, len(want), want)
			}
		}
		if mismatched > 0 {
			t.Logf("%d of %d lines tokenized differently", mismatched, len(c.Lines))
		}
		compareToGolden(t, c.Golden, runBatches(t, s, ids, 16))
	})

	t.Run("padding changes nothing", func(t *testing.T) {
		ids := make([][]int64, len(c.Golden.Items))
		for i, it := range c.Golden.Items {
			ids[i] = it.IDs
		}
		batched := runBatches(t, s, ids, 16)
		alone := runBatches(t, s, ids, 1)
		worst := 0.0
		for i := range ids {
			for j := range alone[i] {
				worst = max(worst, math.Abs(float64(alone[i][j]-batched[i][j])))
			}
		}
		if !(worst <= paddingTol) {
			t.Fatalf("vectors change by up to %g when texts are batched with longer ones; want at most %g", worst, paddingTol)
		}
		t.Logf("%d lines alone vs in batches of 16: max abs diff %.3g", len(ids), worst)
	})
}
