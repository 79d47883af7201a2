//go:build cgo

package tfgraph_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/itemvec/itemvec/onnx/convert/tfgraph"
)

// graphBuilder writes small tfjs graph models: an int64 placeholder "x"
// cast to float ("xf"), constants in the weights manifest, and ops.
type graphBuilder struct {
	nodes   []string
	weights []string
	data    []byte
}

func newGraph(dims ...int) *graphBuilder {
	g := &graphBuilder{}
	var d []string
	for _, x := range dims {
		d = append(d, fmt.Sprintf(`{"size":"%d"}`, x))
	}
	g.nodes = append(g.nodes,
		fmt.Sprintf(`{"name":"x","op":"Placeholder","attr":{"dtype":{"type":9},"shape":{"shape":{"dim":[%s]}}}}`, strings.Join(d, ",")),
		`{"name":"xf","op":"Cast","input":["x"],"attr":{"SrcT":{"type":9},"DstT":{"type":1}}}`)
	return g
}

func (g *graphBuilder) constant(name string, dtype int, shape []int, vals ...float64) {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprintf(`{"size":"%d"}`, d)
	}
	g.nodes = append(g.nodes, fmt.Sprintf(`{"name":%q,"op":"Const","attr":{"dtype":{"type":%d},"value":{"tensor":{"dtype":%d,"tensorShape":{"dim":[%s]}}}}}`,
		name, dtype, dtype, strings.Join(dims, ",")))
	kind := "float32"
	if dtype != 1 {
		kind = "int32"
	}
	sh, _ := json.Marshal(shape)
	if shape == nil {
		sh = []byte("[]")
	}
	g.weights = append(g.weights, fmt.Sprintf(`{"name":%q,"shape":%s,"dtype":%q}`, name, sh, kind))
	for _, v := range vals {
		if dtype == 1 {
			g.data = binary.LittleEndian.AppendUint32(g.data, math.Float32bits(float32(v)))
		} else {
			g.data = binary.LittleEndian.AppendUint32(g.data, uint32(int32(v)))
		}
	}
}

func (g *graphBuilder) op(name, op string, inputs []string, attrs string) {
	in, _ := json.Marshal(inputs)
	g.nodes = append(g.nodes, fmt.Sprintf(`{"name":%q,"op":%q,"input":%s,"attr":{%s}}`, name, op, in, attrs))
}

func (g *graphBuilder) convert(t *testing.T) []byte {
	t.Helper()
	model := fmt.Sprintf(`{"format":"graph-model","modelTopology":{"node":[%s]},"weightsManifest":[{"paths":["w"],"weights":[%s]}]}`,
		strings.Join(g.nodes, ",\n"), strings.Join(g.weights, ","))
	out, _, err := tfgraph.Convert([]byte(model), [][]byte{g.data}, tfgraph.Options{OutputName: tfgraph.USEOutput})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOpSemantics runs small graphs through ONNX Runtime to check the
// mappings where TensorFlow and ONNX defaults differ and the converter
// must bridge them. Expected values are TensorFlow's, worked out by hand.
func TestOpSemantics(t *testing.T) {
	x := []int64{1, 2, 3, 4, 5, 6} // [2, 3] or [6]
	tests := []struct {
		name      string
		dims      []int
		build     func(g *graphBuilder)
		want      []float32
		wantShape []int64
	}{
		{"StridedSlice x[:, -1] (shrink)", []int{2, 3}, func(g *graphBuilder) {
			g.constant("b", 3, []int{2}, 0, -1)
			g.constant("e", 3, []int{2}, 0, 0)
			g.constant("s", 3, []int{2}, 1, 1)
			g.op("y", "StridedSlice", []string{"xf", "b", "e", "s"}, `"begin_mask":{"i":"1"},"end_mask":{"i":"1"},"shrink_axis_mask":{"i":"2"}`)
		}, []float32{3, 6}, []int64{2}},
		{"StridedSlice x[1:, ::2]", []int{2, 3}, func(g *graphBuilder) {
			g.constant("b", 3, []int{2}, 1, 0)
			g.constant("e", 3, []int{2}, 0, 0)
			g.constant("s", 3, []int{2}, 1, 2)
			g.op("y", "StridedSlice", []string{"xf", "b", "e", "s"}, `"end_mask":{"i":"3"}`)
		}, []float32{4, 6}, []int64{1, 2}},
		{"Sum over no axes reduces nothing", []int{2, 3}, func(g *graphBuilder) {
			g.constant("a", 3, []int{0})
			g.op("y", "Sum", []string{"xf", "a"}, `"keep_dims":{"b":false}`)
		}, []float32{1, 2, 3, 4, 5, 6}, []int64{2, 3}},
		{"Max over axis -1 keeping dims", []int{2, 3}, func(g *graphBuilder) {
			g.constant("a", 3, []int{1}, -1)
			g.op("y", "Max", []string{"xf", "a"}, `"keep_dims":{"b":true}`)
		}, []float32{3, 6}, []int64{2, 1}},
		{"ScatterNd adds duplicate indices", []int{3}, func(g *graphBuilder) {
			g.constant("i", 3, []int{3, 1}, 0, 0, 2)
			g.constant("s", 3, []int{1}, 4)
			g.op("y", "ScatterNd", []string{"i", "xf", "s"}, `"Tindices":{"type":3}`)
		}, []float32{3, 0, 3, 0}, []int64{4}},
		{"SplitV with an inferred size", []int{6}, func(g *graphBuilder) {
			g.constant("n", 3, []int{2}, 2, -1)
			g.constant("a", 3, nil, 0)
			g.op("sp", "SplitV", []string{"xf", "n", "a"}, `"num_split":{"i":"2"}`)
			g.op("y", "Relu", []string{"sp:1"}, "")
		}, []float32{3, 4, 5, 6}, []int64{4}},
		{"Pack along axis -1", []int{6}, func(g *graphBuilder) {
			g.constant("c", 1, []int{6}, 10, 20, 30, 40, 50, 60)
			g.op("y", "Pack", []string{"xf", "c"}, `"N":{"i":"2"},"axis":{"i":"-1"}`)
		}, []float32{1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60}, []int64{6, 2}},
		{"Slice with size -1", []int{2, 3}, func(g *graphBuilder) {
			g.constant("b", 3, []int{2}, 0, 1)
			g.constant("z", 3, []int{2}, 1, -1)
			g.op("y", "Slice", []string{"xf", "b", "z"}, "")
		}, []float32{2, 3}, []int64{1, 2}},
		{"SparseToDense", []int{3}, func(g *graphBuilder) {
			g.constant("i", 3, []int{3, 2}, 0, 0, 1, 1, 1, 2)
			g.constant("s", 3, []int{2}, 2, 3)
			g.constant("d", 1, nil, -1)
			g.op("y", "SparseToDense", []string{"i", "s", "xf", "d"}, `"validate_indices":{"b":true}`)
		}, []float32{1, -1, -1, -1, 2, 3}, []int64{2, 3}},
		{"BatchMatMul with adj_y", []int{2, 3}, func(g *graphBuilder) {
			g.op("y", "BatchMatMul", []string{"xf", "xf"}, `"adj_x":{"b":false},"adj_y":{"b":true}`)
		}, []float32{14, 32, 32, 77}, []int64{2, 2}},
		{"Conv2D SAME, stride 2, NHWC", []int{1, 3, 2, 1}, func(g *graphBuilder) {
			// A 2x1 filter summing a pixel and the one below it; SAME pads
			// the bottom.
			g.constant("f", 1, []int{2, 1, 1, 1}, 1, 1)
			g.op("y", "Conv2D", []string{"xf", "f"},
				`"strides":{"list":{"i":["1","2","2","1"]}},"padding":{"s":"U0FNRQ=="},"data_format":{"s":[78,72,87,67]}`)
		}, []float32{4, 5}, []int64{1, 2, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGraph(tt.dims...)
			tt.build(g)
			m := openModel(t, g.convert(t), "x")
			dims := make([]int64, len(tt.dims))
			n := int64(1)
			for i, d := range tt.dims {
				dims[i] = int64(d)
				n *= int64(d)
			}
			got, shape, err := m.run(t, tensor(t, x[:n], dims...))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) || !slices.Equal(shape, tt.wantShape) {
				t.Errorf("got %v shape %v, want %v shape %v", got, shape, tt.want, tt.wantShape)
			}
		})
	}
}
