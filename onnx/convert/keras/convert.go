package keras

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/advancedclimatesystems/gonnx/onnx"

	"github.com/itemvec/itemvec/onnx/convert/tfjs"
)

// Names and versions of the ONNX graph this package writes.
const (
	// InputName is the graph input: float32 NCHW [batch, C, H, W].
	InputName = "input"
	// OutputName is the graph output: float32 [batch, C], the globally
	// average-pooled backbone features.
	OutputName = "features"
	// BatchDim is the dim_param of the dynamic batch dimension.
	BatchDim = "batch"
	// Opset is the ai.onnx operator set the graph is written for.
	Opset = 13
	// irVersion is the ONNX IR version that goes with Opset 13.
	irVersion = 7
)

// Report describes a finished conversion.
type Report struct {
	KerasVersion string // keras_version recorded in the model topology
	ModelName    string // the Keras model's name
	// OutputLayer is the Keras layer whose output becomes "features": the
	// global average pooling of the backbone (or the Flatten right after an
	// AveragePooling2D that covers the whole feature map).
	OutputLayer string
	// PooledLayer is the Keras layer whose output is pooled, i.e. the last
	// layer of the backbone proper.
	PooledLayer   string
	Layers        int            // Keras layers converted, input layer included
	LayersByClass map[string]int // the same, per Keras class
	FoldedBN      int            // BatchNormalization layers folded into convolutions
	Params        int64          // Keras weight values used (BN moving statistics included)
	Nodes         int            // ONNX nodes written
	Input         [4]int         // NCHW input shape; Input[0] is -1 for the dynamic batch
	Features      int            // length of the feature vector
	Opset         int
}

// dims is a static per-example shape (no batch), NCHW order: [C,H,W], or
// [D] once flattened.
type dims []int

type converter struct {
	model   modelConfig
	byName  map[string]*kerasLayer
	inputs  map[string][]string
	weights map[string]*tfjs.Tensor

	output    string              // Keras layer that becomes OutputName
	convert   map[string]bool     // layers that are ancestors of output (inclusive)
	consumers map[string][]string // within convert
	tensorOf  map[string]string   // Keras layer -> ONNX value holding its output
	shapeOf   map[string]dims
	globalAvg map[string]bool // AveragePooling2D layers whose window is the whole map
	used      map[string]bool // weights consumed
	consts    map[float32]string

	nodes  []*onnx.NodeProto
	inits  []*onnx.TensorProto
	input  *onnx.ValueInfoProto
	report Report
}

// convertModel builds the ONNX model from a parsed tfjs model file and its
// concatenated weight bytes.
func convertModel(mf *modelFile, weightData []byte) (*onnx.ModelProto, *Report, error) {
	const op = "convert"
	if mf.ModelTopology == nil {
		return nil, nil, malformed(op, "", "no modelTopology")
	}
	topo := mf.ModelTopology
	switch topo.ModelConfig.ClassName {
	case "Model", "Functional":
	default:
		return nil, nil, unsupported(op, "", "model class %q (only functional Model)", topo.ModelConfig.ClassName)
	}
	weights, err := decodeWeights(mf.WeightsManifest, weightData)
	if err != nil {
		return nil, nil, malformed("decode weights", "", "%w", err)
	}
	c := &converter{
		model:     topo.ModelConfig.Config,
		byName:    map[string]*kerasLayer{},
		inputs:    map[string][]string{},
		weights:   weights,
		convert:   map[string]bool{},
		consumers: map[string][]string{},
		tensorOf:  map[string]string{},
		shapeOf:   map[string]dims{},
		globalAvg: map[string]bool{},
		used:      map[string]bool{},
		consts:    map[float32]string{},
		report: Report{
			KerasVersion:  topo.KerasVersion,
			ModelName:     topo.ModelConfig.Config.Name,
			LayersByClass: map[string]int{},
			Opset:         Opset,
		},
	}
	if err := c.index(); err != nil {
		return nil, nil, err
	}
	if err := c.selectOutput(); err != nil {
		return nil, nil, err
	}
	for i := range c.model.Layers {
		l := &c.model.Layers[i]
		if !c.convert[l.Name] {
			continue
		}
		if err := c.layer(l); err != nil {
			return nil, nil, err
		}
	}
	if err := c.checkWeights(); err != nil {
		return nil, nil, err
	}
	out, ok := c.shapeOf[c.output]
	if !ok || len(out) != 1 {
		return nil, nil, unsupported(op, c.output, "output shape %v is not a vector", out)
	}
	c.report.Features = out[0]
	c.report.Nodes = len(c.nodes)
	return c.modelProto(out[0]), &c.report, nil
}

// index checks names and wiring and records each layer's inputs.
func (c *converter) index() error {
	const op = "read topology"
	for i := range c.model.Layers {
		l := &c.model.Layers[i]
		if l.Name == "" {
			return malformed(op, "", "layer %d has no name", i)
		}
		if _, dup := c.byName[l.Name]; dup {
			return malformed(op, l.Name, "duplicate layer name")
		}
		c.byName[l.Name] = l
		in, err := l.inputs()
		if err != nil {
			return unsupported(op, l.Name, "%w", err)
		}
		for _, name := range in {
			if _, ok := c.byName[name]; !ok {
				return malformed(op, l.Name, "input %q is not an earlier layer", name)
			}
		}
		c.inputs[l.Name] = in
	}
	return nil
}

// selectOutput picks the first global average pooling in layer order (a
// GlobalAveragePooling2D, or a Flatten fed by an AveragePooling2D; the
// latter is checked to be global once shapes are known) and marks its
// ancestors for conversion.
func (c *converter) selectOutput() error {
search:
	for _, l := range c.model.Layers {
		in := c.inputs[l.Name]
		switch {
		case l.ClassName == "GlobalAveragePooling2D" && len(in) == 1:
			c.report.PooledLayer = in[0]
		case l.ClassName == "Flatten" && len(in) == 1 && c.byName[in[0]].ClassName == "AveragePooling2D":
			pool := c.inputs[in[0]]
			if len(pool) != 1 {
				continue
			}
			c.report.PooledLayer = pool[0]
		default:
			continue
		}
		c.output = l.Name
		c.report.OutputLayer = l.Name
		break search
	}
	if c.output == "" {
		return unsupported("select output", "", "no global average pooling (GlobalAveragePooling2D, or AveragePooling2D followed by Flatten) in the model")
	}
	stack := []string{c.output}
	for len(stack) > 0 {
		name := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if c.convert[name] {
			continue
		}
		c.convert[name] = true
		for _, in := range c.inputs[name] {
			c.consumers[in] = append(c.consumers[in], name)
			stack = append(stack, in)
		}
	}
	return nil
}

func (c *converter) layer(l *kerasLayer) error {
	cfg := newLayerConfig(l.Config)
	in := c.inputs[l.Name]
	var err error
	switch l.ClassName {
	case "InputLayer":
		err = c.inputLayer(l, cfg)
	case "ZeroPadding2D":
		err = c.zeroPadding(l, cfg, in)
	case "Conv2D":
		err = c.conv(l, cfg, in, false)
	case "DepthwiseConv2D":
		err = c.conv(l, cfg, in, true)
	case "BatchNormalization":
		// conv folds (and counts) a BatchNormalization that is the only
		// consumer of a convolution; any other one is refused.
		if _, folded := c.tensorOf[l.Name]; folded {
			return nil
		}
		err = fmt.Errorf("only a BatchNormalization directly after a Conv2D/DepthwiseConv2D (and its only consumer) is supported")
	case "ReLU":
		err = c.relu(l, cfg, in)
	case "Add":
		err = c.add(l, cfg, in)
	case "AveragePooling2D":
		err = c.avgPool(l, cfg, in)
	case "GlobalAveragePooling2D":
		err = c.globalAvgPool(l, cfg, in)
	case "Flatten":
		err = c.flatten(l, cfg, in)
	default:
		err = fmt.Errorf("layer class %s is not supported", l.ClassName)
	}
	if err != nil {
		if isStepError(err) {
			return err
		}
		return stepErr(CodeUnsupported, "convert "+l.ClassName, l.Name, err)
	}
	c.report.Layers++
	c.report.LayersByClass[l.ClassName]++
	return nil
}

// weight returns the float32 values of weight layer/name, checking its shape.
func (c *converter) weight(layer, name string, shape ...int) ([]float32, error) {
	full := layer + "/" + name
	t, ok := c.weights[full]
	if !ok {
		return nil, malformed("read weights", layer, "weight %q missing from the manifest", full)
	}
	if !slices.EqualFunc(t.Shape, shape, func(a int64, b int) bool { return a == int64(b) }) {
		return nil, malformed("read weights", layer, "weight %q has shape %v, want %v", full, t.Shape, shape)
	}
	if c.used[full] {
		return nil, malformed("read weights", layer, "weight %q used twice", full)
	}
	c.used[full] = true
	c.report.Params += int64(len(t.Floats))
	return t.Floats, nil
}

// checkWeights refuses weights of converted layers that no mapping read (a
// bias the config says is unused, say): they would be silently dropped.
func (c *converter) checkWeights() error {
	var names []string
	for name := range c.weights {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		layer, _, ok := strings.Cut(name, "/")
		if ok && c.convert[layer] && !c.used[name] {
			return unsupported("check weights", layer, "weight %q is not used by the mapping", name)
		}
	}
	return nil
}
