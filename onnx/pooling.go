package onnx

import "math"

// Pooling says how a [TextSession] turns a transformer's output into one
// vector per text.
type Pooling string

// The poolings a [TextSpec] can ask for.
const (
	// PoolingMean averages the last hidden state over the tokens whose
	// attention mask is 1 (padding excluded). Sentence-transformers models
	// are trained for it.
	PoolingMean Pooling = "mean"
	// PoolingCLS takes the last hidden state of the first token ([CLS] in
	// BERT).
	PoolingCLS Pooling = "cls"
	// PoolingPooled takes the model's own pooled output, [batch, hidden]
	// (pooler_output of a BERT export, sentence_embedding of a
	// sentence-transformers export).
	PoolingPooled Pooling = "pooled"
)

// valid reports whether p is one of the poolings above.
func (p Pooling) valid() bool {
	return p == PoolingMean || p == PoolingCLS || p == PoolingPooled
}

// sequenceOutput reports whether p reads a [batch, sequence, hidden]
// output (mean, cls) rather than a [batch, hidden] one (pooled).
func (p Pooling) sequenceOutput() bool { return p != PoolingPooled }

// meanPool writes to dst (dim floats) the mean of the rows of hidden
// (seq×dim floats, row-major) whose mask value is 1; positions past
// len(mask) are padding. It accumulates in float64 and returns false,
// leaving dst zero, when the mask has no 1.
func meanPool(dst, hidden []float32, mask []int64, dim int) bool {
	sum := make([]float64, dim)
	n := 0
	for s, m := range mask {
		if m != 1 {
			continue
		}
		n++
		for j, v := range hidden[s*dim : (s+1)*dim] {
			sum[j] += float64(v)
		}
	}
	clear(dst)
	if n == 0 {
		return false
	}
	for j, v := range sum {
		dst[j] = float32(v / float64(n))
	}
	return true
}

// l2Normalize scales v to unit Euclidean length in place. A zero vector
// stays zero.
func l2Normalize(v []float32) {
	var sq float64
	for _, x := range v {
		sq += float64(x) * float64(x)
	}
	if sq == 0 {
		return
	}
	inv := 1 / math.Sqrt(sq)
	for i, x := range v {
		v[i] = float32(float64(x) * inv)
	}
}
