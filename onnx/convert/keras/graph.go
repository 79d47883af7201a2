package keras

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/advancedclimatesystems/gonnx/onnx"
)

func (c *converter) node(op, name string, inputs []string, output string, attrs ...*onnx.AttributeProto) {
	c.nodes = append(c.nodes, &onnx.NodeProto{
		Name:      name,
		OpType:    op,
		Input:     inputs,
		Output:    []string{output},
		Attribute: attrs,
	})
}

func attrInts(name string, v ...int) *onnx.AttributeProto {
	ints := make([]int64, len(v))
	for i, x := range v {
		ints[i] = int64(x)
	}
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INTS, Ints: ints}
}

func attrInt(name string, v int) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INT, I: int64(v)}
}

// initFloat adds a float32 initializer, rounding values once from float64.
func (c *converter) initFloat(name string, shape []int64, values []float64) string {
	raw := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32(v)))
	}
	c.inits = append(c.inits, &onnx.TensorProto{
		Name: name, Dims: shape, DataType: int32(onnx.TensorProto_FLOAT), RawData: raw,
	})
	return name
}

func (c *converter) initInt64(name string, values []int64) string {
	raw := make([]byte, 8*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	c.inits = append(c.inits, &onnx.TensorProto{
		Name: name, Dims: []int64{int64(len(values))}, DataType: int32(onnx.TensorProto_INT64), RawData: raw,
	})
	return name
}

// constant returns a shared float32 scalar initializer.
func (c *converter) constant(v float32) string {
	if name, ok := c.consts[v]; ok {
		return name
	}
	name := "const/" + strconv.FormatFloat(float64(v), 'g', -1, 32)
	c.consts[v] = name
	raw := binary.LittleEndian.AppendUint32(nil, math.Float32bits(v))
	c.inits = append(c.inits, &onnx.TensorProto{Name: name, DataType: int32(onnx.TensorProto_FLOAT), RawData: raw})
	return name
}

func valueInfo(name, batch string, dims ...int64) *onnx.ValueInfoProto {
	shape := &onnx.TensorShapeProto{Dim: []*onnx.TensorShapeProto_Dimension{
		{Value: &onnx.TensorShapeProto_Dimension_DimParam{DimParam: batch}},
	}}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &onnx.TensorShapeProto_Dimension{
			Value: &onnx.TensorShapeProto_Dimension_DimValue{DimValue: d},
		})
	}
	return &onnx.ValueInfoProto{
		Name: name,
		Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{TensorType: &onnx.TypeProto_Tensor{
			ElemType: int32(onnx.TensorProto_FLOAT),
			Shape:    shape,
		}}},
	}
}

func (c *converter) modelProto(features int) *onnx.ModelProto {
	return &onnx.ModelProto{
		IrVersion:    irVersion,
		OpsetImport:  []*onnx.OperatorSetIdProto{{Domain: "", Version: Opset}},
		ProducerName: "itemvec onnx/keras",
		DocString: fmt.Sprintf("Keras %s model %q converted from TensorFlow.js: backbone up to %q (global average pooling of %q).",
			c.report.KerasVersion, c.report.ModelName, c.report.OutputLayer, c.report.PooledLayer),
		Graph: &onnx.GraphProto{
			Name:        c.report.ModelName + "_features",
			Node:        c.nodes,
			Initializer: c.inits,
			Input:       []*onnx.ValueInfoProto{c.input},
			Output:      []*onnx.ValueInfoProto{valueInfo(OutputName, BatchDim, int64(features))},
		},
	}
}
