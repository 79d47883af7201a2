//go:build cgo

package onnx

import (
	"fmt"
	"strings"
)

// tensorInfo is what this package needs to know about one model input or
// output, whatever the ORT binding reports it as.
type tensorInfo struct {
	Name string
	// Tensor is false for sequences, maps and other non-tensor values.
	Tensor bool
	// Float32 is true when the element type is float32.
	Float32 bool
	// ElemType names the element type for error messages.
	ElemType string
	// Dims is the shape; dynamic or symbolic dimensions are below 1.
	Dims []int64
}

// modelIO is the single input and single output of a model this package can
// run: both float32, both with a dynamic batch dimension first and fixed
// dimensions after it.
type modelIO struct {
	inputName, outputName   string
	inputShape, outputShape []int64 // per item, without the batch dimension
	inputSize, outputDim    int
}

// describeIO checks that a model has exactly one float32 input and one
// float32 output with a dynamic batch dimension and fixed per-item
// dimensions, and returns their names and per-item shapes.
func describeIO(inputs, outputs []tensorInfo) (modelIO, error) {
	if len(inputs) != 1 || len(outputs) != 1 {
		return modelIO{}, fmt.Errorf("model has %d inputs (%s) and %d outputs (%s); this package runs models with exactly one of each",
			len(inputs), infoNames(inputs), len(outputs), infoNames(outputs))
	}
	in, inSize, err := perItem("input", inputs[0])
	if err != nil {
		return modelIO{}, err
	}
	out, outDim, err := perItem("output", outputs[0])
	if err != nil {
		return modelIO{}, err
	}
	return modelIO{
		inputName: inputs[0].Name, outputName: outputs[0].Name,
		inputShape: in, outputShape: out,
		inputSize: inSize, outputDim: outDim,
	}, nil
}

// maxItemSize bounds the number of floats in one item, input or output, so
// that batch×size cannot overflow and absurd models are refused up front.
const maxItemSize = 1 << 30

// perItem returns the shape of one item of t (its dimensions after the
// batch dimension) and their product.
func perItem(role string, t tensorInfo) ([]int64, int, error) {
	if !t.Tensor {
		return nil, 0, fmt.Errorf("model %s %q is not a tensor", role, t.Name)
	}
	if !t.Float32 {
		return nil, 0, fmt.Errorf("model %s %q has element type %s; only float32 is supported", role, t.Name, t.ElemType)
	}
	if len(t.Dims) < 2 {
		return nil, 0, fmt.Errorf("model %s %q has shape %v; want a batch dimension followed by at least one more", role, t.Name, t.Dims)
	}
	if t.Dims[0] > 0 {
		return nil, 0, fmt.Errorf("model %s %q has a fixed batch dimension of %d (shape %v); re-export it with a dynamic first dimension",
			role, t.Name, t.Dims[0], t.Dims)
	}
	item := append([]int64(nil), t.Dims[1:]...)
	size := int64(1)
	for i, d := range item {
		if d < 1 {
			return nil, 0, fmt.Errorf("model %s %q has shape %v: dimension %d is dynamic; only the batch dimension may be", role, t.Name, t.Dims, i+1)
		}
		size *= d
		if size > maxItemSize {
			return nil, 0, fmt.Errorf("model %s %q has shape %v: more than %d values per item", role, t.Name, t.Dims, maxItemSize)
		}
	}
	return item, int(size), nil
}

func infoNames(ts []tensorInfo) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = fmt.Sprintf("%q", t.Name)
	}
	return strings.Join(names, ", ")
}
