package keras

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

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
		return nil, stepErr(CodeUnsupported, "fold BatchNormalization", bn.Name, err)
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
