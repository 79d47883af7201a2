//go:build cgo

package tfgraph_test

import (
	"compress/gzip"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/itemvec/itemvec/extract/usetok"
	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/onnx/convert/tfgraph"
)

const (
	// minCosine and maxAbsDiff bound, for every sentence, how far the ONNX
	// model's vector may be from the npm package's own.
	minCosine  = 0.9999
	maxAbsDiff = 1e-4
	// parityBatch is how many sentences go through ONNX Runtime at once, so
	// the parity test also covers padding within a batch.
	parityBatch = 16
)

// vectorsGolden is what testdata/use/reference.cjs writes (gzipped) to
// vectors.golden.json.gz.
type vectorsGolden struct {
	Packages    map[string]string `json:"packages"`
	TFJS        map[string]string `json:"tfjs"`
	Backend     string            `json:"backend"`
	ModelSHA256 string            `json:"model_json_sha256"`
	VocabSHA256 string            `json:"vocab_json_sha256"`
	Dim         int               `json:"dim"`
	Vectors     []struct {
		Text   string    `json:"text"`
		Via    string    `json:"via"`
		Vector []float32 `json:"vector"`
	} `json:"vectors"`
}

func loadVectors(t *testing.T) vectorsGolden {
	t.Helper()
	f, err := os.Open(filepath.Join(testdeps.Root(t), "testdata/use/vectors.golden.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var g vectorsGolden
	if err := json.NewDecoder(zr).Decode(&g); err != nil {
		t.Fatalf("vectors.golden.json.gz: %v", err)
	}
	return g
}

// useFixture is the converted model (dense and sparse front ends) and the
// tokenizer, built once per test binary.
type useFixture struct {
	dense, sparse []byte
	report        *tfgraph.Report
	tok           *usetok.Tokenizer
}

var fixture struct {
	sync.Once
	f   useFixture
	err error
}

func loadUSE(t *testing.T) useFixture {
	t.Helper()
	dir := testdeps.Require(t, useDir)[0]
	fixture.Do(func() {
		f := &fixture.f
		if f.dense, f.report, fixture.err = tfgraph.ConvertDir(dir, tfgraph.USELite()); fixture.err != nil {
			return
		}
		if f.sparse, _, fixture.err = tfgraph.ConvertDir(dir, sparseOptions()); fixture.err != nil {
			return
		}
		f.tok, fixture.err = usetok.Load(filepath.Join(dir, "vocab.json"))
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	return fixture.f
}

// sparseOptions converts with the original sparse inputs.
func sparseOptions() tfgraph.Options {
	o := tfgraph.USELite()
	o.Dense = nil
	return o
}

func (f useFixture) encode(t *testing.T, texts ...string) [][]int64 {
	t.Helper()
	out := make([][]int64, len(texts))
	for i, s := range texts {
		ids, err := f.tok.Encode(s)
		if err != nil {
			t.Fatalf("Encode(%q): %v", s, err)
		}
		out[i] = ids
	}
	return out
}

// TestParityWithTFJS runs Go tokenizer -> ONNX Runtime on every sentence of
// testdata/use/sentences.json and compares with the vectors the npm
// package's own pipeline (tokenizer + TensorFlow.js) gave.
func TestParityWithTFJS(t *testing.T) {
	f := loadUSE(t)
	g := loadVectors(t)
	dir := testdeps.Require(t, useDir)[0]
	for file, want := range map[string]string{"model.json": g.ModelSHA256, "vocab.json": g.VocabSHA256} {
		if got := fileSHA256(t, filepath.Join(dir, file)); got != want {
			t.Fatalf("%s/%s has sha256 %s, the golden was made from %s: rerun make setup", dir, file, got, want)
		}
	}
	if g.Dim != tfgraph.USEDim || len(g.Vectors) < 200 {
		t.Fatalf("golden has %d vectors of %d, want at least 200 of %d", len(g.Vectors), g.Dim, tfgraph.USEDim)
	}
	m := openModel(t, f.dense, tfgraph.USEInputIDs, tfgraph.USEAttentionMask)
	t.Logf("golden from %v, tfjs %v (%s backend)", g.Packages, g.TFJS, g.Backend)

	worstCos, worstAbs := 1.0, 0.0
	var worstCosText, worstAbsText string
	for start := 0; start < len(g.Vectors); start += parityBatch {
		batch := g.Vectors[start:min(start+parityBatch, len(g.Vectors))]
		texts := make([]string, len(batch))
		for i, v := range batch {
			texts[i] = v.Text
		}
		got, err := m.embedDense(t, f.encode(t, texts...))
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range batch {
			cos, abs := cosine(got[i], v.Vector), maxAbs(got[i], v.Vector)
			if cos < minCosine || abs > maxAbsDiff || math.IsNaN(cos) {
				t.Errorf("%q: cosine %.7f, max abs diff %.3g; want >= %g and <= %g", v.Text, cos, abs, minCosine, maxAbsDiff)
			}
			if cos < worstCos {
				worstCos, worstCosText = cos, v.Text
			}
			if abs > worstAbs {
				worstAbs, worstAbsText = abs, v.Text
			}
		}
	}
	t.Logf("%d sentences in batches of %d: min cosine 1 - %.2g (%.40q), max abs diff %.3g (%.40q)",
		len(g.Vectors), parityBatch, 1-worstCos, worstCosText, worstAbs, worstAbsText)
}

// TestDenseMatchesSparse checks the dense front end against the original
// sparse inputs on the same ids, including empty sequences, padding in
// several places and sequences past the model's 128 tokens.
func TestDenseMatchesSparse(t *testing.T) {
	f := loadUSE(t)
	dense := openModel(t, f.dense, tfgraph.USEInputIDs, tfgraph.USEAttentionMask)
	sparse := openModel(t, f.sparse, "indices", "values")
	long := slices.Repeat(f.encode(t, "wireless earbuds with charging case")[0], 30)

	seqs := f.encode(t, "Stainless steel water bottle", "", "无线蓝牙耳机", "Yoga mat, non-slip", "a")
	seqs = append(seqs, long)
	want, err := sparse.embedSparse(t, seqs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dense.embedDense(t, seqs)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != len(seqs) {
		t.Fatalf("sparse model gave %d rows for %d sequences", len(want), len(seqs))
	}
	worst := 0.0
	for i := range seqs {
		d := maxAbs(got[i], want[i])
		worst = max(worst, d)
		if d > 1e-6 {
			t.Errorf("sequence %d (%d ids): dense and sparse differ by %.3g", i, len(seqs[i]), d)
		}
	}
	t.Logf("dense vs sparse front end on %d sequences: max abs diff %.3g", len(seqs), worst)
	empty := want[1] // an empty sequence inside a batch, as the sparse form has it

	t.Run("trailing empty sequences keep their rows", func(t *testing.T) {
		got, err := dense.embedDense(t, [][]int64{seqs[0], {}, {}})
		if err != nil {
			t.Fatal(err)
		}
		for i, wantRow := range [][]float32{want[0], empty, empty} {
			if d := maxAbs(got[i], wantRow); d > 1e-6 {
				t.Errorf("row %d differs by %.3g", i, d)
			}
		}
	})
	t.Run("a batch of empty sequences", func(t *testing.T) {
		got, err := dense.embedDense(t, [][]int64{{}, {}})
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if d := maxAbs(got[i], empty); d > 1e-6 {
				t.Errorf("row %d differs from an empty sequence by %.3g", i, d)
			}
		}
	})
	t.Run("tokens past 128 are ignored", func(t *testing.T) {
		got, err := dense.embedDense(t, [][]int64{long, long[:tfgraph.USEMaxTokens]})
		if err != nil {
			t.Fatal(err)
		}
		if len(long) <= tfgraph.USEMaxTokens {
			t.Fatalf("long sequence has only %d ids", len(long))
		}
		if d := maxAbs(got[0], got[1]); d > 1e-6 {
			t.Errorf("%d ids and their first %d differ by %.3g", len(long), tfgraph.USEMaxTokens, d)
		}
	})
	t.Run("left padding and holes", func(t *testing.T) {
		s := seqs[0]
		w := len(s) + 3
		ids := make([]int64, 2*w)
		mask := make([]int64, 2*w)
		for j, id := range s { // row 0: left-padded by 3
			ids[3+j], mask[3+j] = id, 1
		}
		for j, id := range s { // row 1: a hole of 3 after the first token
			k := j
			if j > 0 {
				k += 3
			}
			ids[w+k], mask[w+k] = id, 1
		}
		out, shape, err := dense.run(t, tensor(t, ids, 2, int64(w)), tensor(t, mask, 2, int64(w)))
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range rows(t, out, shape, 2) {
			if d := maxAbs(row, want[0]); d > 1e-5 {
				t.Errorf("row %d differs from the right-padded sequence by %.3g", i, d)
			}
		}
	})
}

// TestTriplets checks that the model carries meaning: for each product
// title of testdata/use/triplets.json a paraphrase is closer (cosine) than
// an unrelated title, for at least 90% of them.
func TestTriplets(t *testing.T) {
	f := loadUSE(t)
	data, err := os.ReadFile(filepath.Join(testdeps.Root(t), "testdata/use/triplets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var triplets []struct{ Anchor, Paraphrase, Unrelated string }
	if err := json.Unmarshal(data, &triplets); err != nil {
		t.Fatal(err)
	}
	if len(triplets) < 50 {
		t.Fatalf("%d triplets, want at least 50", len(triplets))
	}
	m := openModel(t, f.dense, tfgraph.USEInputIDs, tfgraph.USEAttentionMask)
	right := 0
	var margin float64
	for _, tr := range triplets {
		v, err := m.embedDense(t, f.encode(t, tr.Anchor, tr.Paraphrase, tr.Unrelated))
		if err != nil {
			t.Fatal(err)
		}
		para, unrel := cosine(v[0], v[1]), cosine(v[0], v[2])
		margin += para - unrel
		if para > unrel {
			right++
		} else {
			t.Logf("missed: %q ~ %q %.3f, but ~ %q %.3f", tr.Anchor, tr.Paraphrase, para, tr.Unrelated, unrel)
		}
	}
	acc := float64(right) / float64(len(triplets))
	t.Logf("paraphrase closer than unrelated for %d of %d triplets (%.1f%%), mean cosine margin %.3f",
		right, len(triplets), 100*acc, margin/float64(len(triplets)))
	if acc < 0.9 {
		t.Errorf("accuracy %.1f%%, want >= 90%%", 100*acc)
	}
}

// TestUnknownTextCollapses documents why callers must check
// usetok.UnknownRatio: the English-only vocabulary reads a text in another
// script as word separators and unknown pieces only, so texts with the same
// word layout get the very same vector whatever they say (here: different
// products in Chinese, Japanese, Korean and emoji), while their ratio is 1.
func TestUnknownTextCollapses(t *testing.T) {
	f := loadUSE(t)
	m := openModel(t, f.dense, tfgraph.USEInputIDs, tfgraph.USEAttentionMask)
	groups := [][]string{
		{"无线蓝牙耳机", "不锈钢保温杯", "儿童益智积木玩具", "ワイヤレスイヤホン", "무선이어폰", "🎧🎁"},
		{"无线蓝牙耳机 主动降噪", "纯棉短袖 男士", "ノイズ キャンセリング"},
	}
	for _, texts := range groups {
		ids := f.encode(t, texts...)
		v, err := m.embedDense(t, ids)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range texts {
			if r := f.tok.UnknownRatio(ids[i]); r != 1 {
				t.Errorf("%q (ids %v): UnknownRatio %.2f, want 1", s, ids[i], r)
			}
			if d := maxAbs(v[i], v[0]); d > 1e-6 {
				t.Errorf("%q and %q: vectors differ by %.3g; expected the model to see the same nothing", s, texts[0], d)
			}
		}
	}
	en := []string{"Wireless noise cancelling earbuds", "Stainless steel insulated cup, 500 ml"}
	ids := f.encode(t, en...)
	v, err := m.embedDense(t, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range en {
		if r := f.tok.UnknownRatio(ids[i]); r != 0 {
			t.Errorf("%q: UnknownRatio %.2f, want 0", s, r)
		}
	}
	if c := cosine(v[0], v[1]); !(c <= 0.9) {
		t.Errorf("two different English titles have cosine %.3f", c)
	}
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

// maxAbs is max |a[i] - b[i]|, or +Inf when the lengths differ or a
// difference is NaN, so that a `maxAbs(a, b) > tol` check fails.
func maxAbs(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	if math.IsNaN(m) {
		return math.Inf(1)
	}
	return m
}
