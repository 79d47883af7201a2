package standin

import (
	"encoding/binary"
	"math"
	"strconv"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
)

// graph collects the nodes and initializers of a model under construction
// and draws its weights from one PRNG stream.
type graph struct {
	nodes  []*pb.NodeProto
	inits  []*pb.TensorProto
	shared map[string]bool // names of constants already added
	rng    splitmix64
}

func newGraph(seed uint64) *graph {
	return &graph{shared: map[string]bool{}, rng: splitmix64(seed)}
}

// node adds one node whose single output is called name and returns name.
func (g *graph) node(name, op string, inputs []string, attrs ...*pb.AttributeProto) string {
	return g.nodeNamed(name, name, op, inputs, attrs...)
}

// nodeNamed adds one node called name with the single output output.
func (g *graph) nodeNamed(name, output, op string, inputs []string, attrs ...*pb.AttributeProto) string {
	g.nodes = append(g.nodes, &pb.NodeProto{Name: name, OpType: op, Input: inputs, Output: []string{output}, Attribute: attrs})
	return output
}

// draw returns n weights uniform in [-scale, scale), rounded once to
// float32.
func (g *graph) draw(n int, scale float64) []float32 {
	w := make([]float32, n)
	for i := range w {
		w[i] = float32((2*g.rng.float64() - 1) * scale)
	}
	return w
}

func (g *graph) uniform(name string, dims []int64, scale float64) string {
	return g.floats(name, dims, g.draw(count(dims), scale))
}

// offsetUniform is like uniform, around offset instead of 0.
func (g *graph) offsetUniform(name string, dims []int64, offset, scale float64) string {
	w := make([]float32, count(dims))
	for i := range w {
		w[i] = float32(offset + (2*g.rng.float64()-1)*scale)
	}
	return g.floats(name, dims, w)
}

func count(dims []int64) int {
	n := 1
	for _, d := range dims {
		n *= int(d)
	}
	return n
}

// floats adds a float32 initializer stored as little-endian raw data.
func (g *graph) floats(name string, dims []int64, values []float32) string {
	raw := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	g.inits = append(g.inits, &pb.TensorProto{Name: name, Dims: dims, DataType: int32(pb.TensorProto_FLOAT), RawData: raw})
	return name
}

// scalar returns a shared float32 scalar constant.
func (g *graph) scalar(v float32) string {
	name := "const/" + strconv.FormatFloat(float64(v), 'g', -1, 32)
	if !g.shared[name] {
		g.shared[name] = true
		g.floats(name, nil, []float32{v})
	}
	return name
}

// ints returns a shared int64 vector constant called name; the first call
// with a name sets its values.
func (g *graph) ints(name string, values ...int64) string {
	return g.int64s(name, []int64{int64(len(values))}, values)
}

// scalarInt returns a shared int64 scalar constant called name.
func (g *graph) scalarInt(name string, v int64) string {
	return g.int64s(name, nil, []int64{v})
}

func (g *graph) int64s(name string, dims, values []int64) string {
	if g.shared[name] {
		return name
	}
	g.shared[name] = true
	raw := make([]byte, 8*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	g.inits = append(g.inits, &pb.TensorProto{Name: name, Dims: dims, DataType: int32(pb.TensorProto_INT64), RawData: raw})
	return name
}

func attrInt(name string, v int64) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_INT, I: v}
}

func attrInts(name string, v ...int64) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_INTS, Ints: v}
}

// valueInfo declares a graph input or output: int64 when it has only
// symbolic dimensions (the token inputs), float32 when it ends in a fixed
// width.
func valueInfo(name string, dims ...any) *pb.ValueInfoProto {
	elem := pb.TensorProto_INT64
	shape := &pb.TensorShapeProto{}
	for _, d := range dims {
		switch d := d.(type) {
		case string:
			shape.Dim = append(shape.Dim, &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimParam{DimParam: d}})
		case int:
			elem = pb.TensorProto_FLOAT
			shape.Dim = append(shape.Dim, &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
		}
	}
	return &pb.ValueInfoProto{Name: name, Type: &pb.TypeProto{Value: &pb.TypeProto_TensorType{
		TensorType: &pb.TypeProto_Tensor{ElemType: int32(elem), Shape: shape}}}}
}

// splitmix64 is Steele, Lea and Flood's SplitMix64 generator: fixed here,
// unlike math/rand's streams, so the weights never change with Go.
type splitmix64 uint64

func (s *splitmix64) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// float64 returns a value uniform in [0, 1).
func (s *splitmix64) float64() float64 { return float64(s.next()>>11) / (1 << 53) }
