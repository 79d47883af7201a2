//go:build cgo

package onnx

import (
	"slices"
	"strings"
	"testing"
)

func floatTensor(name string, dims ...int64) tensorInfo {
	return tensorInfo{Name: name, Tensor: true, Float32: true, ElemType: "float", Dims: dims}
}

func TestDescribeIO(t *testing.T) {
	image := floatTensor("input", -1, 3, 224, 224)
	features := floatTensor("features", -1, 1280)
	tests := []struct {
		name          string
		inputs        []tensorInfo
		outputs       []tensorInfo
		wantShape     []int64
		wantSize, dim int
		wantErr       string
	}{
		{name: "image model", inputs: []tensorInfo{image}, outputs: []tensorInfo{features}, wantShape: []int64{3, 224, 224}, wantSize: 150528, dim: 1280},
		{name: "pooled output kept 4-D", inputs: []tensorInfo{image}, outputs: []tensorInfo{floatTensor("f", -1, 1280, 1, 1)}, wantShape: []int64{3, 224, 224}, wantSize: 150528, dim: 1280},
		{name: "two inputs", inputs: []tensorInfo{image, floatTensor("mask", -1, 4)}, outputs: []tensorInfo{features}, wantErr: `2 inputs ("input", "mask")`},
		{name: "no outputs", inputs: []tensorInfo{image}, wantErr: "0 outputs"},
		{name: "sequence output", inputs: []tensorInfo{image}, outputs: []tensorInfo{{Name: "seq"}}, wantErr: `output "seq" is not a tensor`},
		{name: "int input", inputs: []tensorInfo{{Name: "ids", Tensor: true, ElemType: "int64", Dims: []int64{-1, 8}}}, outputs: []tensorInfo{features}, wantErr: "element type int64"},
		{name: "fixed batch", inputs: []tensorInfo{floatTensor("input", 1, 3, 224, 224)}, outputs: []tensorInfo{features}, wantErr: "fixed batch dimension of 1"},
		{name: "dynamic height", inputs: []tensorInfo{floatTensor("input", -1, 3, -1, 224)}, outputs: []tensorInfo{features}, wantErr: "dimension 2 is dynamic"},
		{name: "dynamic output", inputs: []tensorInfo{image}, outputs: []tensorInfo{floatTensor("features", -1, -1)}, wantErr: `output "features" has shape [-1 -1]: dimension 1 is dynamic`},
		{name: "batch only", inputs: []tensorInfo{floatTensor("input", -1)}, outputs: []tensorInfo{features}, wantErr: "want a batch dimension followed by"},
		{name: "absurd size", inputs: []tensorInfo{floatTensor("input", -1, 1<<20, 1<<20)}, outputs: []tensorInfo{features}, wantErr: "values per item"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, err := describeIO(tt.inputs, tt.outputs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("describeIO: %v", err)
			}
			if !slices.Equal(io.inputShape, tt.wantShape) || io.inputSize != tt.wantSize || io.outputDim != tt.dim {
				t.Fatalf("got shape %v size %d dim %d; want %v %d %d", io.inputShape, io.inputSize, io.outputDim, tt.wantShape, tt.wantSize, tt.dim)
			}
			if io.inputName != tt.inputs[0].Name || io.outputName != tt.outputs[0].Name {
				t.Fatalf("names %q, %q", io.inputName, io.outputName)
			}
		})
	}
}
