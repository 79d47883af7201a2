//go:build cgo

package tfgraph_test

import (
	"path/filepath"
	"sync"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/onnx/convert/tfgraph"
)

var ortOnce struct {
	sync.Once
	err error
}

// model is a converted graph opened in ONNX Runtime.
type model struct {
	sess *ort.DynamicAdvancedSession
}

// openModel loads ONNX Runtime from .deps (once per test binary) and opens
// an ONNX model from its bytes with the given inputs and the USE output.
func openModel(t *testing.T, data []byte, inputs ...string) *model {
	t.Helper()
	lib := testdeps.Require(t, filepath.Join("ort", onnx.ORTLibraryName))[0]
	ortOnce.Do(func() {
		ort.SetSharedLibraryPath(lib)
		ortOnce.err = ort.InitializeEnvironment(ort.WithLogLevelWarning())
	})
	if ortOnce.err != nil {
		t.Fatal(ortOnce.err)
	}
	sess, err := ort.NewDynamicAdvancedSessionWithONNXData(data, inputs, []string{tfgraph.USEOutput}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sess.Destroy() })
	return &model{sess: sess}
}

// run feeds int64 tensors and returns the output's values and shape.
func (m *model) run(t *testing.T, inputs ...*ort.Tensor[int64]) ([]float32, []int64, error) {
	t.Helper()
	vals := make([]ort.Value, len(inputs))
	for i, in := range inputs {
		vals[i] = in
	}
	outs := []ort.Value{nil}
	if err := m.sess.Run(vals, outs); err != nil {
		return nil, nil, err
	}
	defer outs[0].Destroy()
	out := outs[0].(*ort.Tensor[float32])
	return append([]float32(nil), out.GetData()...), append([]int64(nil), out.GetShape()...), nil
}

func tensor(t *testing.T, data []int64, dims ...int64) *ort.Tensor[int64] {
	t.Helper()
	x, err := ort.NewTensor(ort.NewShape(dims...), data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = x.Destroy() })
	return x
}

// embedDense runs the dense model on a batch of id sequences, right-padded
// with the mask, and returns one vector per sequence.
func (m *model) embedDense(t *testing.T, seqs [][]int64) ([][]float32, error) {
	t.Helper()
	width := 1
	for _, s := range seqs {
		width = max(width, len(s))
	}
	ids := make([]int64, len(seqs)*width)
	mask := make([]int64, len(seqs)*width)
	for i, s := range seqs {
		copy(ids[i*width:], s)
		for j := range s {
			mask[i*width+j] = 1
		}
	}
	b, w := int64(len(seqs)), int64(width)
	out, shape, err := m.run(t, tensor(t, ids, b, w), tensor(t, mask, b, w))
	if err != nil {
		return nil, err
	}
	return rows(t, out, shape, len(seqs)), nil
}

// embedSparse runs the sparse model on the pairs the JavaScript pipeline
// builds: indices (i, position) and values, all sequences back to back.
func (m *model) embedSparse(t *testing.T, seqs [][]int64) ([][]float32, error) {
	t.Helper()
	var indices, values []int64
	for i, s := range seqs {
		for j, id := range s {
			indices = append(indices, int64(i), int64(j))
			values = append(values, id)
		}
	}
	n := int64(len(values))
	out, shape, err := m.run(t, tensor(t, indices, n, 2), tensor(t, values, n))
	if err != nil {
		return nil, err
	}
	return rows(t, out, shape, -1), nil
}

func rows(t *testing.T, out []float32, shape []int64, want int) [][]float32 {
	t.Helper()
	if len(shape) != 2 || shape[1] != tfgraph.USEDim || (want >= 0 && shape[0] != int64(want)) {
		t.Fatalf("output shape %v, want [%d %d]", shape, want, tfgraph.USEDim)
	}
	vs := make([][]float32, shape[0])
	for i := range vs {
		vs[i] = out[i*tfgraph.USEDim : (i+1)*tfgraph.USEDim]
	}
	return vs
}
