package tfgraph

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/advancedclimatesystems/gonnx/onnx"
)

// opFunc converts one TensorFlow node. A plain error it returns is
// reported as CodeUnsupported for that node.
type opFunc func(c *converter, n *nodeDef, a attrs) error

// ops maps every TensorFlow op the converter knows to its conversion. The
// list is exactly what Universal Sentence Encoder Lite uses; anything else
// is refused, never approximated.
var ops map[string]opFunc

func init() {
	ops = map[string]opFunc{
		"Const":         opConst,
		"Placeholder":   opPlaceholder,
		"Add":           elementwise("Add", false),
		"Sub":           elementwise("Sub", false),
		"Mul":           elementwise("Mul", false),
		"RealDiv":       elementwise("Div", false),
		"Maximum":       elementwise("Max", false),
		"Less":          elementwise("Less", true),
		"Greater":       elementwise("Greater", true),
		"BiasAdd":       opBiasAdd,
		"Sin":           unary("Sin", dtFloat),
		"Cos":           unary("Cos", dtFloat),
		"Tanh":          unary("Tanh", dtFloat),
		"Relu":          unary("Relu", dtFloat),
		"Softmax":       opSoftmax,
		"LogicalNot":    unary("Not", dtBool),
		"Square":        opSquare,
		"Rsqrt":         opRsqrt,
		"Cast":          opCast,
		"Shape":         opShape,
		"Where":         opWhere,
		"Reshape":       opReshape,
		"ExpandDims":    opExpandDims,
		"Squeeze":       opSqueeze,
		"Transpose":     opTranspose,
		"StridedSlice":  opStridedSlice,
		"Slice":         opSlice,
		"ConcatV2":      opConcat,
		"Pack":          opPack,
		"SplitV":        opSplitV,
		"GatherV2":      opGather,
		"GatherNd":      opGatherND,
		"ScatterNd":     opScatterND,
		"SparseToDense": opSparseToDense,
		"Range":         opRange,
		"Max":           reduce("ReduceMax"),
		"Sum":           reduce("ReduceSum"),
		"Mean":          reduce("ReduceMean"),
		"Prod":          reduce("ReduceProd"),
		"MatMul":        opMatMul,
		"BatchMatMul":   opBatchMatMul,
		"Conv2D":        opConv2D,
	}
}

// SupportedOps lists the TensorFlow ops the converter maps, sorted.
func SupportedOps() []string {
	names := make([]string, 0, len(ops))
	for name := range ops {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func (c *converter) convertNode(n *nodeDef) error {
	f, ok := ops[n.Op]
	if !ok {
		return unsupported("convert", n.Name, "op %s has no ONNX mapping", n.Op)
	}
	if err := f(c, n, attrs{node: n}); err != nil {
		if isStepError(err) {
			return err
		}
		return stepErr(CodeUnsupported, "convert "+n.Op, n.Name, err)
	}
	return nil
}

// carrier is the ONNX-side dtype of a TensorFlow dtype: int32 and int64
// both travel as int64 (tfjs itself computes both as int32; the values the
// graph handles are indices and shapes, far from either limit).
func carrier(d dataType) (dataType, error) {
	switch d {
	case dtFloat, dtBool:
		return d, nil
	case dtInt32, dtInt64:
		return dtInt64, nil
	}
	return 0, fmt.Errorf("dtype %v is not supported (only float32, int32, int64, bool)", d)
}

// --- constants and initializers ---

func opConst(c *converter, n *nodeDef, a attrs) error {
	dt, ok, err := a.dtype("dtype")
	if err != nil || !ok {
		return malformed("convert Const", n.Name, "no dtype attribute (%v)", err)
	}
	carried, err := carrier(dt)
	if err != nil {
		return err
	}
	val := n.Attr["value"].Tensor
	t, ok := c.weights[n.Name]
	if !ok {
		if val != nil && val.hasInlineValues() {
			return fmt.Errorf("constant values stored in the graph (only in the weights manifest)")
		}
		return malformed("convert Const", n.Name, "no weight of that name in the manifest")
	}
	if val != nil && val.TensorShape != nil {
		dims, known, err := val.TensorShape.dims()
		if err != nil {
			return malformed("convert Const", n.Name, "%w", err)
		}
		if known && !slices.Equal(dims, t.Shape) {
			return malformed("convert Const", n.Name, "graph says shape %v, manifest %v", dims, t.Shape)
		}
	}
	switch {
	case carried == dtFloat && t.Floats == nil, carried == dtInt64 && t.Ints == nil:
		return malformed("convert Const", n.Name, "graph dtype %v does not match the manifest's", dt)
	case carried == dtBool:
		return fmt.Errorf("bool constants are not supported")
	}
	c.values[n.Name] = &value{name: n.Name, dtype: carried, shape: knownShape(t.Shape...), konst: t, node: n}
	c.names[n.Name] = true
	return nil
}

// materialise writes the initializer of a Const value, on its first use as
// an ONNX input (constants read only as attributes are never written).
func (c *converter) materialise(v *value) {
	t := v.konst
	tp := &onnx.TensorProto{Name: v.name, Dims: slices.Clone(t.Shape), DataType: int32(onnxType(v.dtype))}
	if v.dtype == dtFloat {
		tp.RawData = floatBytes(t.Floats)
		c.report.Params += int64(len(t.Floats))
	} else {
		tp.RawData = int64Bytes(t.Ints)
		c.report.Params += int64(len(t.Ints))
	}
	c.inits = append(c.inits, tp)
	c.inited[v.name] = true
}

func floatBytes(v []float32) []byte {
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	return raw
}

func int64Bytes(v []int64) []byte {
	raw := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(x))
	}
	return raw
}

// int64Init adds an int64 initializer for a value the conversion of node
// derives (axes, starts, ...); dims nil makes a scalar.
func (c *converter) int64Init(node, what string, dims []int64, vals ...int64) string {
	name := c.tmp(node, what)
	c.inits = append(c.inits, &onnx.TensorProto{
		Name: name, Dims: dims, DataType: int32(onnx.TensorProto_INT64), RawData: int64Bytes(vals),
	})
	return name
}

func (c *converter) vecInit(node, what string, vals ...int64) string {
	return c.int64Init(node, what, []int64{int64(len(vals))}, vals...)
}

// constInts returns the values of an integer constant input.
func constInts(v *value, what string) ([]int64, error) {
	if v.konst == nil || v.dtype != dtInt64 {
		return nil, fmt.Errorf("%s must be an integer constant", what)
	}
	return v.konst.Ints, nil
}

// constScalar returns a constant holding one integer (scalar or [1]).
func constScalar(v *value, what string) (int64, error) {
	vals, err := constInts(v, what)
	if err != nil {
		return 0, err
	}
	if len(vals) != 1 || v.shape.rank() > 1 {
		return 0, fmt.Errorf("%s must hold one value, has shape %v", what, v.shape)
	}
	return vals[0], nil
}

// normAxis maps a possibly negative axis into [0, rank).
func normAxis(axis int64, rank int, what string) (int64, error) {
	if rank < 0 {
		return 0, fmt.Errorf("%s %d on a tensor of unknown rank", what, axis)
	}
	if axis < -int64(rank) || axis >= int64(rank) {
		return 0, fmt.Errorf("%s %d out of range for rank %d", what, axis, rank)
	}
	if axis < 0 {
		axis += int64(rank)
	}
	return axis, nil
}

func attrInt(name string, v int64) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INT, I: v}
}

func attrInts(name string, v ...int64) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INTS, Ints: v}
}

func attrString(name, v string) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_STRING, S: []byte(v)}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// --- inputs ---

func opPlaceholder(c *converter, n *nodeDef, a attrs) error {
	dt, ok, err := a.dtype("dtype")
	if err != nil || !ok {
		return malformed("convert Placeholder", n.Name, "no dtype attribute (%v)", err)
	}
	carried, err := carrier(dt)
	if err != nil {
		return err
	}
	var s shape
	if sh, ok := n.Attr["shape"]; ok && sh.Shape != nil {
		dims, known, err := sh.Shape.dims()
		if err != nil {
			return malformed("convert Placeholder", n.Name, "%w", err)
		}
		s = shape{dims: dims, known: known}
	}
	if c.opts.Dense != nil {
		return c.checkDenseFed(n, carried, s)
	}
	if !s.known {
		return fmt.Errorf("placeholder of unknown rank")
	}
	c.set(n, 0, carried, s)
	c.graphInputs = append(c.graphInputs, valueInfo(n.Name, onnxType(carried), s.dims, nil))
	c.report.Inputs = append(c.report.Inputs, n.Name)
	return nil
}

// --- elementwise ---

func unary(onnxOp string, want dataType) opFunc {
	return func(c *converter, n *nodeDef, _ attrs) error {
		vs, err := c.inputs(n, 1)
		if err != nil {
			return err
		}
		x := vs[0]
		if x.dtype != want {
			return fmt.Errorf("input dtype %v, want %v", x.dtype, want)
		}
		out := c.set(n, 0, x.dtype, x.shape)
		c.emit(onnxOp, n.Name, []string{c.ref(x)}, []string{out})
		return nil
	}
}

func elementwise(onnxOp string, compare bool) opFunc {
	return func(c *converter, n *nodeDef, _ attrs) error {
		vs, err := c.inputs(n, 2)
		if err != nil {
			return err
		}
		x, y := vs[0], vs[1]
		if x.dtype != y.dtype {
			return malformed("convert "+n.Op, n.Name, "inputs of dtypes %v and %v", x.dtype, y.dtype)
		}
		if x.dtype == dtBool {
			return fmt.Errorf("bool inputs")
		}
		if onnxOp == "Div" && x.dtype != dtFloat {
			return fmt.Errorf("RealDiv on %v", x.dtype)
		}
		s, err := broadcast(x.shape, y.shape)
		if err != nil {
			return malformed("convert "+n.Op, n.Name, "%w", err)
		}
		dt := x.dtype
		if compare {
			dt = dtBool
		}
		out := c.set(n, 0, dt, s)
		c.emit(onnxOp, n.Name, []string{c.ref(x), c.ref(y)}, []string{out})
		return nil
	}
}

// broadcast is numpy's (and TensorFlow's, and ONNX's) broadcasting of two
// static shapes.
func broadcast(a, b shape) (shape, error) {
	if !a.known || !b.known {
		return shape{}, nil
	}
	r := max(len(a.dims), len(b.dims))
	out := make([]int64, r)
	for i := 1; i <= r; i++ {
		da, db := int64(1), int64(1)
		if i <= len(a.dims) {
			da = a.dims[len(a.dims)-i]
		}
		if i <= len(b.dims) {
			db = b.dims[len(b.dims)-i]
		}
		var d int64
		switch {
		case da == 1:
			d = db
		case db == 1:
			d = da
		case da == -1:
			d = db
		case db == -1, da == db:
			d = da
		default:
			return shape{}, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
		out[r-i] = d
	}
	return knownShape(out...), nil
}

func opBiasAdd(c *converter, n *nodeDef, a attrs) error {
	vs, err := c.inputs(n, 2)
	if err != nil {
		return err
	}
	x, b := vs[0], vs[1]
	if f, err := a.string("data_format", "NHWC"); err != nil || f != "NHWC" {
		return fmt.Errorf("data_format %q (only NHWC)", f)
	}
	if b.shape.rank() != 1 || x.dtype != dtFloat || b.dtype != dtFloat {
		return fmt.Errorf("want a float tensor and a float vector, got %v %v and %v %v", x.dtype, x.shape, b.dtype, b.shape)
	}
	s, err := broadcast(x.shape, b.shape)
	if err != nil {
		return malformed("convert BiasAdd", n.Name, "%w", err)
	}
	out := c.set(n, 0, dtFloat, s)
	c.emit("Add", n.Name, []string{c.ref(x), c.ref(b)}, []string{out})
	return nil
}

func opSquare(c *converter, n *nodeDef, _ attrs) error {
	vs, err := c.inputs(n, 1)
	if err != nil {
		return err
	}
	x := vs[0]
	if x.dtype != dtFloat {
		return fmt.Errorf("input dtype %v (only float32)", x.dtype)
	}
	out := c.set(n, 0, dtFloat, x.shape)
	c.emit("Mul", n.Name, []string{c.ref(x), c.ref(x)}, []string{out})
	return nil
}

// opRsqrt is 1/sqrt(x), computed as Reciprocal(Sqrt(x)).
func opRsqrt(c *converter, n *nodeDef, _ attrs) error {
	vs, err := c.inputs(n, 1)
	if err != nil {
		return err
	}
	x := vs[0]
	if x.dtype != dtFloat {
		return fmt.Errorf("input dtype %v (only float32)", x.dtype)
	}
	sqrt := c.tmp(n.Name, "sqrt")
	c.emit("Sqrt", sqrt, []string{c.ref(x)}, []string{sqrt})
	out := c.set(n, 0, dtFloat, x.shape)
	c.emit("Reciprocal", n.Name, []string{sqrt}, []string{out})
	return nil
}

func opSoftmax(c *converter, n *nodeDef, _ attrs) error {
	vs, err := c.inputs(n, 1)
	if err != nil {
		return err
	}
	x := vs[0]
	if x.dtype != dtFloat || x.shape.rank() == 0 {
		return fmt.Errorf("input %v %v: want float32 of rank >= 1", x.dtype, x.shape)
	}
	out := c.set(n, 0, dtFloat, x.shape)
	c.emit("Softmax", n.Name, []string{c.ref(x)}, []string{out}, attrInt("axis", -1))
	return nil
}

func opCast(c *converter, n *nodeDef, a attrs) error {
	vs, err := c.inputs(n, 1)
	if err != nil {
		return err
	}
	x := vs[0]
	dst, ok, err := a.dtype("DstT")
	if err != nil || !ok {
		return malformed("convert Cast", n.Name, "no DstT attribute (%v)", err)
	}
	to, err := carrier(dst)
	if err != nil {
		return err
	}
	if a.bool("Truncate", false) {
		return fmt.Errorf("Truncate=true")
	}
	out := c.set(n, 0, to, x.shape)
	c.emit("Cast", n.Name, []string{c.ref(x)}, []string{out}, attrInt("to", int64(onnxType(to))))
	return nil
}

// --- shapes and layout ---

func opShape(c *converter, n *nodeDef, _ attrs) error {
	vs, err := c.inputs(n, 1)
	if err != nil {
		return err
	}
	x := vs[0]
	out := c.set(n, 0, dtInt64, knownShape(int64(x.shape.rank())))
	c.emit("Shape", n.Name, []string{c.ref(x)}, []string{out})
	return nil
}

// opWhere is the one-input Where: the coordinates of the true (non-zero)
// elements, [n, rank], in row-major order. ONNX NonZero gives [rank, n].
func opWhere(c *converter, n *nodeDef, _ attrs) error {
	vs, err := c.inputs(n, 1)
	if err != nil {
		return err
	}
	x := vs[0]
	if x.shape.rank() < 1 {
		return fmt.Errorf("input of rank %d: want a known rank >= 1", x.shape.rank())
	}
	nz := c.tmp(n.Name, "nonzero")
	c.emit("NonZero", nz, []string{c.ref(x)}, []string{nz})
	out := c.set(n, 0, dtInt64, knownShape(-1, int64(x.shape.rank())))
	c.emit("Transpose", n.Name, []string{nz}, []string{out}, attrInts("perm", 1, 0))
	return nil
}

// opReshape keeps TensorFlow's meaning of 0 in the new shape (a dimension
// of size 0, not "copy"): allowzero=1.
func opReshape(c *converter, n *nodeDef, _ attrs) error {
	vs, err := c.inputs(n, 2)
	if err != nil {
		return err
	}
	x, sh := vs[0], vs[1]
	if sh.dtype != dtInt64 || sh.shape.rank() != 1 {
		return fmt.Errorf("shape input %v %v is not an integer vector", sh.dtype, sh.shape)
	}
	var s shape
	switch {
	case sh.konst != nil:
		s = reshaped(x.shape, sh.konst.Ints)
	case sh.shape.dims[0] >= 0:
		s = knownShape(filled(sh.shape.dims[0], -1)...)
	}
	out := c.set(n, 0, x.dtype, s)
	c.emit("Reshape", n.Name, []string{c.ref(x), c.ref(sh)}, []string{out}, attrInt("allowzero", 1))
	return nil
}

func filled(n, v int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// reshaped is the static result of reshaping from to the constant shape to.
func reshaped(from shape, to []int64) shape {
	dims := slices.Clone(to)
	infer := slices.Index(dims, -1)
	if infer < 0 {
		return knownShape(dims...)
	}
	total, ok := int64(1), from.known
	for _, d := range from.dims {
		if d < 0 {
			ok = false
		}
		total *= d
	}
	rest := int64(1)
	for i, d := range dims {
		if i != infer {
			rest *= d
		}
	}
	if ok && rest > 0 {
		dims[infer] = total / rest
	}
	return knownShape(dims...)
}

func opExpandDims(c *converter, n *nodeDef, _ attrs) error {
	vs, err := c.inputs(n, 2)
	if err != nil {
		return err
	}
	x := vs[0]
	dim, err := constScalar(vs[1], "dim")
	if err != nil {
		return err
	}
	r := x.shape.rank()
	if r < 0 {
		return fmt.Errorf("input of unknown rank")
	}
	pos, err := normAxis(dim, r+1, "dim")
	if err != nil {
		return err
	}
	dims := slices.Insert(slices.Clone(x.shape.dims), int(pos), 1)
	axes := c.vecInit(n.Name, "axes", pos)
	out := c.set(n, 0, x.dtype, knownShape(dims...))
	c.emit("Unsqueeze", n.Name, []string{c.ref(x), axes}, []string{out})
	return nil
}

func opSqueeze(c *converter, n *nodeDef, a attrs) error {
	vs, err := c.inputs(n, 1)
	if err != nil {
		return err
	}
	x := vs[0]
	dims, err := a.ints("squeeze_dims")
	if err != nil {
		return err
	}
	r := x.shape.rank()
	if r < 0 {
		return fmt.Errorf("input of unknown rank")
	}
	if len(dims) == 0 {
		// Every dimension of size 1, as TensorFlow and ONNX both do
		// without axes; the static shape must say which ones those are.
		var kept []int64
		for _, d := range x.shape.dims {
			if d < 0 {
				return fmt.Errorf("no squeeze_dims on an input of partly unknown shape %v", x.shape)
			}
			if d != 1 {
				kept = append(kept, d)
			}
		}
		out := c.set(n, 0, x.dtype, knownShape(kept...))
		c.emit("Squeeze", n.Name, []string{c.ref(x)}, []string{out})
		return nil
	}
	drop := map[int64]bool{}
	axes := make([]int64, len(dims))
	for i, d := range dims {
		ax, err := normAxis(d, r, "squeeze dim")
		if err != nil {
			return err
		}
		if x.shape.dims[ax] > 1 || x.shape.dims[ax] == 0 {
			return malformed("convert Squeeze", n.Name, "squeezing dim %d of size %d", ax, x.shape.dims[ax])
		}
		drop[ax], axes[i] = true, ax
	}
	var kept []int64
	for i, d := range x.shape.dims {
		if !drop[int64(i)] {
			kept = append(kept, d)
		}
	}
	axesInit := c.vecInit(n.Name, "axes", axes...)
	out := c.set(n, 0, x.dtype, knownShape(kept...))
	c.emit("Squeeze", n.Name, []string{c.ref(x), axesInit}, []string{out})
	return nil
}

func opTranspose(c *converter, n *nodeDef, _ attrs) error {
	vs, err := c.inputs(n, 2)
	if err != nil {
		return err
	}
	x := vs[0]
	perm, err := constInts(vs[1], "perm")
	if err != nil {
		return err
	}
	if x.shape.rank() != len(perm) {
		return fmt.Errorf("perm %v for a tensor of shape %v", perm, x.shape)
	}
	dims := make([]int64, len(perm))
	seen := map[int64]bool{}
	for i, p := range perm {
		if p < 0 || p >= int64(len(perm)) || seen[p] {
			return malformed("convert Transpose", n.Name, "perm %v is not a permutation", perm)
		}
		seen[p] = true
		dims[i] = x.shape.dims[p]
	}
	out := c.set(n, 0, x.dtype, knownShape(dims...))
	c.emit("Transpose", n.Name, []string{c.ref(x)}, []string{out}, attrInts("perm", perm...))
	return nil
}

// opStridedSlice maps StridedSlice with constant begin, end and strides,
// positive strides, and no ellipsis or new axis, to Slice (plus Squeeze for
// the shrunk axes).
func opStridedSlice(c *converter, n *nodeDef, a attrs) error {
	vs, err := c.inputs(n, 4)
	if err != nil {
		return err
	}
	x := vs[0]
	begin, err := constInts(vs[1], "begin")
	if err != nil {
		return err
	}
	end, err := constInts(vs[2], "end")
	if err != nil {
		return err
	}
	strides, err := constInts(vs[3], "strides")
	if err != nil {
		return err
	}
	mask := map[string]int64{}
	for _, name := range []string{"begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"} {
		if mask[name], err = a.int(name, 0); err != nil {
			return err
		}
	}
	if mask["ellipsis_mask"] != 0 || mask["new_axis_mask"] != 0 {
		return fmt.Errorf("ellipsis_mask %d, new_axis_mask %d (only 0)", mask["ellipsis_mask"], mask["new_axis_mask"])
	}
	k := len(begin)
	r := x.shape.rank()
	if len(end) != k || len(strides) != k || r < k {
		return malformed("convert StridedSlice", n.Name, "begin %v, end %v, strides %v on shape %v", begin, end, strides, x.shape)
	}
	bit := func(name string, i int) bool { return mask[name]&(1<<i) != 0 }
	starts, ends, axes, steps := make([]int64, k), make([]int64, k), make([]int64, k), make([]int64, k)
	var shrink []int64
	dims := slices.Clone(x.shape.dims)
	for i := range k {
		if strides[i] <= 0 {
			return fmt.Errorf("stride %d on axis %d (only positive strides)", strides[i], i)
		}
		axes[i], steps[i] = int64(i), strides[i]
		switch {
		case bit("shrink_axis_mask", i):
			// A single index: TensorFlow takes begin (0 under begin_mask)
			// and ignores end and stride.
			starts[i], steps[i] = begin[i], 1
			if bit("begin_mask", i) {
				starts[i] = 0
			}
			ends[i] = starts[i] + 1
			if starts[i] == -1 {
				ends[i] = math.MaxInt64
			}
			shrink = append(shrink, int64(i))
		default:
			starts[i], ends[i] = begin[i], end[i]
			if bit("begin_mask", i) {
				starts[i] = 0
			}
			if bit("end_mask", i) {
				ends[i] = math.MaxInt64
			}
		}
		dims[i] = sliceLen(dims[i], starts[i], ends[i], steps[i])
	}
	sliced := c.tmp(n.Name, "slice")
	target := sliced
	if len(shrink) == 0 {
		target = c.set(n, 0, x.dtype, knownShape(dims...))
	}
	c.emit("Slice", n.Name, []string{
		c.ref(x), c.vecInit(n.Name, "starts", starts...), c.vecInit(n.Name, "ends", ends...),
		c.vecInit(n.Name, "axes", axes...), c.vecInit(n.Name, "steps", steps...),
	}, []string{target})
	if len(shrink) == 0 {
		return nil
	}
	var kept []int64
	for i, d := range dims {
		if !slices.Contains(shrink, int64(i)) {
			kept = append(kept, d)
		}
	}
	out := c.set(n, 0, x.dtype, knownShape(kept...))
	c.emit("Squeeze", n.Name+"/onnx/squeeze", []string{sliced, c.vecInit(n.Name, "shrink_axes", shrink...)}, []string{out})
	return nil
}

// sliceLen is the static length of dim[start:end:step] (step > 0) with
// ONNX's (and TensorFlow's) clamping, or -1 if dim is unknown.
func sliceLen(dim, start, end, step int64) int64 {
	if dim < 0 {
		return -1
	}
	clamp := func(v int64) int64 {
		if v < 0 {
			v += dim
		}
		return min(max(v, 0), dim)
	}
	s, e := clamp(start), clamp(end)
	if e <= s {
		return 0
	}
	return (e - s + step - 1) / step
}

// opSlice maps Slice with constant begin and size (size -1: to the end).
func opSlice(c *converter, n *nodeDef, _ attrs) error {
	vs, err := c.inputs(n, 3)
	if err != nil {
		return err
	}
	x := vs[0]
	begin, err := constInts(vs[1], "begin")
	if err != nil {
		return err
	}
	size, err := constInts(vs[2], "size")
	if err != nil {
		return err
	}
	k := len(begin)
	if len(size) != k || x.shape.rank() != k {
		return malformed("convert Slice", n.Name, "begin %v, size %v on shape %v", begin, size, x.shape)
	}
	ends, axes := make([]int64, k), make([]int64, k)
	dims := slices.Clone(x.shape.dims)
	for i := range k {
		if begin[i] < 0 || size[i] < -1 {
			return malformed("convert Slice", n.Name, "begin %v, size %v", begin, size)
		}
		axes[i] = int64(i)
		if size[i] == -1 {
			ends[i] = math.MaxInt64
			if dims[i] >= 0 {
				dims[i] -= begin[i]
			}
		} else {
			ends[i] = begin[i] + size[i]
			dims[i] = size[i]
		}
	}
	out := c.set(n, 0, x.dtype, knownShape(dims...))
	c.emit("Slice", n.Name, []string{
		c.ref(x), c.vecInit(n.Name, "starts", begin...), c.vecInit(n.Name, "ends", ends...), c.vecInit(n.Name, "axes", axes...),
	}, []string{out})
	return nil
}

func opConcat(c *converter, n *nodeDef, a attrs) error {
	count, err := a.int("N", -1)
	if err != nil {
		return err
	}
	vs, err := c.inputs(n, int(count)+1)
	if err != nil {
		return err
	}
	xs := vs[:count]
	axis, err := constScalar(vs[count], "axis")
	if err != nil {
		return err
	}
	r := xs[0].shape.rank()
	ax, err := normAxis(axis, r, "axis")
	if err != nil {
		return err
	}
	dims := slices.Clone(xs[0].shape.dims)
	names := make([]string, len(xs))
	for i, x := range xs {
		if x.dtype != xs[0].dtype || x.shape.rank() != r {
			return malformed("convert ConcatV2", n.Name, "inputs of dtypes/shapes %v %v and %v %v", xs[0].dtype, xs[0].shape, x.dtype, x.shape)
		}
		for j, d := range x.shape.dims {
			switch {
			case i == 0:
			case int64(j) == ax:
				if dims[j] < 0 || d < 0 {
					dims[j] = -1
				} else {
					dims[j] += d
				}
			case dims[j] < 0:
				dims[j] = d
			case d >= 0 && d != dims[j]:
				return malformed("convert ConcatV2", n.Name, "shapes %v and %v differ off the axis", xs[0].shape, x.shape)
			}
		}
		names[i] = c.ref(x)
	}
	out := c.set(n, 0, xs[0].dtype, knownShape(dims...))
	c.emit("Concat", n.Name, names, []string{out}, attrInt("axis", ax))
	return nil
}

// opPack stacks N tensors along a new axis: Unsqueeze each, then Concat.
func opPack(c *converter, n *nodeDef, a attrs) error {
	count, err := a.int("N", -1)
	if err != nil {
		return err
	}
	axis, err := a.int("axis", 0)
	if err != nil {
		return err
	}
	vs, err := c.inputs(n, int(count))
	if err != nil {
		return err
	}
	r := vs[0].shape.rank()
	pos, err := normAxis(axis, r+1, "axis")
	if err != nil {
		return err
	}
	axes := c.vecInit(n.Name, "axes", pos)
	var merged shape = vs[0].shape
	names := make([]string, len(vs))
	for i, v := range vs {
		if v.dtype != vs[0].dtype || v.shape.rank() != r {
			return malformed("convert Pack", n.Name, "inputs of dtypes/shapes %v %v and %v %v", vs[0].dtype, vs[0].shape, v.dtype, v.shape)
		}
		if merged, err = broadcast(merged, v.shape); err != nil {
			return malformed("convert Pack", n.Name, "%w", err)
		}
		names[i] = c.tmp(n.Name, fmt.Sprintf("unsqueeze%d", i))
		c.emit("Unsqueeze", names[i], []string{c.ref(v), axes}, []string{names[i]})
	}
	dims := slices.Insert(slices.Clone(merged.dims), int(pos), count)
	out := c.set(n, 0, vs[0].dtype, knownShape(dims...))
	c.emit("Concat", n.Name, names, []string{out}, attrInt("axis", pos))
	return nil
}

func opSplitV(c *converter, n *nodeDef, a attrs) error {
	vs, err := c.inputs(n, 3)
	if err != nil {
		return err
	}
	x := vs[0]
	sizes, err := constInts(vs[1], "size_splits")
	if err != nil {
		return err
	}
	axis, err := constScalar(vs[2], "axis")
	if err != nil {
		return err
	}
	count, err := a.int("num_split", -1)
	if err != nil {
		return err
	}
	if int64(len(sizes)) != count {
		return malformed("convert SplitV", n.Name, "num_split %d with %d sizes", count, len(sizes))
	}
	ax, err := normAxis(axis, x.shape.rank(), "axis")
	if err != nil {
		return err
	}
	sizes = slices.Clone(sizes)
	if i := slices.Index(sizes, -1); i >= 0 {
		dim := x.shape.dims[ax]
		rest := int64(0)
		for j, s := range sizes {
			if j != i {
				rest += s
			}
		}
		if dim < 0 || slices.Index(sizes[i+1:], -1) >= 0 {
			return fmt.Errorf("size_splits %v cannot be resolved statically", sizes)
		}
		sizes[i] = dim - rest
	}
	outs := make([]string, count)
	for k, s := range sizes {
		if s < 0 {
			return malformed("convert SplitV", n.Name, "size_splits %v", sizes)
		}
		dims := slices.Clone(x.shape.dims)
		dims[ax] = s
		outs[k] = c.set(n, k, x.dtype, knownShape(dims...))
	}
	c.emit("Split", n.Name, []string{c.ref(x), c.vecInit(n.Name, "split", sizes...)}, outs, attrInt("axis", ax))
	return nil
}

// --- gather and scatter ---

func opGather(c *converter, n *nodeDef, a attrs) error {
	vs, err := c.inputs(n, 3)
	if err != nil {
		return err
	}
	params, indices := vs[0], vs[1]
	if bd, err := a.int("batch_dims", 0); err != nil || bd != 0 {
		return fmt.Errorf("batch_dims %d (only 0)", bd)
	}
	axis, err := constScalar(vs[2], "axis")
	if err != nil {
		return err
	}
	ax, err := normAxis(axis, params.shape.rank(), "axis")
	if err != nil {
		return err
	}
	if indices.dtype != dtInt64 || !indices.shape.known {
		return fmt.Errorf("indices %v %v", indices.dtype, indices.shape)
	}
	dims := slices.Concat(params.shape.dims[:ax], indices.shape.dims, params.shape.dims[ax+1:])
	out := c.set(n, 0, params.dtype, knownShape(dims...))
	c.emit("Gather", n.Name, []string{c.ref(params), c.ref(indices)}, []string{out}, attrInt("axis", ax))
	return nil
}

func opGatherND(c *converter, n *nodeDef, _ attrs) error {
	vs, err := c.inputs(n, 2)
	if err != nil {
		return err
	}
	params, indices := vs[0], vs[1]
	r := indices.shape.rank()
	if indices.dtype != dtInt64 || r < 1 || indices.shape.dims[r-1] < 1 || params.shape.rank() < int(indices.shape.dims[r-1]) {
		return fmt.Errorf("indices %v %v into params %v: the last indices dimension must be known", indices.dtype, indices.shape, params.shape)
	}
	q := indices.shape.dims[r-1]
	dims := slices.Concat(indices.shape.dims[:r-1], params.shape.dims[q:])
	out := c.set(n, 0, params.dtype, knownShape(dims...))
	c.emit("GatherND", n.Name, []string{c.ref(params), c.ref(indices)}, []string{out})
	return nil
}

// staticLen is the number of elements of a 1-D integer tensor, or -1.
func staticLen(v *value) int64 {
	if v.shape.rank() != 1 {
		return -1
	}
	return v.shape.dims[0]
}

// shapeOf is the static shape of a tensor built from the shape tensor v.
func shapeOf(v *value) shape {
	switch {
	case v.konst != nil:
		return knownShape(slices.Clone(v.konst.Ints)...)
	case staticLen(v) >= 0:
		return knownShape(filled(staticLen(v), -1)...)
	}
	return shape{}
}

// opScatterND is TensorFlow's ScatterNd: updates summed into zeros, so
// duplicate indices add up as in TensorFlow (ScatterND reduction="add").
func opScatterND(c *converter, n *nodeDef, _ attrs) error {
	vs, err := c.inputs(n, 3)
	if err != nil {
		return err
	}
	indices, updates, sh := vs[0], vs[1], vs[2]
	if indices.dtype != dtInt64 || sh.dtype != dtInt64 || staticLen(sh) < 0 {
		return fmt.Errorf("indices %v and shape %v %v", indices.dtype, sh.dtype, sh.shape)
	}
	if updates.dtype != dtFloat {
		return fmt.Errorf("updates of dtype %v (only float32)", updates.dtype)
	}
	zeros := c.tmp(n.Name, "zeros")
	c.emit("ConstantOfShape", zeros, []string{c.ref(sh)}, []string{zeros}, &onnx.AttributeProto{
		Name: "value", Type: onnx.AttributeProto_TENSOR,
		T: &onnx.TensorProto{Dims: []int64{1}, DataType: int32(onnx.TensorProto_FLOAT), RawData: floatBytes([]float32{0})},
	})
	out := c.set(n, 0, updates.dtype, shapeOf(sh))
	c.emit("ScatterND", n.Name, []string{zeros, c.ref(indices), c.ref(updates)}, []string{out}, attrString("reduction", "add"))
	return nil
}

// opSparseToDense fills a tensor of the given shape with the default value
// and writes the values at the indices (ScatterND). Only the 2-D indices,
// 1-D values form is mapped.
func opSparseToDense(c *converter, n *nodeDef, _ attrs) error {
	vs, err := c.inputs(n, 4)
	if err != nil {
		return err
	}
	indices, sh, values, def := vs[0], vs[1], vs[2], vs[3]
	if indices.dtype != dtInt64 || indices.shape.rank() != 2 || values.shape.rank() != 1 || def.shape.rank() != 0 {
		return fmt.Errorf("indices %v, values %v, default %v (only 2-D indices, 1-D values, scalar default)", indices.shape, values.shape, def.shape)
	}
	if values.dtype != def.dtype || sh.dtype != dtInt64 || staticLen(sh) < 0 {
		return malformed("convert SparseToDense", n.Name, "values %v, default %v, shape %v %v", values.dtype, def.dtype, sh.dtype, sh.shape)
	}
	if k := staticLen(sh); indices.shape.dims[1] >= 0 && indices.shape.dims[1] != k {
		return malformed("convert SparseToDense", n.Name, "indices %v into a %d-D shape", indices.shape, k)
	}
	filledName := c.tmp(n.Name, "default")
	c.emit("Expand", filledName, []string{c.ref(def), c.ref(sh)}, []string{filledName})
	out := c.set(n, 0, values.dtype, shapeOf(sh))
	c.emit("ScatterND", n.Name, []string{filledName, c.ref(indices), c.ref(values)}, []string{out})
	return nil
}

func opRange(c *converter, n *nodeDef, _ attrs) error {
	vs, err := c.inputs(n, 3)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if v.shape.rank() != 0 || v.dtype != vs[0].dtype || v.dtype == dtBool {
			return fmt.Errorf("start, limit and delta must be scalars of one numeric dtype")
		}
	}
	out := c.set(n, 0, vs[0].dtype, knownShape(-1))
	c.emit("Range", n.Name, []string{c.ref(vs[0]), c.ref(vs[1]), c.ref(vs[2])}, []string{out})
	return nil
}

// --- reductions ---

// reduce maps Max, Sum, Mean and Prod with constant axes. An empty axes
// list reduces nothing, as in TensorFlow (noop_with_empty_axes=1).
func reduce(onnxOp string) opFunc {
	return func(c *converter, n *nodeDef, a attrs) error {
		vs, err := c.inputs(n, 2)
		if err != nil {
			return err
		}
		x := vs[0]
		axes, err := constInts(vs[1], "reduction axes")
		if err != nil {
			return err
		}
		if x.dtype == dtBool {
			return fmt.Errorf("%s on bool", n.Op)
		}
		keep := a.bool("keep_dims", false)
		r := x.shape.rank()
		norm := make([]int64, len(axes))
		for i, ax := range axes {
			if norm[i], err = normAxis(ax, r, "axis"); err != nil {
				return err
			}
		}
		var dims []int64
		for i, d := range x.shape.dims {
			switch {
			case !slices.Contains(norm, int64(i)):
				dims = append(dims, d)
			case keep:
				dims = append(dims, 1)
			}
		}
		out := c.set(n, 0, x.dtype, knownShape(dims...))
		c.emit(onnxOp, n.Name, []string{c.ref(x), c.vecInit(n.Name, "axes", norm...)}, []string{out},
			attrInt("keepdims", boolInt(keep)), attrInt("noop_with_empty_axes", 1))
		return nil
	}
}

// --- linear algebra ---

func (c *converter) transposeLast2(node, what string, v *value) (string, shape) {
	r := v.shape.rank()
	perm := make([]int64, r)
	for i := range perm {
		perm[i] = int64(i)
	}
	perm[r-2], perm[r-1] = perm[r-1], perm[r-2]
	dims := slices.Clone(v.shape.dims)
	dims[r-2], dims[r-1] = dims[r-1], dims[r-2]
	name := c.tmp(node, what)
	c.emit("Transpose", name, []string{c.ref(v)}, []string{name}, attrInts("perm", perm...))
	return name, knownShape(dims...)
}

func (c *converter) matmul(n *nodeDef, x, y *value, tx, ty bool) error {
	if x.dtype != dtFloat || y.dtype != dtFloat || x.shape.rank() < 2 || y.shape.rank() < 2 {
		return fmt.Errorf("want float tensors of rank >= 2, got %v %v and %v %v", x.dtype, x.shape, y.dtype, y.shape)
	}
	xn, xs := c.ref(x), x.shape
	if tx {
		xn, xs = c.transposeLast2(n.Name, "transpose_a", x)
	}
	yn, ys := c.ref(y), y.shape
	if ty {
		yn, ys = c.transposeLast2(n.Name, "transpose_b", y)
	}
	rx, ry := len(xs.dims), len(ys.dims)
	if k1, k2 := xs.dims[rx-1], ys.dims[ry-2]; k1 >= 0 && k2 >= 0 && k1 != k2 {
		return malformed("convert "+n.Op, n.Name, "inner dimensions %d and %d differ", k1, k2)
	}
	batch, err := broadcast(knownShape(xs.dims[:rx-2]...), knownShape(ys.dims[:ry-2]...))
	if err != nil {
		return malformed("convert "+n.Op, n.Name, "%w", err)
	}
	dims := append(slices.Clone(batch.dims), xs.dims[rx-2], ys.dims[ry-1])
	out := c.set(n, 0, dtFloat, knownShape(dims...))
	c.emit("MatMul", n.Name, []string{xn, yn}, []string{out})
	return nil
}

func opMatMul(c *converter, n *nodeDef, a attrs) error {
	vs, err := c.inputs(n, 2)
	if err != nil {
		return err
	}
	if vs[0].shape.rank() != 2 || vs[1].shape.rank() != 2 {
		return fmt.Errorf("MatMul of shapes %v and %v (only matrices)", vs[0].shape, vs[1].shape)
	}
	return c.matmul(n, vs[0], vs[1], a.bool("transpose_a", false), a.bool("transpose_b", false))
}

func opBatchMatMul(c *converter, n *nodeDef, a attrs) error {
	vs, err := c.inputs(n, 2)
	if err != nil {
		return err
	}
	return c.matmul(n, vs[0], vs[1], a.bool("adj_x", false), a.bool("adj_y", false))
}

// opConv2D maps an NHWC Conv2D with a constant HWIO filter to ONNX's NCHW
// Conv between two Transposes; the filter is stored transposed to OIHW.
func opConv2D(c *converter, n *nodeDef, a attrs) error {
	vs, err := c.inputs(n, 2)
	if err != nil {
		return err
	}
	x, f := vs[0], vs[1]
	if f.konst == nil || f.dtype != dtFloat || f.shape.rank() != 4 || x.shape.rank() != 4 || x.dtype != dtFloat {
		return fmt.Errorf("want an NHWC float input and a constant HWIO float filter, got %v and %v", x.shape, f.shape)
	}
	if df, err := a.string("data_format", "NHWC"); err != nil || df != "NHWC" {
		return fmt.Errorf("data_format %q (only NHWC)", df)
	}
	strides, err := a.ints("strides")
	if err != nil {
		return err
	}
	dil, err := a.ints("dilations")
	if err != nil {
		return err
	}
	if dil == nil {
		dil = []int64{1, 1, 1, 1}
	}
	if len(strides) != 4 || len(dil) != 4 || strides[0] != 1 || strides[3] != 1 || dil[0] != 1 || dil[3] != 1 {
		return fmt.Errorf("strides %v, dilations %v (only over H and W)", strides, dil)
	}
	padding, err := a.string("padding", "")
	if err != nil {
		return err
	}
	autoPad := map[string]string{"VALID": "VALID", "SAME": "SAME_UPPER"}[padding]
	if autoPad == "" {
		return fmt.Errorf("padding %q (only VALID and SAME)", padding)
	}
	kh, kw, ci, co := f.shape.dims[0], f.shape.dims[1], f.shape.dims[2], f.shape.dims[3]
	if d := x.shape.dims[3]; d >= 0 && d != ci {
		return malformed("convert Conv2D", n.Name, "input has %d channels, filter %d", d, ci)
	}
	oihw := make([]float32, len(f.konst.Floats))
	for h := range kh {
		for w := range kw {
			for i := range ci {
				for o := range co {
					oihw[((o*ci+i)*kh+h)*kw+w] = f.konst.Floats[((h*kw+w)*ci+i)*co+o]
				}
			}
		}
	}
	kernel := c.tmp(n.Name, "kernel_oihw")
	c.inits = append(c.inits, &onnx.TensorProto{
		Name: kernel, Dims: []int64{co, ci, kh, kw}, DataType: int32(onnx.TensorProto_FLOAT), RawData: floatBytes(oihw),
	})
	c.report.Params += int64(len(oihw))

	outDim := func(in, k, s, d int64) int64 {
		switch {
		case in < 0:
			return -1
		case padding == "SAME":
			return (in + s - 1) / s
		}
		eff := (k-1)*d + 1
		return max((in-eff+s)/s, 0)
	}
	nchw := c.tmp(n.Name, "nchw")
	c.emit("Transpose", nchw, []string{c.ref(x)}, []string{nchw}, attrInts("perm", 0, 3, 1, 2))
	conv := c.tmp(n.Name, "conv")
	c.emit("Conv", conv, []string{nchw, kernel}, []string{conv},
		attrString("auto_pad", autoPad), attrInts("dilations", dil[1], dil[2]),
		attrInts("kernel_shape", kh, kw), attrInts("strides", strides[1], strides[2]))
	out := c.set(n, 0, dtFloat, knownShape(x.shape.dims[0],
		outDim(x.shape.dims[1], kh, strides[1], dil[1]), outDim(x.shape.dims[2], kw, strides[2], dil[2]), co))
	c.emit("Transpose", n.Name, []string{conv}, []string{out}, attrInts("perm", 0, 2, 3, 1))
	return nil
}
