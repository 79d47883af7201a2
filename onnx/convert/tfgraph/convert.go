package tfgraph

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/onnx/convert/tfjs"
)

const (
	// Opset is the ai.onnx operator set the graph is written for (18: every
	// Reduce* op takes its axes as an input, ScatterND has reduction="add").
	Opset = 18
	// irVersion is the ONNX IR version that goes with Opset 18.
	irVersion = 8
	// BatchDim is the dim_param of the first dimension of the output (and
	// of the dense front end's inputs).
	BatchDim = "batch"
	// SequenceDim is the dim_param of the dense front end's second input
	// dimension.
	SequenceDim = "sequence"
)

// Options say what ONNX graph to build around the TensorFlow graph.
type Options struct {
	// OutputName is the name of the single graph output (an Identity of
	// the TensorFlow graph's only sink node). Default "output".
	OutputName string
	// Dense, when set, replaces two sparse placeholders by a dense front
	// end (see DenseInputs). When nil, every Placeholder becomes a graph
	// input of the same name, int32 and int64 both as int64.
	Dense *DenseInputs
	// GraphName and DocString label the ONNX model.
	GraphName string
	DocString string
}

// Report describes a finished conversion.
type Report struct {
	Nodes     int            // TensorFlow nodes converted (Const and Placeholder included)
	NodesByOp map[string]int // the same, per op
	Skipped   int            // nodes that do not feed the output and were left out
	ONNXNodes int            // ONNX nodes written
	Params    int64          // weight values written as initializers
	Inputs    []string       // graph inputs, in order
	Output    string         // graph output
	// OutputNode is the TensorFlow node whose value becomes Output.
	OutputNode string
	// OutputShape is the inferred output shape; -1 marks a dynamic
	// dimension (the first is the batch).
	OutputShape []int64
	Opset       int
}

// value is what the converter knows about one TensorFlow tensor: the ONNX
// value holding it, its dtype on the ONNX side (TensorFlow int32 and int64
// both travel as int64), its static shape as far as known, and its
// contents if it is a constant.
type value struct {
	name  string
	dtype dataType // dtFloat, dtInt64 or dtBool
	shape shape
	konst *tfjs.Tensor // non-nil for the output of a Const node
	node  *nodeDef     // the Const node, to write its initializer on first use
}

// shape is a static shape: dims are -1 where unknown; known is false when
// even the rank is unknown.
type shape struct {
	dims  []int64
	known bool
}

func knownShape(dims ...int64) shape { return shape{dims: dims, known: true} }

func (s shape) rank() int {
	if !s.known {
		return -1
	}
	return len(s.dims)
}

func (s shape) String() string {
	if !s.known {
		return "[?]"
	}
	parts := make([]string, len(s.dims))
	for i, d := range s.dims {
		if d < 0 {
			parts[i] = "?"
		} else {
			parts[i] = strconv.FormatInt(d, 10)
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

type converter struct {
	opts    Options
	byName  map[string]*nodeDef
	weights map[string]*tfjs.Tensor
	values  map[string]*value // by TensorFlow output reference: "node" or "node:k"
	inited  map[string]bool   // Const initializers written
	batch   string            // dense front end: the [1] batch size of the inputs
	names   map[string]bool   // ONNX value names taken

	nodes       []*onnx.NodeProto
	inits       []*onnx.TensorProto
	graphInputs []*onnx.ValueInfoProto
	report      Report
}

// Convert builds an ONNX model from a tfjs graph model: modelJSON is
// model.json, shards the bytes of each weightsManifest group (its files
// concatenated in the manifest's order). It returns the serialised model
// (deterministic: the same input gives the same bytes) and a report.
func Convert(modelJSON []byte, shards [][]byte, opts Options) ([]byte, *Report, error) {
	mf, err := parseModelJSON(modelJSON)
	if err != nil {
		return nil, nil, err
	}
	weights, err := tfjs.Decode(mf.WeightsManifest, shards)
	if err != nil {
		return nil, nil, malformed("decode weights", "", "%w", err)
	}
	model, report, err := convertGraph(mf.ModelTopology, weights, opts)
	if err != nil {
		return nil, nil, err
	}
	out, err := proto.MarshalOptions{Deterministic: true}.Marshal(model)
	if err != nil {
		return nil, nil, itemvec.Errorf(itemvec.KindInternal, errOp, "tfgraph: marshal ONNX model: %w", err)
	}
	return out, report, nil
}

func parseModelJSON(data []byte) (*modelFile, error) {
	const op = "parse model.json"
	var mf modelFile
	if err := json.Unmarshal(data, &mf); err != nil {
		return nil, malformed(op, "", "%w", err)
	}
	if mf.Format != "" && mf.Format != "graph-model" {
		return nil, unsupported(op, "", "format %q (only graph-model)", mf.Format)
	}
	if mf.ModelTopology == nil || len(mf.ModelTopology.Node) == 0 {
		return nil, malformed(op, "", "no modelTopology.node: not a tfjs graph model")
	}
	if lib := mf.ModelTopology.Library; lib != nil && len(lib.Function) > 0 {
		return nil, unsupported(op, "", "graph has a function library (control flow); only flat graphs are supported")
	}
	return &mf, nil
}

func convertGraph(g *graphDef, weights map[string]*tfjs.Tensor, opts Options) (*onnx.ModelProto, *Report, error) {
	if opts.OutputName == "" {
		opts.OutputName = "output"
	}
	c := &converter{
		opts:    opts,
		byName:  map[string]*nodeDef{},
		weights: weights,
		values:  map[string]*value{},
		inited:  map[string]bool{},
		names:   map[string]bool{},
		report:  Report{NodesByOp: map[string]int{}, Opset: Opset},
	}
	order, sink, err := c.index(g)
	if err != nil {
		return nil, nil, err
	}
	if opts.Dense != nil {
		if err := c.denseFrontEnd(opts.Dense); err != nil {
			return nil, nil, err
		}
	}
	for _, n := range order {
		if err := c.convertNode(n); err != nil {
			return nil, nil, err
		}
		c.report.Nodes++
		c.report.NodesByOp[n.Op]++
	}
	if err := c.checkWeights(); err != nil {
		return nil, nil, err
	}
	out := c.values[sink.Name]
	if out.dtype != dtFloat {
		return nil, nil, unsupported("graph output", sink.Name, "output dtype %v (only float32)", out.dtype)
	}
	if out.shape.rank() < 1 {
		return nil, nil, unsupported("graph output", sink.Name, "output shape %v: want a known rank of at least 1", out.shape)
	}
	final := c.ref(out)
	if opts.Dense != nil {
		final = c.dropSentinel(final)
	}
	c.emit("Identity", "output", []string{final}, []string{opts.OutputName})
	c.report.Output = opts.OutputName
	c.report.OutputNode = sink.Name
	c.report.OutputShape = slices.Clone(out.shape.dims)
	c.report.OutputShape[0] = -1
	c.report.ONNXNodes = len(c.nodes)
	return c.modelProto(out), &c.report, nil
}

// ref is the ONNX value name to read v from, writing the initializer of
// a constant on its first use.
func (c *converter) ref(v *value) string {
	if v.node != nil && !c.inited[v.name] {
		c.materialise(v)
	}
	return v.name
}

// index checks the graph's wiring, finds its single sink (the output) and
// returns the nodes that feed it in an order where every node comes after
// its inputs.
func (c *converter) index(g *graphDef) ([]*nodeDef, *nodeDef, error) {
	const op = "read graph"
	for i := range g.Node {
		n := &g.Node[i]
		if n.Name == "" || strings.ContainsAny(n.Name, ":^") {
			return nil, nil, malformed(op, n.Name, "node %d has no valid name", i)
		}
		if _, dup := c.byName[n.Name]; dup {
			return nil, nil, malformed(op, n.Name, "duplicate node name")
		}
		c.byName[n.Name] = n
		c.names[n.Name] = true
	}
	for _, name := range c.reservedNames() {
		if c.names[name] {
			return nil, nil, unsupported(op, name, "the graph has a node of the name the ONNX graph needs for an input or the output")
		}
	}
	consumed := map[string]bool{}
	for i := range g.Node {
		n := &g.Node[i]
		for _, in := range n.Input {
			if strings.HasPrefix(in, "^") {
				return nil, nil, unsupported(op, n.Name, "control dependency %q", in)
			}
			src, _, err := splitRef(in)
			if err != nil {
				return nil, nil, malformed(op, n.Name, "%w", err)
			}
			if _, ok := c.byName[src]; !ok {
				return nil, nil, malformed(op, n.Name, "input %q names no node", in)
			}
			consumed[src] = true
		}
	}
	var sinks []*nodeDef
	for i := range g.Node {
		n := &g.Node[i]
		if !consumed[n.Name] && n.Op != "Const" && n.Op != "Placeholder" {
			sinks = append(sinks, n)
		}
	}
	if len(sinks) != 1 {
		names := make([]string, len(sinks))
		for i, s := range sinks {
			names[i] = s.Name
		}
		return nil, nil, unsupported(op, "", "graph has %d sink nodes %v (only single-output graphs)", len(sinks), names)
	}
	sink := sinks[0]

	// Depth-first post-order from the sink, inputs in their listed order.
	state := map[string]int{} // 1: on the stack, 2: done
	var order []*nodeDef
	type frame struct {
		n    *nodeDef
		next int
	}
	stack := []frame{{n: sink}}
	state[sink.Name] = 1
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next == len(top.n.Input) {
			state[top.n.Name] = 2
			order = append(order, top.n)
			stack = stack[:len(stack)-1]
			continue
		}
		src, _, _ := splitRef(top.n.Input[top.next])
		top.next++
		switch state[src] {
		case 1:
			return nil, nil, unsupported(op, src, "graph has a cycle (control flow)")
		case 0:
			state[src] = 1
			stack = append(stack, frame{n: c.byName[src]})
		}
	}
	c.report.Skipped = len(g.Node) - len(order)
	return order, sink, nil
}

// reservedNames are the ONNX value names the options give the graph's
// own inputs and output.
func (c *converter) reservedNames() []string {
	names := []string{c.opts.OutputName}
	if d := c.opts.Dense; d != nil {
		names = append(names, d.IDs, d.Mask)
	}
	return names
}

// splitRef parses a TensorFlow input reference "node" or "node:k".
func splitRef(ref string) (string, int, error) {
	name, idx, ok := strings.Cut(ref, ":")
	if !ok {
		return ref, 0, nil
	}
	k, err := strconv.Atoi(idx)
	if err != nil || k < 0 {
		return "", 0, fmt.Errorf("bad input reference %q", ref)
	}
	return name, k, nil
}

// outName is the ONNX value name of output k of a TensorFlow node.
func outName(node string, k int) string {
	if k == 0 {
		return node
	}
	return node + ":" + strconv.Itoa(k)
}

// input returns the value of n's input i.
func (c *converter) input(n *nodeDef, i int) (*value, error) {
	if i >= len(n.Input) {
		return nil, malformed("convert "+n.Op, n.Name, "has %d inputs, want at least %d", len(n.Input), i+1)
	}
	src, k, _ := splitRef(n.Input[i])
	v, ok := c.values[outName(src, k)]
	if !ok {
		return nil, malformed("convert "+n.Op, n.Name, "input %q: node has no output %d", n.Input[i], k)
	}
	return v, nil
}

// inputs returns the values of all of n's inputs, checking their count.
func (c *converter) inputs(n *nodeDef, want int) ([]*value, error) {
	if want >= 0 && len(n.Input) != want {
		return nil, malformed("convert "+n.Op, n.Name, "has %d inputs, want %d", len(n.Input), want)
	}
	vs := make([]*value, len(n.Input))
	for i := range n.Input {
		v, err := c.input(n, i)
		if err != nil {
			return nil, err
		}
		vs[i] = v
	}
	return vs, nil
}

// set records output k of n.
func (c *converter) set(n *nodeDef, k int, dtype dataType, s shape) string {
	name := outName(n.Name, k)
	c.values[name] = &value{name: name, dtype: dtype, shape: s}
	c.names[name] = true
	return name
}

// tmp returns a fresh ONNX value name for an intermediate result of node.
func (c *converter) tmp(node, what string) string {
	name := node + "/onnx/" + what
	for i := 1; c.names[name]; i++ {
		name = node + "/onnx/" + what + "_" + strconv.Itoa(i)
	}
	c.names[name] = true
	return name
}

func (c *converter) emit(op, name string, inputs, outputs []string, attrs ...*onnx.AttributeProto) {
	c.nodes = append(c.nodes, &onnx.NodeProto{
		Name:      name,
		OpType:    op,
		Input:     inputs,
		Output:    outputs,
		Attribute: attrs,
	})
}

// checkWeights refuses a manifest entry no Const node reads, and a Const
// node the manifest has no entry for is refused where it is converted.
func (c *converter) checkWeights() error {
	var names []string
	for name := range c.weights {
		if n, ok := c.byName[name]; !ok || n.Op != "Const" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if len(names) > 0 {
		return malformed("check weights", names[0], "%d manifest weights belong to no Const node", len(names))
	}
	return nil
}

func (c *converter) modelProto(out *value) *onnx.ModelProto {
	outInfo := valueInfo(c.opts.OutputName, onnx.TensorProto_FLOAT, out.shape.dims, map[int]string{0: BatchDim})
	return &onnx.ModelProto{
		IrVersion:    irVersion,
		OpsetImport:  []*onnx.OperatorSetIdProto{{Domain: "", Version: Opset}},
		ProducerName: "itemvec onnx/tfgraph",
		DocString:    c.opts.DocString,
		Graph: &onnx.GraphProto{
			Name:        c.opts.GraphName,
			Node:        c.nodes,
			Initializer: c.inits,
			Input:       c.graphInputs,
			Output:      []*onnx.ValueInfoProto{outInfo},
		},
	}
}

// valueInfo describes a tensor; dims below 0 become dim_params from params
// (by position) or stay unnamed.
func valueInfo(name string, elem onnx.TensorProto_DataType, dims []int64, params map[int]string) *onnx.ValueInfoProto {
	s := &onnx.TensorShapeProto{}
	for i, d := range dims {
		dim := &onnx.TensorShapeProto_Dimension{}
		switch p, ok := params[i]; {
		case ok:
			dim.Value = &onnx.TensorShapeProto_Dimension_DimParam{DimParam: p}
		case d >= 0:
			dim.Value = &onnx.TensorShapeProto_Dimension_DimValue{DimValue: d}
		}
		s.Dim = append(s.Dim, dim)
	}
	return &onnx.ValueInfoProto{
		Name: name,
		Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{TensorType: &onnx.TypeProto_Tensor{
			ElemType: int32(elem),
			Shape:    s,
		}}},
	}
}

func onnxType(d dataType) onnx.TensorProto_DataType {
	switch d {
	case dtFloat:
		return onnx.TensorProto_FLOAT
	case dtBool:
		return onnx.TensorProto_BOOL
	}
	return onnx.TensorProto_INT64
}
