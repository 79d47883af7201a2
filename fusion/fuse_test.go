package fusion_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/fusion"
)

const tol = 1e-6

// smallSpec is DefaultSpec (v1) with a 4-dim image block and a 3-dim text
// block, weighted image:text:behaviour = wi:wt:wb.
func smallSpec(t *testing.T, wi, wt, wb float64) *fusion.Spec {
	t.Helper()
	s := fusion.DefaultSpec()
	s.Blocks.Image = fusion.EmbeddingBlock{Model: "img@test", Dim: 4, Weight: wi}
	s.Blocks.Text = fusion.EmbeddingBlock{Model: "txt@test", Dim: 3, Weight: wt}
	s.Blocks.Behavior.Weight = wb
	if err := s.Validate(); err != nil {
		t.Fatalf("smallSpec: %v", err)
	}
	return s
}

func randomEmbedding(r *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64() * scale)
	}
	return v
}

// hot is a popular item, far from the typical one.
var hot = &fusion.Behavior{
	Price: 20, Rating: 4.8,
	Devices: map[string]fusion.DeviceCounters{
		"pc":     {Views: 90000, Clicks: 9000, Carts: 2000, Orders: 1500},
		"mobile": {Views: 300000, Clicks: 21000, Carts: 3000, Orders: 1200},
	},
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func blockRange(t *testing.T, s *fusion.Spec, name string) fusion.BlockRange {
	t.Helper()
	for _, r := range s.Layout() {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no block %q in layout", name)
	return fusion.BlockRange{}
}

func TestFuseUnitNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	s := smallSpec(t, 1, 1, 0.5)
	tests := []struct {
		name string
		in   fusion.Inputs
	}{
		{"image only", fusion.Inputs{Image: randomEmbedding(r, 4, 1)}},
		{"text only", fusion.Inputs{Text: randomEmbedding(r, 3, 1)}},
		{"behaviour only", fusion.Inputs{Behavior: hot}},
		{"image and behaviour", fusion.Inputs{Image: randomEmbedding(r, 4, 1), Behavior: hot}},
		{"all", fusion.Inputs{Image: randomEmbedding(r, 4, 1), Text: randomEmbedding(r, 3, 1), Behavior: hot}},
		{"huge embeddings", fusion.Inputs{Image: randomEmbedding(r, 4, 1e30), Text: randomEmbedding(r, 3, 1e30)}},
		{"tiny embeddings", fusion.Inputs{Image: randomEmbedding(r, 4, 1e-30), Text: randomEmbedding(r, 3, 1e-30)}},
		{"one non-zero value", fusion.Inputs{Image: []float32{0, 0, 3, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := fusion.Fuse(s, tt.in)
			if err != nil {
				t.Fatalf("Fuse: %v", err)
			}
			if len(v.Values) != s.Dim() {
				t.Errorf("len(Values) = %d, want Dim %d", len(v.Values), s.Dim())
			}
			if n := norm(v.Values); !(math.Abs(n-1) <= tol) {
				t.Errorf("‖Values‖ = %.9f, want 1", n)
			}
		})
	}
}

func TestFuseBlockNormsFollowWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	tests := []struct {
		name       string
		wi, wt, wb float64
	}{
		{"equal", 1, 1, 1},
		{"v1 weights", 1, 1, 0.5},
		{"uneven", 2, 0.1, 3},
		{"extreme ratio", 0.001, 1, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := smallSpec(t, tt.wi, tt.wt, tt.wb)
			v, err := fusion.Fuse(s, fusion.Inputs{
				Image:    randomEmbedding(r, 4, 5),
				Text:     randomEmbedding(r, 3, 0.01),
				Behavior: hot,
			})
			if err != nil {
				t.Fatalf("Fuse: %v", err)
			}
			total := math.Sqrt(tt.wi*tt.wi + tt.wt*tt.wt + tt.wb*tt.wb)
			want := map[string]float64{
				fusion.BlockImage:    tt.wi / total,
				fusion.BlockText:     tt.wt / total,
				fusion.BlockBehavior: tt.wb / total,
			}
			for name, w := range want {
				br := blockRange(t, s, name)
				block := v.Values[br.Offset : br.Offset+br.Dim]
				if got := norm(block); !(math.Abs(got/w-1) <= tol) {
					t.Errorf("‖%s‖ = %.12f, want w/sqrt(Σw²) = %.12f", name, got, w)
				}
				if !slices.Equal(v.Blocks[name], block) {
					t.Errorf("Blocks[%q] = %v, want Values[%d:%d] = %v", name, v.Blocks[name], br.Offset, br.Offset+br.Dim, block)
				}
			}
		})
	}
}

func TestFuseMissingModality(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	img, txt := randomEmbedding(r, 4, 1), randomEmbedding(r, 3, 1)
	s := smallSpec(t, 1, 2, 0.5)
	behavior, err := fusion.BehaviorFeatures(hot, s)
	if err != nil {
		t.Fatalf("BehaviorFeatures: %v", err)
	}
	inputs := map[string][]float32{fusion.BlockImage: img, fusion.BlockText: txt, fusion.BlockBehavior: behavior}
	tests := []struct {
		name string
		in   fusion.Inputs
		want []string
	}{
		{"no text", fusion.Inputs{Image: img, Behavior: hot}, []string{"image", "behavior"}},
		{"no image", fusion.Inputs{Text: txt, Behavior: hot}, []string{"text", "behavior"}},
		{"no behaviour", fusion.Inputs{Image: img, Text: txt}, []string{"image", "text"}},
		{"empty not nil image", fusion.Inputs{Image: []float32{}, Text: txt}, []string{"text"}},
		{"zero-norm image", fusion.Inputs{Image: make([]float32, 4), Behavior: hot}, []string{"behavior"}},
		{"zero-norm text", fusion.Inputs{Image: img, Text: make([]float32, 3)}, []string{"image"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := fusion.Fuse(s, tt.in)
			if err != nil {
				t.Fatalf("Fuse: %v", err)
			}
			if !slices.Equal(v.Modalities, tt.want) {
				t.Errorf("Modalities = %v, want %v", v.Modalities, tt.want)
			}
			var sumW2 float64
			for _, name := range tt.want {
				sumW2 += weightOf(s, name) * weightOf(s, name)
			}
			for _, br := range s.Layout() {
				block := v.Values[br.Offset : br.Offset+br.Dim]
				_, inBlocks := v.Blocks[br.Name]
				if !slices.Contains(tt.want, br.Name) {
					if norm(block) != 0 {
						t.Errorf("missing %s slot = %v, want zeros", br.Name, block)
					}
					if inBlocks {
						t.Errorf("Blocks has missing block %q", br.Name)
					}
					continue
				}
				if !inBlocks {
					t.Errorf("Blocks lacks present block %q", br.Name)
				}
				want := weightOf(s, br.Name) / math.Sqrt(sumW2)
				if got := norm(block); !(math.Abs(got-want) <= tol) {
					t.Errorf("‖%s‖ = %.9f, want %.9f", br.Name, got, want)
				}
				if c := fusion.Cosine(block, inputs[br.Name]); !(math.Abs(c-1) <= tol) {
					t.Errorf("cos(%s block, input) = %.9f, want 1: the block must keep its input's direction", br.Name, c)
				}
			}
			if n := norm(v.Values); !(math.Abs(n-1) <= tol) {
				t.Errorf("‖Values‖ = %.9f, want 1", n)
			}
		})
	}
}

func weightOf(s *fusion.Spec, block string) float64 {
	switch block {
	case fusion.BlockImage:
		return s.Blocks.Image.Weight
	case fusion.BlockText:
		return s.Blocks.Text.Weight
	}
	return s.Blocks.Behavior.Weight
}

// The documented consequence of the formula: the fused cosine is the
// weight²-averaged block cosine.
func TestFuseCosineIsWeightedBlockCosine(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	s := smallSpec(t, 1, 0.7, 0.5)
	cold := &fusion.Behavior{Price: 900, Rating: 3}
	a := fusion.Inputs{Image: randomEmbedding(r, 4, 1), Text: randomEmbedding(r, 3, 1), Behavior: hot}
	b := fusion.Inputs{Image: randomEmbedding(r, 4, 1), Text: randomEmbedding(r, 3, 1), Behavior: cold}
	fa, err := fusion.Fuse(s, a)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := fusion.Fuse(s, b)
	if err != nil {
		t.Fatal(err)
	}
	ba, _ := fusion.BehaviorFeatures(a.Behavior, s)
	bb, _ := fusion.BehaviorFeatures(b.Behavior, s)
	wi, wt, wb := s.Blocks.Image.Weight, s.Blocks.Text.Weight, s.Blocks.Behavior.Weight
	want := (wi*wi*fusion.Cosine(a.Image, b.Image) + wt*wt*fusion.Cosine(a.Text, b.Text) + wb*wb*fusion.Cosine(ba, bb)) /
		(wi*wi + wt*wt + wb*wb)
	if got := fusion.Cosine(fa.Values, fb.Values); !(math.Abs(got-want) <= tol) {
		t.Errorf("cos(fused) = %.9f, want Σw²cos_b/Σw² = %.9f", got, want)
	}
}

func TestFuseErrors(t *testing.T) {
	def := fusion.DefaultSpec()
	small := smallSpec(t, 1, 1, 1)
	requireImage := smallSpec(t, 1, 1, 1)
	requireImage.Missing.Required = []string{fusion.BlockImage}
	badSpec := smallSpec(t, 1, 1, 1)
	badSpec.Blocks.Image.Weight = 0
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	tests := []struct {
		name      string
		spec      *fusion.Spec
		in        fusion.Inputs
		code      string
		field     string
		msgSubstr string
	}{
		{"short image", small, fusion.Inputs{Image: []float32{1, 2, 3}}, fusion.CodeDimensionMismatch, "image", "got 3 values, want 4"},
		{"long text", small, fusion.Inputs{Text: []float32{1, 2, 3, 4}}, fusion.CodeDimensionMismatch, "text", "got 4 values, want 3"},
		{"text without text model", def, fusion.Inputs{Text: []float32{1}}, fusion.CodeDimensionMismatch, "text", "no model for this block"},
		{"NaN in image", small, fusion.Inputs{Image: []float32{1, nan, 0, 0}}, fusion.CodeInvalidInput, "image", "value 1 is NaN"},
		{"Inf in text", small, fusion.Inputs{Text: []float32{0, 0, inf}}, fusion.CodeInvalidInput, "text", "value 2 is +Inf"},
		{"bad behaviour", small, fusion.Inputs{Behavior: &fusion.Behavior{Price: -1}}, fusion.CodeInvalidInput, "behavior.price", "must be finite and not negative"},
		{"nothing", small, fusion.Inputs{}, fusion.CodeMissingModality, "", "no block present"},
		{"only zero-norm", small, fusion.Inputs{Image: make([]float32, 4), Text: make([]float32, 3)}, fusion.CodeMissingModality, "", "no block present"},
		{"required missing", requireImage, fusion.Inputs{Behavior: hot}, fusion.CodeMissingModality, "image", "requires"},
		{"required zero-norm", requireImage, fusion.Inputs{Image: make([]float32, 4), Behavior: hot}, fusion.CodeMissingModality, "image", "requires"},
		{"invalid spec", badSpec, fusion.Inputs{Behavior: hot}, fusion.CodeInvalidSpec, "blocks.image.weight", "finite and positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := fusion.Fuse(tt.spec, tt.in)
			checkError(t, err, tt.code, tt.field, tt.msgSubstr)
			if v != nil {
				t.Errorf("Fuse returned a vector with an error: %v", v)
			}
		})
	}
}

// codeKinds is the kind each fusion code must carry.
var codeKinds = map[string]itemvec.Kind{
	fusion.CodeInvalidSpec:       itemvec.KindConfig,
	fusion.CodeInvalidInput:      itemvec.KindBadInput,
	fusion.CodeDimensionMismatch: itemvec.KindConfig,
	fusion.CodeMissingModality:   itemvec.KindBadInput,
}

func checkError(t *testing.T, err error, code, field, msgSubstr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %s", code)
	}
	if _, ok := errors.AsType[*itemvec.Error](err); !ok {
		t.Fatalf("err = %T %v, want *itemvec.Error", err, err)
	}
	if got := itemvec.CodeOf(err); got != code {
		t.Errorf("CodeOf = %q, want %q", got, code)
	}
	if got, want := itemvec.KindOf(err), codeKinds[code]; got != want {
		t.Errorf("KindOf = %v, want %v", got, want)
	}
	if got := fusion.FieldOf(err); got != field {
		t.Errorf("FieldOf = %q, want %q", got, field)
	}
	if itemvec.IsRetryable(err) {
		t.Errorf("IsRetryable = true, want false")
	}
	if !strings.Contains(err.Error(), msgSubstr) {
		t.Errorf("err = %q, want it to contain %q", err, msgSubstr)
	}
}

func TestFuseIdentifiesSpec(t *testing.T) {
	s := fusion.DefaultSpec()
	v, err := fusion.Fuse(s, fusion.Inputs{Behavior: hot})
	if err != nil {
		t.Fatal(err)
	}
	if v.SpecID != s.ID || v.SpecHash != s.Hash() {
		t.Errorf("SpecID, SpecHash = %q, %q, want %q, %q", v.SpecID, v.SpecHash, s.ID, s.Hash())
	}
	if len(v.Values) != 1311 {
		t.Errorf("v1 fused dim = %d, want 1311", len(v.Values))
	}
}

func TestCosine(t *testing.T) {
	tests := []struct {
		name string
		a, b []float32
		want float64
	}{
		{"same", []float32{1, 2, 3}, []float32{1, 2, 3}, 1},
		{"scaled", []float32{1, 2, 3}, []float32{10, 20, 30}, 1},
		{"opposite", []float32{1, -2}, []float32{-1, 2}, -1},
		{"orthogonal", []float32{1, 0}, []float32{0, 5}, 0},
		{"45 degrees", []float32{1, 0}, []float32{1, 1}, 1 / math.Sqrt2},
		{"zero vector", []float32{0, 0}, []float32{1, 1}, 0},
		{"length mismatch", []float32{1, 0}, []float32{1, 0, 0}, 0},
		{"empty", nil, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fusion.Cosine(tt.a, tt.b); !(math.Abs(got-tt.want) <= 1e-12) {
				t.Errorf("Cosine(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func BenchmarkFuse(b *testing.B) {
	s := fusion.DefaultSpec()
	in := fusion.Inputs{Image: randomEmbedding(rand.New(rand.NewPCG(9, 10)), 1280, 1), Behavior: hot}
	for b.Loop() {
		if _, err := fusion.Fuse(s, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFuser is the worker's path: the spec validated and hashed once.
func BenchmarkFuser(b *testing.B) {
	f, err := fusion.NewFuser(fusion.DefaultSpec())
	if err != nil {
		b.Fatal(err)
	}
	in := fusion.Inputs{Image: randomEmbedding(rand.New(rand.NewPCG(9, 10)), 1280, 1), Behavior: hot}
	for b.Loop() {
		if _, err := f.Fuse(in); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFuseWarnings(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	img := randomEmbedding(r, 4, 1)
	s := smallSpec(t, 1, 1, 0.5)
	odd := &fusion.Behavior{Price: 9, Devices: map[string]fusion.DeviceCounters{
		"ios_app": {Views: 100000, Clicks: 800},
		"pc":      {Views: 2, Clicks: 3},
	}}
	tests := []struct {
		name  string
		in    fusion.Inputs
		codes []string
	}{
		{"no behaviour", fusion.Inputs{Image: img}, nil},
		{"plain behaviour", fusion.Inputs{Image: img, Behavior: hot}, nil},
		{"odd behaviour", fusion.Inputs{Image: img, Behavior: odd}, []string{fusion.WarningUnknownDevice, fusion.WarningCountersInconsistent}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := fusion.Fuse(s, tt.in)
			if err != nil {
				t.Fatalf("Fuse: %v", err)
			}
			var codes []string
			for _, w := range v.Warnings {
				codes = append(codes, w.Code)
			}
			if !slices.Equal(codes, tt.codes) {
				t.Errorf("warning codes = %v, want %v", codes, tt.codes)
			}
			want, err := s.BehaviorWarnings(tt.in.Behavior)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(v.Warnings, want) {
				t.Errorf("Vector.Warnings = %+v, want BehaviorWarnings %+v", v.Warnings, want)
			}
		})
	}
}

// sameVector fails unless got is want up to float32 rounding.
func sameVector(t *testing.T, got, want *fusion.Vector) {
	t.Helper()
	if len(got.Values) != len(want.Values) {
		t.Fatalf("len(Values) = %d, want %d", len(got.Values), len(want.Values))
	}
	worst, at := 0.0, 0
	for i := range want.Values {
		if d := math.Abs(float64(got.Values[i]) - float64(want.Values[i])); d > worst || math.IsNaN(d) {
			worst, at = d, i
			if math.IsNaN(d) {
				break
			}
		}
	}
	if !(worst <= 1e-6) {
		t.Errorf("Values[%d] = %v, want %v (off by %.3g, > 1e-6)", at, got.Values[at], want.Values[at], worst)
	}
	if !slices.Equal(got.Modalities, want.Modalities) {
		t.Errorf("Modalities = %v, want %v", got.Modalities, want.Modalities)
	}
	for name, block := range want.Blocks {
		if len(got.Blocks[name]) != len(block) {
			t.Errorf("Blocks[%q] has %d values, want %d", name, len(got.Blocks[name]), len(block))
		}
	}
	if len(got.Blocks) != len(want.Blocks) {
		t.Errorf("Blocks has %d entries, want %d", len(got.Blocks), len(want.Blocks))
	}
	if got.SpecID != want.SpecID || got.SpecHash != want.SpecHash {
		t.Errorf("spec %s %s, want %s %s", got.SpecID, got.SpecHash, want.SpecID, want.SpecHash)
	}
	if !slices.Equal(got.Warnings, want.Warnings) {
		t.Errorf("Warnings = %+v, want %+v", got.Warnings, want.Warnings)
	}
}

// Refuse(Fuse(emb, b1).Values, b2) is Fuse(emb, b2): a counter refresh
// without the embeddings.
func TestRefuseEqualsFuse(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	small := smallSpec(t, 1, 1, 0.5)
	uneven := smallSpec(t, 0.001, 3, 1000)
	aliases := smallSpec(t, 1, 1, 0.5)
	aliases.Behavior.DeviceAliases = map[string]string{"ios_app": "mobile"}
	v2 := fusion.DefaultTextSpec()
	cold := &fusion.Behavior{Price: 900, Rating: 3}
	unknown := &fusion.Behavior{Price: 5, Devices: map[string]fusion.DeviceCounters{"ios_app": {Views: 100000, Clicks: 800}, "pc": {Views: 1, Clicks: 4}}}
	tests := []struct {
		name     string
		spec     *fusion.Spec
		image    []float32
		text     []float32
		was, now *fusion.Behavior
	}{
		{"all blocks, new counters", small, randomEmbedding(r, 4, 1), randomEmbedding(r, 3, 1), typical, hot},
		{"no text", small, randomEmbedding(r, 4, 1), nil, hot, cold},
		{"no image", small, nil, randomEmbedding(r, 3, 1), cold, hot},
		{"behaviour appears", small, randomEmbedding(r, 4, 1), randomEmbedding(r, 3, 1), nil, hot},
		{"behaviour goes", small, randomEmbedding(r, 4, 1), randomEmbedding(r, 3, 1), hot, nil},
		{"zero behaviour", small, randomEmbedding(r, 4, 1), nil, hot, &fusion.Behavior{}},
		{"from zero behaviour", small, randomEmbedding(r, 4, 1), randomEmbedding(r, 3, 1), &fusion.Behavior{}, typical},
		{"behaviour only, new counters", small, nil, nil, hot, typical},
		{"zero-norm image stays missing", small, make([]float32, 4), randomEmbedding(r, 3, 1), hot, cold},
		{"same counters", small, randomEmbedding(r, 4, 1), randomEmbedding(r, 3, 1), hot, hot},
		{"huge embeddings", small, randomEmbedding(r, 4, 1e30), randomEmbedding(r, 3, 1e30), cold, hot},
		{"tiny embeddings", small, randomEmbedding(r, 4, 1e-30), randomEmbedding(r, 3, 1e-30), cold, hot},
		{"uneven weights", uneven, randomEmbedding(r, 4, 1), randomEmbedding(r, 3, 1), typical, hot},
		{"warnings of the new counters", small, randomEmbedding(r, 4, 1), nil, hot, unknown},
		{"aliases", aliases, randomEmbedding(r, 4, 1), randomEmbedding(r, 3, 1), typical, unknown},
		{"v1, real dims", fusion.DefaultSpec(), randomEmbedding(r, 1280, 1), nil, typical, hot},
		{"v2, real dims", v2, randomEmbedding(r, 1280, 1), randomEmbedding(r, 512, 0.05), typical, hot},
		{"v2, no text", v2, randomEmbedding(r, 1280, 1), nil, cold, typical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := fusion.NewFuser(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			was, err := f.Fuse(fusion.Inputs{Image: tt.image, Text: tt.text, Behavior: tt.was})
			if err != nil {
				t.Fatalf("Fuse(was): %v", err)
			}
			want, err := f.Fuse(fusion.Inputs{Image: tt.image, Text: tt.text, Behavior: tt.now})
			if err != nil {
				t.Fatalf("Fuse(now): %v", err)
			}
			got, err := f.Refuse(was.Values, tt.now)
			if err != nil {
				t.Fatalf("Refuse: %v", err)
			}
			sameVector(t, got, want)
			if n := norm(got.Values); !(math.Abs(n-1) <= tol) {
				t.Errorf("‖Values‖ = %.9f, want 1", n)
			}
			// A stored vector at another scale (e.g. read back at lower
			// precision and rescaled) gives the same result.
			scaled := slices.Clone(was.Values)
			for i := range scaled {
				scaled[i] *= 3
			}
			again, err := f.Refuse(scaled, tt.now)
			if err != nil {
				t.Fatalf("Refuse(3·stored): %v", err)
			}
			sameVector(t, again, want)
		})
	}
}

func TestRefuseErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	s := smallSpec(t, 1, 1, 1)
	f, err := fusion.NewFuser(s)
	if err != nil {
		t.Fatal(err)
	}
	good, err := f.Fuse(fusion.Inputs{Image: randomEmbedding(r, 4, 1), Behavior: hot})
	if err != nil {
		t.Fatal(err)
	}
	behaviourOnly, err := f.Fuse(fusion.Inputs{Behavior: hot})
	if err != nil {
		t.Fatal(err)
	}
	requireImage := smallSpec(t, 1, 1, 1)
	requireImage.Missing.Required = []string{fusion.BlockImage}
	withNaN := slices.Clone(good.Values)
	withNaN[2] = float32(math.NaN())
	withInf := slices.Clone(good.Values)
	withInf[s.Dim()-1] = float32(math.Inf(-1))
	tests := []struct {
		name      string
		spec      *fusion.Spec
		stored    []float32
		b         *fusion.Behavior
		code      string
		field     string
		msgSubstr string
	}{
		{"short", s, good.Values[:s.Dim()-1], hot, fusion.CodeDimensionMismatch, "stored", "got 37 values, want 38"},
		{"long", s, append(slices.Clone(good.Values), 0), hot, fusion.CodeDimensionMismatch, "stored", "got 39 values, want 38"},
		{"empty", s, nil, hot, fusion.CodeDimensionMismatch, "stored", "got 0 values"},
		{"of v1", s, make([]float32, 1311), hot, fusion.CodeDimensionMismatch, "stored", "not a vector of this spec"},
		{"zero norm", s, make([]float32, s.Dim()), hot, fusion.CodeInvalidInput, "stored", "all values are 0"},
		{"NaN", s, withNaN, hot, fusion.CodeInvalidInput, "stored", "value 2 is NaN"},
		{"Inf in the behaviour block", s, withInf, hot, fusion.CodeInvalidInput, "stored", "value 37 is -Inf"},
		{"bad new behaviour", s, good.Values, &fusion.Behavior{Price: -1}, fusion.CodeInvalidInput, "behavior.price", "not negative"},
		{"nothing left", s, behaviourOnly.Values, nil, fusion.CodeMissingModality, "", "no block present"},
		{"required block missing", requireImage, behaviourOnly.Values, hot, fusion.CodeMissingModality, "image", "requires"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := fusion.NewFuser(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			v, err := f.Refuse(tt.stored, tt.b)
			checkError(t, err, tt.code, tt.field, tt.msgSubstr)
			if v != nil {
				t.Errorf("Refuse returned a vector with an error: %v", v)
			}
		})
	}
}

func ExampleFuser_Refuse() {
	f, err := fusion.NewFuser(fusion.DefaultSpec())
	if err != nil {
		fmt.Println(err)
		return
	}
	image := make([]float32, 1280)
	for i := range image {
		image[i] = float32(i%5) - 2
	}
	yesterday := &fusion.Behavior{Price: 20, Devices: map[string]fusion.DeviceCounters{"pc": {Views: 100, Clicks: 5}}}
	today := &fusion.Behavior{Price: 20, Devices: map[string]fusion.DeviceCounters{"pc": {Views: 5000, Clicks: 400}}}

	stored, err := f.Fuse(fusion.Inputs{Image: image, Behavior: yesterday})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Only the counters changed: re-fuse from the stored vector, no image.
	refreshed, err := f.Refuse(stored.Values, today)
	if err != nil {
		fmt.Println(err)
		return
	}
	full, err := f.Fuse(fusion.Inputs{Image: image, Behavior: today})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("modalities:", refreshed.Modalities)
	fmt.Printf("cos(refreshed, fused again in full): %.6f\n", fusion.Cosine(refreshed.Values, full.Values))
	fmt.Printf("cos(refreshed, stored): %.4f\n", fusion.Cosine(refreshed.Values, stored.Values))
	// Output:
	// modalities: [image behavior]
	// cos(refreshed, fused again in full): 1.000000
	// cos(refreshed, stored): 0.9718
}
