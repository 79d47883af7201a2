//go:build cgo

package onnx

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"
)

// Test stand-ins: tiny ONNX models built here, in place of the real image
// model (which make setup converts), so that sessions can be tested against
// the real ONNX Runtime with outputs known exactly.

const (
	standInChannels = 3
	standInSide     = 4
	standInItem     = standInChannels * standInSide * standInSide // 48 floats per item
	standInK        = 5                                           // outputs per item
)

// convStandIn is a test stand-in: input "input" [batch,3,4,4] → Conv with a
// 4×4 kernel and k output channels → [batch,k,1,1] → Flatten → "features"
// [batch,k]. Every output sees every input value, so a layout or batching
// mistake changes the numbers. Its weights are weights(k) and bias(k).
func convStandIn(k int) *pb.ModelProto {
	w, b := standInWeights(k), standInBias(k)
	return &pb.ModelProto{
		IrVersion:    8,
		ProducerName: "itemvec onnx test stand-in",
		OpsetImport:  []*pb.OperatorSetIdProto{{Version: 13}},
		Graph: &pb.GraphProto{
			Name: "stand_in",
			Node: []*pb.NodeProto{
				{OpType: "Conv", Name: "conv", Input: []string{"input", "W", "B"}, Output: []string{"conv_out"}},
				{OpType: "Flatten", Name: "flatten", Input: []string{"conv_out"}, Output: []string{"features"},
					Attribute: []*pb.AttributeProto{{Name: "axis", Type: pb.AttributeProto_INT, I: 1}}},
			},
			Initializer: []*pb.TensorProto{
				{Name: "W", DataType: int32(pb.TensorProto_FLOAT), Dims: []int64{int64(k), standInChannels, standInSide, standInSide}, FloatData: w},
				{Name: "B", DataType: int32(pb.TensorProto_FLOAT), Dims: []int64{int64(k)}, FloatData: b},
			},
			Input:  []*pb.ValueInfoProto{valueInfo("input", pb.TensorProto_FLOAT, "batch", standInChannels, standInSide, standInSide)},
			Output: []*pb.ValueInfoProto{valueInfo("features", pb.TensorProto_FLOAT, "batch", k)},
		},
	}
}

// castStandIn is a test stand-in with an int64 input: "ids" [batch,4] →
// Cast → "features" [batch,4] float32.
func castStandIn() *pb.ModelProto {
	return &pb.ModelProto{
		IrVersion:   8,
		OpsetImport: []*pb.OperatorSetIdProto{{Version: 13}},
		Graph: &pb.GraphProto{
			Name: "cast_stand_in",
			Node: []*pb.NodeProto{{OpType: "Cast", Input: []string{"ids"}, Output: []string{"features"},
				Attribute: []*pb.AttributeProto{{Name: "to", Type: pb.AttributeProto_INT, I: int64(pb.TensorProto_FLOAT)}}}},
			Input:  []*pb.ValueInfoProto{valueInfo("ids", pb.TensorProto_INT64, "batch", 4)},
			Output: []*pb.ValueInfoProto{valueInfo("features", pb.TensorProto_FLOAT, "batch", 4)},
		},
	}
}

// identityStandIn is a test stand-in that returns its float32 input
// "input", of the given shape, as "features".
func identityStandIn(dims ...any) *pb.ModelProto {
	return &pb.ModelProto{
		IrVersion:   8,
		OpsetImport: []*pb.OperatorSetIdProto{{Version: 13}},
		Graph: &pb.GraphProto{
			Name:   "identity_stand_in",
			Node:   []*pb.NodeProto{{OpType: "Identity", Input: []string{"input"}, Output: []string{"features"}}},
			Input:  []*pb.ValueInfoProto{valueInfo("input", pb.TensorProto_FLOAT, dims...)},
			Output: []*pb.ValueInfoProto{valueInfo("features", pb.TensorProto_FLOAT, dims...)},
		},
	}
}

// chainStandIn is a test stand-in that is slow to run: "input"
// [batch,width] goes through layers MatMuls by a fixed width×width matrix
// to "features" [batch,width].
func chainStandIn(layers, width int) *pb.ModelProto {
	w := make([]float32, width*width)
	for i := range w {
		w[i] = float32(i%3-1) / float32(width)
	}
	g := &pb.GraphProto{
		Name:        "chain_stand_in",
		Initializer: []*pb.TensorProto{{Name: "W", DataType: int32(pb.TensorProto_FLOAT), Dims: []int64{int64(width), int64(width)}, FloatData: w}},
		Input:       []*pb.ValueInfoProto{valueInfo("input", pb.TensorProto_FLOAT, "batch", width)},
		Output:      []*pb.ValueInfoProto{valueInfo("features", pb.TensorProto_FLOAT, "batch", width)},
	}
	prev := "input"
	for i := range layers {
		out := fmt.Sprintf("h%d", i)
		if i == layers-1 {
			out = "features"
		}
		g.Node = append(g.Node, &pb.NodeProto{OpType: "MatMul", Input: []string{prev, "W"}, Output: []string{out}})
		prev = out
	}
	return &pb.ModelProto{IrVersion: 8, OpsetImport: []*pb.OperatorSetIdProto{{Version: 13}}, Graph: g}
}

// valueInfo declares a tensor. Each dim is an int size or a string
// naming a symbolic (dynamic) dimension.
func valueInfo(name string, elem pb.TensorProto_DataType, dims ...any) *pb.ValueInfoProto {
	shape := &pb.TensorShapeProto{}
	for _, d := range dims {
		switch d := d.(type) {
		case string:
			shape.Dim = append(shape.Dim, &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimParam{DimParam: d}})
		case int:
			shape.Dim = append(shape.Dim, &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
		default:
			panic("valueInfo: dims are ints or strings")
		}
	}
	return &pb.ValueInfoProto{Name: name, Type: &pb.TypeProto{Value: &pb.TypeProto_TensorType{
		TensorType: &pb.TypeProto_Tensor{ElemType: int32(elem), Shape: shape}}}}
}

func standInWeights(k int) []float32 {
	w := make([]float32, k*standInItem)
	for i := range w {
		w[i] = float32((i*7)%23-11) / 16
	}
	return w
}

func standInBias(k int) []float32 {
	b := make([]float32, k)
	for j := range b {
		b[j] = float32(j) - 2
	}
	return b
}

// standInOutput computes what convStandIn(k) returns for input, in Go.
func standInOutput(k int, input []float32, batch int) []float32 {
	w, b := standInWeights(k), standInBias(k)
	out := make([]float32, batch*k)
	for n := range batch {
		x := input[n*standInItem : (n+1)*standInItem]
		for j := range k {
			sum := float64(b[j])
			for i, v := range x {
				sum += float64(v) * float64(w[j*standInItem+i])
			}
			out[n*k+j] = float32(sum)
		}
	}
	return out
}

// writeModel writes m to a temporary .onnx file and returns its path.
func writeModel(t testing.TB, m *pb.ModelProto) string {
	t.Helper()
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatalf("marshal stand-in model: %v", err)
	}
	path := filepath.Join(t.TempDir(), "stand_in.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
