package fusion

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Inputs are one item's modalities. An empty (nil or zero-length) embedding
// or a nil Behavior is a missing modality.
type Inputs struct {
	// Image is the image model's embedding: Blocks.Image.Dim values.
	Image []float32
	// Text is the text model's embedding: Blocks.Text.Dim values. It must be
	// empty while the spec has no text model.
	Text []float32
	// Behavior is turned into the behaviour block by BehaviorFeatures.
	Behavior *Behavior
}

// Vector is a fused item vector.
type Vector struct {
	// Values is the unit-norm fused vector, Spec.Dim() long, laid out as
	// Spec.Layout() says. A missing block's slot is all zeros.
	Values []float32
	// Blocks maps each present block's name to its slice of Values: the
	// block's L2-normalised input times its weight, after the overall
	// normalisation. Its norm is w/sqrt(Σ w² over present blocks). The slices
	// share memory with Values.
	Blocks map[string][]float32
	// Modalities lists the present blocks in layout order, e.g.
	// ["image", "behavior"].
	Modalities []string
	// SpecID and SpecHash identify the spec that made the vector.
	SpecID   string
	SpecHash string
	// Warnings are what was odd about the inputs without stopping the fusion
	// (see Spec.BehaviorWarnings), sorted by field; nil when nothing was.
	Warnings []Warning
}

// Fuse builds the fused vector of one item:
//
//  1. each present block is L2-normalised (the behaviour block after
//     BehaviorFeatures) and multiplied by its spec weight;
//  2. the blocks are concatenated in layout order, a missing block's slot
//     filled with zeros;
//  3. the concatenation is L2-normalised.
//
// A block whose input has zero norm (e.g. an all-zero embedding) is treated
// as missing rather than divided by zero. Because the layout is fixed, every
// position of Values means the same thing for every item, and the final
// normalisation hands a missing block's weight to the present ones.
//
// Errors are *itemvec.Error, by code: CodeInvalidSpec for an invalid spec,
// CodeDimensionMismatch for an embedding of the wrong length,
// CodeInvalidInput for a NaN or Inf in an embedding or a bad behaviour value,
// CodeMissingModality when no block is present or a required one is not.
// Arithmetic is in float64; only Values is rounded to float32. Odd
// behaviour that is not an error (an ignored unknown device with traffic,
// a later funnel stage above an earlier one) is reported in
// Vector.Warnings.
func Fuse(s *Spec, in Inputs) (*Vector, error) {
	f, err := NewFuser(s)
	if err != nil {
		return nil, err
	}
	return f.Fuse(in)
}

// Fuser fuses many items with one spec: it validates and hashes the spec
// once, where Fuse does both on every call. A worker fuses every item with
// the same spec, so it holds a Fuser. The spec must not change while the
// Fuser is in use.
type Fuser struct {
	spec   *Spec
	hash   string
	layout []BlockRange
	dim    int
}

// NewFuser validates s and returns a Fuser for it.
func NewFuser(s *Spec) (*Fuser, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &Fuser{spec: s, hash: s.Hash(), layout: s.Layout(), dim: s.Dim()}, nil
}

// Hash is the spec's Hash, computed once.
func (f *Fuser) Hash() string { return f.hash }

// Fuse is [Fuse] with the Fuser's spec.
func (f *Fuser) Fuse(in Inputs) (*Vector, error) {
	const op = "Fuse"
	behavior, warnings, err := behaviorFeatures(in.Behavior, f.spec, op)
	if err != nil {
		return nil, err
	}
	raw := [][]float64{nil, nil, behavior}
	for i, emb := range [][]float32{in.Image, in.Text} {
		if raw[i], err = embedding(emb, f.layout[i], op); err != nil {
			return nil, err
		}
	}
	return f.fuse(raw, warnings, op)
}

// Refuse fuses an item again with new behaviour b, keeping the image and
// text blocks of stored, a vector this Fuser's spec made (Vector.Values,
// e.g. read back from the vector store). It returns the vector Fuse returns
// for the item's original image and text embeddings and b, up to float32
// rounding (well within 1e-6 per value), so a counter refresh needs no fetch,
// decode or inference: Fuse scales each embedding to unit norm before
// weighting it and scales the whole vector afterwards, so a block of stored
// divided by its own norm is the block's unit input again. The behaviour
// block of stored is ignored, and so is its overall scale; a stored block
// that is all zeros was missing and stays missing.
//
// Errors are *itemvec.Error, by code: CodeDimensionMismatch (field "stored")
// when stored is not Spec.Dim() long, CodeInvalidInput when it holds a NaN
// or Inf or is all zeros (field "stored") or when b is invalid, and
// CodeMissingModality as for Fuse (e.g. an image-less stored vector and a
// nil b). Callers compare the stored vector's spec hash with Hash first: a
// vector of another spec of the same dim would be re-fused without error.
func (f *Fuser) Refuse(stored []float32, b *Behavior) (*Vector, error) {
	const op = "Refuse"
	if len(stored) != f.dim {
		return nil, newError(CodeDimensionMismatch, op, "stored",
			fmt.Errorf("got %d values, want %d: not a vector of this spec", len(stored), f.dim))
	}
	zero := true
	for i, v := range stored {
		if x := float64(v); math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, newError(CodeInvalidInput, op, "stored", fmt.Errorf("value %d is %v", i, v))
		}
		zero = zero && v == 0
	}
	if zero {
		return nil, newError(CodeInvalidInput, op, "stored", errors.New("all values are 0: not a fused vector"))
	}
	behavior, warnings, err := behaviorFeatures(b, f.spec, op)
	if err != nil {
		return nil, err
	}
	raw := [][]float64{nil, nil, behavior}
	for i, r := range f.layout[:2] {
		block := make([]float64, r.Dim)
		for j, v := range stored[r.Offset : r.Offset+r.Dim] {
			block[j] = float64(v)
		}
		raw[i] = block
	}
	return f.fuse(raw, warnings, op)
}

// fuse weights, concatenates and normalises the raw blocks (image, text,
// behaviour; nil or zero norm: missing) into the Fuser's vector.
func (f *Fuser) fuse(raw [][]float64, warnings []Warning, op string) (*Vector, error) {
	s, layout := f.spec, f.layout
	fused := make([]float64, f.dim)
	var present []string
	for i, r := range layout {
		norm := l2(raw[i])
		if norm == 0 {
			continue
		}
		w := s.weight(r.Name) / norm
		for j, v := range raw[i] {
			fused[r.Offset+j] = v * w
		}
		present = append(present, r.Name)
	}
	for _, req := range s.Missing.Required {
		if !slices.Contains(present, req) {
			return nil, newError(CodeMissingModality, op, req, errors.New("the spec requires this block"))
		}
	}
	if len(present) == 0 {
		return nil, newError(CodeMissingModality, op, "", errors.New("no block present: need an image or text embedding with non-zero norm, or a behaviour"))
	}

	total := l2(fused)
	values := make([]float32, len(fused))
	for i, v := range fused {
		values[i] = float32(v / total)
	}
	blocks := make(map[string][]float32, len(present))
	for _, r := range layout {
		if slices.Contains(present, r.Name) {
			blocks[r.Name] = values[r.Offset : r.Offset+r.Dim : r.Offset+r.Dim]
		}
	}
	return &Vector{
		Values:     values,
		Blocks:     blocks,
		Modalities: present,
		SpecID:     s.ID,
		SpecHash:   f.hash,
		Warnings:   warnings,
	}, nil
}

// embedding checks an embedding against its block and widens it to float64;
// an empty embedding is missing (nil, nil).
func embedding(emb []float32, r BlockRange, op string) ([]float64, error) {
	if len(emb) == 0 {
		return nil, nil
	}
	if len(emb) != r.Dim {
		reason := fmt.Sprintf("got %d values, want %d", len(emb), r.Dim)
		if r.Dim == 0 {
			reason += ": the spec has no model for this block"
		}
		return nil, newError(CodeDimensionMismatch, op, r.Name, errors.New(reason))
	}
	out := make([]float64, len(emb))
	for i, v := range emb {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, newError(CodeInvalidInput, op, r.Name, fmt.Errorf("value %d is %v", i, v))
		}
		out[i] = f
	}
	return out, nil
}

// Cosine is the cosine similarity of a and b, computed in float64. It is 0
// when the lengths differ or either vector has zero norm. Fused vectors have
// unit norm, so for them it equals the dot product that a vector index
// computes.
func Cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// l2 is the Euclidean norm, scaled so that huge or tiny values neither
// overflow nor underflow.
func l2(v []float64) float64 {
	var peak float64
	for _, x := range v {
		peak = max(peak, math.Abs(x))
	}
	if peak == 0 {
		return 0
	}
	var sum float64
	for _, x := range v {
		sum += (x / peak) * (x / peak)
	}
	return peak * math.Sqrt(sum)
}
