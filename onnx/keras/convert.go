package keras

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/advancedclimatesystems/gonnx/onnx"
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
	weights map[string]tensor

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
	var specs []weightSpec
	for _, g := range mf.WeightsManifest {
		specs = append(specs, g.Weights...)
	}
	weights, err := decodeWeights(specs, weightData)
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
		if _, ok := errors.AsType[*Error](err); ok {
			return err
		}
		return &Error{Op: "convert " + l.ClassName, Layer: l.Name, Kind: ErrUnsupported, Err: err}
	}
	c.report.Layers++
	c.report.LayersByClass[l.ClassName]++
	return nil
}

// outName is the ONNX value name for the output of Keras layer name.
func (c *converter) outName(name string) string {
	if name == c.output {
		return OutputName
	}
	return name
}

// in4 returns the ONNX value and NCHW shape of a layer's single 4-D input.
func (c *converter) in4(in []string) (string, dims, error) {
	if len(in) != 1 {
		return "", nil, fmt.Errorf("expects 1 input, has %d", len(in))
	}
	s := c.shapeOf[in[0]]
	if len(s) != 3 {
		return "", nil, fmt.Errorf("input %q has shape %v, want [C,H,W]", in[0], s)
	}
	return c.tensorOf[in[0]], s, nil
}

func (c *converter) define(layer, value string, shape dims) {
	c.tensorOf[layer] = value
	c.shapeOf[layer] = shape
}

func (c *converter) inputLayer(l *kerasLayer, cfg *layerConfig) error {
	if c.input != nil {
		return fmt.Errorf("second InputLayer (only single-input models)")
	}
	var shape []*int
	if err := cfg.require("batch_input_shape", &shape); err != nil {
		return err
	}
	if err := cfg.want("sparse", "false"); err != nil {
		return err
	}
	if err := cfg.want("ragged", "false"); err != nil {
		return err
	}
	if err := cfg.want("dtype", `"float32"`); err != nil {
		return err
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	if len(shape) != 4 || shape[0] != nil || shape[1] == nil || shape[2] == nil || shape[3] == nil {
		return fmt.Errorf("batch_input_shape %v: want [null, H, W, C] with static H, W, C", fmtShape(shape))
	}
	h, w, ch := *shape[1], *shape[2], *shape[3]
	if h <= 0 || w <= 0 || ch <= 0 {
		return fmt.Errorf("batch_input_shape %v is not positive", fmtShape(shape))
	}
	c.input = valueInfo(InputName, BatchDim, int64(ch), int64(h), int64(w))
	c.report.Input = [4]int{-1, ch, h, w}
	c.define(l.Name, InputName, dims{ch, h, w})
	return nil
}

func fmtShape(s []*int) string {
	out := "["
	for i, d := range s {
		if i > 0 {
			out += ","
		}
		if d == nil {
			out += "null"
		} else {
			out += strconv.Itoa(*d)
		}
	}
	return out + "]"
}

func (c *converter) zeroPadding(l *kerasLayer, cfg *layerConfig, in []string) error {
	x, s, err := c.in4(in)
	if err != nil {
		return err
	}
	if err := cfg.want("data_format", `"channels_last"`); err != nil {
		return err
	}
	var raw any
	if err := cfg.require("padding", &raw); err != nil {
		return err
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	top, bottom, left, right, err := paddingOf(raw)
	if err != nil {
		return err
	}
	pads := c.initInt64(l.Name+"/pads", []int64{0, 0, top, left, 0, 0, bottom, right})
	c.node("Pad", l.Name, []string{x, pads}, c.outName(l.Name))
	c.define(l.Name, c.outName(l.Name), dims{s[0], s[1] + int(top+bottom), s[2] + int(left+right)})
	return nil
}

// paddingOf decodes ZeroPadding2D's padding: n, [h, w] or [[top, bottom],
// [left, right]].
func paddingOf(raw any) (top, bottom, left, right int64, err error) {
	num := func(v any) (int64, bool) {
		f, ok := v.(float64)
		if !ok || f < 0 || f != math.Trunc(f) || f > 1<<20 {
			return 0, false
		}
		return int64(f), true
	}
	bad := fmt.Errorf("padding %v is not n, [h,w] or [[top,bottom],[left,right]]", raw)
	if n, ok := num(raw); ok {
		return n, n, n, n, nil
	}
	pair, ok := raw.([]any)
	if !ok || len(pair) != 2 {
		return 0, 0, 0, 0, bad
	}
	if h, ok := num(pair[0]); ok {
		w, ok := num(pair[1])
		if !ok {
			return 0, 0, 0, 0, bad
		}
		return h, h, w, w, nil
	}
	var v [4]int64
	for i, side := range pair {
		tb, ok := side.([]any)
		if !ok || len(tb) != 2 {
			return 0, 0, 0, 0, bad
		}
		for j := range tb {
			if v[2*i+j], ok = num(tb[j]); !ok {
				return 0, 0, 0, 0, bad
			}
		}
	}
	return v[0], v[1], v[2], v[3], nil
}

// samePads computes TensorFlow's "same" padding for one spatial axis: the
// output is ceil(in/stride) and any odd padding goes after.
func samePads(in, kernel, stride, dilation int) (before, after, out int) {
	out = (in + stride - 1) / stride
	eff := (kernel-1)*dilation + 1
	total := max((out-1)*stride+eff-in, 0)
	return total / 2, total - total/2, out
}

func (c *converter) conv(l *kerasLayer, cfg *layerConfig, in []string, depthwise bool) error {
	x, s, err := c.in4(in)
	if err != nil {
		return err
	}
	kernel, err := cfg.pair("kernel_size", [2]int{0, 0})
	if err != nil {
		return err
	}
	strides, err := cfg.pair("strides", [2]int{1, 1})
	if err != nil {
		return err
	}
	dilation, err := cfg.pair("dilation_rate", [2]int{1, 1})
	if err != nil {
		return err
	}
	padding := "valid"
	if _, err := cfg.get("padding", &padding); err != nil {
		return err
	}
	useBias := true
	if _, err := cfg.get("use_bias", &useBias); err != nil {
		return err
	}
	if err := cfg.want("data_format", `"channels_last"`); err != nil {
		return err
	}
	if err := cfg.want("activation", `"linear"`); err != nil {
		return err
	}
	cin := s[0]
	var cout, multiplier int
	kernelName := "kernel"
	if depthwise {
		kernelName = "depthwise_kernel"
		multiplier = 1
		if _, err := cfg.get("depth_multiplier", &multiplier); err != nil {
			return err
		}
		cout = cin * multiplier
	} else {
		if err := cfg.require("filters", &cout); err != nil {
			return err
		}
		if err := cfg.want("groups", "1"); err != nil {
			return err
		}
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	for _, v := range []int{kernel[0], kernel[1], strides[0], strides[1], dilation[0], dilation[1], cout} {
		if v <= 0 {
			return fmt.Errorf("kernel_size %v, strides %v, dilation_rate %v, %d output channels: all must be positive", kernel, strides, dilation, cout)
		}
	}
	if dilation != [2]int{1, 1} && strides != [2]int{1, 1} {
		return fmt.Errorf("dilation_rate %v with strides %v", dilation, strides)
	}

	var pads [4]int // top, left, bottom, right
	var oh, ow int
	switch padding {
	case "valid":
		oh = (s[1]-((kernel[0]-1)*dilation[0]+1))/strides[0] + 1
		ow = (s[2]-((kernel[1]-1)*dilation[1]+1))/strides[1] + 1
	case "same":
		pads[0], pads[2], oh = samePads(s[1], kernel[0], strides[0], dilation[0])
		pads[1], pads[3], ow = samePads(s[2], kernel[1], strides[1], dilation[1])
	default:
		return fmt.Errorf("padding %q (only valid, same)", padding)
	}
	if oh <= 0 || ow <= 0 {
		return fmt.Errorf("input %v is smaller than the kernel %v", s, kernel)
	}

	// Keras kernels are [kh, kw, in, out] (Conv2D) or [kh, kw, in,
	// multiplier] (DepthwiseConv2D, output channel c*multiplier+m); ONNX
	// wants [out, in/group, kh, kw].
	last := cout
	if depthwise {
		last = multiplier
	}
	k, err := c.weight(l.Name, kernelName, kernel[0], kernel[1], cin, last)
	if err != nil {
		return err
	}
	perGroup := cin
	if depthwise {
		perGroup = 1
	}
	w := make([]float64, cout*perGroup*kernel[0]*kernel[1])
	for y := 0; y < kernel[0]; y++ {
		for xx := 0; xx < kernel[1]; xx++ {
			for ci := 0; ci < cin; ci++ {
				for j := 0; j < last; j++ {
					v := float64(k[((y*kernel[1]+xx)*cin+ci)*last+j])
					o, i := j, ci
					if depthwise {
						o, i = ci*multiplier+j, 0
					}
					w[((o*perGroup+i)*kernel[0]+y)*kernel[1]+xx] = v
				}
			}
		}
	}
	var bias []float64
	if useBias {
		b, err := c.weight(l.Name, "bias", cout)
		if err != nil {
			return err
		}
		bias = make([]float64, cout)
		for i, v := range b {
			bias[i] = float64(v)
		}
	}

	outLayer := l.Name
	if cons := c.consumers[l.Name]; len(cons) == 1 && c.byName[cons[0]].ClassName == "BatchNormalization" {
		bn := c.byName[cons[0]]
		if bias, err = c.foldBN(bn, w, bias, cout); err != nil {
			return err
		}
		outLayer = bn.Name
		c.report.FoldedBN++
		c.report.Layers++
		c.report.LayersByClass[bn.ClassName]++
	}

	wName := c.initFloat(l.Name+"/W", []int64{int64(cout), int64(perGroup), int64(kernel[0]), int64(kernel[1])}, w)
	inputs := []string{x, wName}
	if bias != nil {
		inputs = append(inputs, c.initFloat(l.Name+"/B", []int64{int64(cout)}, bias))
	}
	group := 1
	if depthwise {
		group = cin
	}
	c.node("Conv", l.Name, inputs, c.outName(outLayer),
		attrInts("dilations", dilation[0], dilation[1]),
		attrInt("group", group),
		attrInts("kernel_shape", kernel[0], kernel[1]),
		attrInts("pads", pads[0], pads[1], pads[2], pads[3]),
		attrInts("strides", strides[0], strides[1]),
	)
	c.define(outLayer, c.outName(outLayer), dims{cout, oh, ow})
	return nil
}

// foldBN folds an inference-mode BatchNormalization into the preceding
// convolution's weights w ([out, ...]) and bias (nil when the convolution
// has none), in float64:
//
//	y = (conv(x)+b - mean) * gamma/sqrt(var+eps) + beta
//	  = conv(x)*s + (b-mean)*s + beta,  s = gamma/sqrt(var+eps)
func (c *converter) foldBN(bn *kerasLayer, w, bias []float64, channels int) ([]float64, error) {
	fail := func(err error) ([]float64, error) {
		return nil, &Error{Op: "fold BatchNormalization", Layer: bn.Name, Kind: ErrUnsupported, Err: err}
	}
	cfg := newLayerConfig(bn.Config)
	var axis any
	if err := cfg.require("axis", &axis); err != nil {
		return fail(err)
	}
	if a, ok := axis.([]any); ok && len(a) == 1 {
		axis = a[0]
	}
	if axis != float64(-1) && axis != float64(3) {
		return fail(fmt.Errorf("axis %v (only the channels axis, -1 or 3)", axis))
	}
	var eps float64
	if err := cfg.require("epsilon", &eps); err != nil {
		return fail(err)
	}
	center, scale := true, true
	if _, err := cfg.get("center", &center); err != nil {
		return fail(err)
	}
	if _, err := cfg.get("scale", &scale); err != nil {
		return fail(err)
	}
	// momentum only matters when training; fused only picks a kernel.
	cfg.ignore("momentum", "fused")
	for _, key := range []string{"renorm", "synchronized"} {
		if err := cfg.want(key, "false"); err != nil {
			return fail(err)
		}
	}
	for _, key := range []string{"virtual_batch_size", "adjustment", "renorm_clipping"} {
		if err := cfg.want(key); err != nil {
			return fail(err)
		}
	}
	cfg.ignore("renorm_momentum")
	if err := cfg.finish(); err != nil {
		return fail(err)
	}
	if !(eps > 0) {
		return fail(fmt.Errorf("epsilon %v", eps))
	}
	get := func(name string, present bool, def float32) ([]float32, error) {
		if !present {
			v := make([]float32, channels)
			for i := range v {
				v[i] = def
			}
			return v, nil
		}
		return c.weight(bn.Name, name, channels)
	}
	gamma, err := get("gamma", scale, 1)
	if err != nil {
		return nil, err
	}
	beta, err := get("beta", center, 0)
	if err != nil {
		return nil, err
	}
	mean, err := get("moving_mean", true, 0)
	if err != nil {
		return nil, err
	}
	variance, err := get("moving_variance", true, 0)
	if err != nil {
		return nil, err
	}
	per := len(w) / channels
	out := make([]float64, channels)
	for o := 0; o < channels; o++ {
		if variance[o] < 0 {
			return fail(fmt.Errorf("moving_variance[%d] = %v is negative", o, variance[o]))
		}
		s := float64(gamma[o]) / math.Sqrt(float64(variance[o])+eps)
		for i := o * per; i < (o+1)*per; i++ {
			w[i] *= s
		}
		b := 0.0
		if bias != nil {
			b = bias[o]
		}
		out[o] = (b-float64(mean[o]))*s + float64(beta[o])
	}
	return out, nil
}

func (c *converter) relu(l *kerasLayer, cfg *layerConfig, in []string) error {
	if len(in) != 1 {
		return fmt.Errorf("expects 1 input, has %d", len(in))
	}
	var maxValue *float64
	if _, err := cfg.get("max_value", &maxValue); err != nil {
		return err
	}
	var slope, threshold float64
	if _, err := cfg.get("negative_slope", &slope); err != nil {
		return err
	}
	if _, err := cfg.get("threshold", &threshold); err != nil {
		return err
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	if slope != 0 || threshold != 0 {
		return fmt.Errorf("negative_slope %v, threshold %v (only 0, 0)", slope, threshold)
	}
	x, out := c.tensorOf[in[0]], c.outName(l.Name)
	switch {
	case maxValue == nil:
		c.node("Relu", l.Name, []string{x}, out)
	case *maxValue > 0 && float64(float32(*maxValue)) == *maxValue:
		c.node("Clip", l.Name, []string{x, c.constant(0), c.constant(float32(*maxValue))}, out)
	default:
		return fmt.Errorf("max_value %v (must be positive and exact in float32)", *maxValue)
	}
	c.define(l.Name, out, c.shapeOf[in[0]])
	return nil
}

func (c *converter) add(l *kerasLayer, cfg *layerConfig, in []string) error {
	if err := cfg.finish(); err != nil {
		return err
	}
	if len(in) < 2 {
		return fmt.Errorf("expects at least 2 inputs, has %d", len(in))
	}
	s := c.shapeOf[in[0]]
	for _, name := range in[1:] {
		if !slices.Equal(c.shapeOf[name], s) {
			return fmt.Errorf("input shapes %v and %v differ (broadcasting is not supported)", s, c.shapeOf[name])
		}
	}
	acc := c.tensorOf[in[0]]
	for i, name := range in[1:] {
		out := c.outName(l.Name)
		if i < len(in)-2 {
			out = l.Name + "/sum" + strconv.Itoa(i)
		}
		c.node("Add", nodeName(l.Name, i), []string{acc, c.tensorOf[name]}, out)
		acc = out
	}
	c.define(l.Name, acc, s)
	return nil
}

func nodeName(layer string, i int) string {
	if i == 0 {
		return layer
	}
	return layer + "/" + strconv.Itoa(i)
}

func (c *converter) avgPool(l *kerasLayer, cfg *layerConfig, in []string) error {
	x, s, err := c.in4(in)
	if err != nil {
		return err
	}
	pool, err := cfg.pair("pool_size", [2]int{2, 2})
	if err != nil {
		return err
	}
	strides, err := cfg.pair("strides", pool)
	if err != nil {
		return err
	}
	if err := cfg.want("padding", `"valid"`); err != nil {
		return err
	}
	if err := cfg.want("data_format", `"channels_last"`); err != nil {
		return err
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	if pool[0] <= 0 || pool[1] <= 0 || strides[0] <= 0 || strides[1] <= 0 {
		return fmt.Errorf("pool_size %v, strides %v must be positive", pool, strides)
	}
	if pool[0] > s[1] || pool[1] > s[2] {
		return fmt.Errorf("pool_size %v is larger than the input %v", pool, s)
	}
	oh, ow := (s[1]-pool[0])/strides[0]+1, (s[2]-pool[1])/strides[1]+1
	c.globalAvg[l.Name] = pool[0] == s[1] && pool[1] == s[2]
	c.node("AveragePool", l.Name, []string{x}, c.outName(l.Name),
		attrInts("kernel_shape", pool[0], pool[1]),
		attrInts("strides", strides[0], strides[1]),
	)
	c.define(l.Name, c.outName(l.Name), dims{s[0], oh, ow})
	return nil
}

func (c *converter) globalAvgPool(l *kerasLayer, cfg *layerConfig, in []string) error {
	x, s, err := c.in4(in)
	if err != nil {
		return err
	}
	if err := cfg.want("data_format", `"channels_last"`); err != nil {
		return err
	}
	if err := cfg.want("keepdims", "false"); err != nil {
		return err
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	pooled := l.Name + "/pooled"
	c.node("GlobalAveragePool", l.Name, []string{x}, pooled)
	c.node("Flatten", nodeName(l.Name, 1), []string{pooled}, c.outName(l.Name), attrInt("axis", 1))
	c.define(l.Name, c.outName(l.Name), dims{s[0]})
	return nil
}

func (c *converter) flatten(l *kerasLayer, cfg *layerConfig, in []string) error {
	x, s, err := c.in4(in)
	if err != nil {
		return err
	}
	if err := cfg.want("data_format", `"channels_last"`); err != nil {
		return err
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	if l.Name == c.output && !c.globalAvg[in[0]] {
		return fmt.Errorf("the AveragePooling2D %q feeding the output is not global: its pool_size is smaller than its input", in[0])
	}
	if s[1] != 1 || s[2] != 1 {
		// Keras flattens NHWC; go back to channels-last order first.
		nhwc := l.Name + "/nhwc"
		c.node("Transpose", nodeName(l.Name, 1), []string{x}, nhwc, attrInts("perm", 0, 2, 3, 1))
		x = nhwc
	}
	c.node("Flatten", l.Name, []string{x}, c.outName(l.Name), attrInt("axis", 1))
	c.define(l.Name, c.outName(l.Name), dims{s[0] * s[1] * s[2]})
	return nil
}

// weight returns the float32 values of weight layer/name, checking its shape.
func (c *converter) weight(layer, name string, shape ...int) ([]float32, error) {
	full := layer + "/" + name
	t, ok := c.weights[full]
	if !ok {
		return nil, malformed("read weights", layer, "weight %q missing from the manifest", full)
	}
	if !slices.Equal(t.Shape, shape) {
		return nil, malformed("read weights", layer, "weight %q has shape %v, want %v", full, t.Shape, shape)
	}
	if c.used[full] {
		return nil, malformed("read weights", layer, "weight %q used twice", full)
	}
	c.used[full] = true
	c.report.Params += int64(len(t.Data))
	return t.Data, nil
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
