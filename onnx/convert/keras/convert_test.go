package keras

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/itemvec/itemvec"
)

// A small Keras model written the way nsfwjs ships MobileNetV2, for tests
// that need no downloaded files.
type testLayer struct {
	name, class string
	config      map[string]any
	inputs      []string
}

type testWeight struct {
	name  string
	shape []int
	data  []float32
}

type testModel struct {
	class   string
	shared  string // a layer called twice, on the same inputs
	layers  []testLayer
	weights []testWeight
}

// seq returns n distinct, exactly representable values.
func seq(n int, scale float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i%17-8) * scale
	}
	return v
}

func fill(n int, x float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = x
	}
	return v
}

// baseModel: input 4x4x2 -> ZeroPadding2D -> Conv2D 3x3/2 + BN -> ReLU6 ->
// DepthwiseConv2D 3x3 same, multiplier 2 + BN -> Conv2D 1x1 -> Add(ReLU6, .)
// -> AveragePooling2D 2x2 -> Flatten -> Dense (head, not converted).
func baseModel() *testModel {
	bn := map[string]any{"axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": true,
		"beta_initializer": map[string]any{"class_name": "Zeros"}, "trainable": false}
	bnWeights := func(layer string, n int) []testWeight {
		return []testWeight{
			{layer + "/gamma", []int{n}, seq(n, 0.25)},
			{layer + "/beta", []int{n}, seq(n, 0.125)},
			{layer + "/moving_mean", []int{n}, seq(n, 0.5)},
			{layer + "/moving_variance", []int{n}, fill(n, 3)},
		}
	}
	m := &testModel{
		class: "Model",
		layers: []testLayer{
			{"in", "InputLayer", map[string]any{"batch_input_shape": []any{nil, 4, 4, 2}, "dtype": "float32", "sparse": false}, nil},
			{"pad", "ZeroPadding2D", map[string]any{"padding": [][]int{{0, 1}, {0, 1}}, "data_format": "channels_last"}, []string{"in"}},
			{"conv", "Conv2D", map[string]any{"filters": 3, "kernel_size": []int{3, 3}, "strides": []int{2, 2}, "padding": "valid",
				"data_format": "channels_last", "dilation_rate": []int{1, 1}, "activation": "linear", "use_bias": true,
				"kernel_initializer": map[string]any{"class_name": "VarianceScaling"}, "activity_regularizer": nil}, []string{"pad"}},
			{"conv_bn", "BatchNormalization", bn, []string{"conv"}},
			{"relu", "ReLU", map[string]any{"max_value": 6, "negative_slope": 0, "threshold": 0}, []string{"conv_bn"}},
			{"dw", "DepthwiseConv2D", map[string]any{"kernel_size": []int{3, 3}, "strides": []int{1, 1}, "padding": "same",
				"depth_multiplier": 2, "data_format": "channels_last", "dilation_rate": []int{1, 1}, "activation": "linear",
				"use_bias": false}, []string{"relu"}},
			{"dw_bn", "BatchNormalization", bn, []string{"dw"}},
			{"proj", "Conv2D", map[string]any{"filters": 3, "kernel_size": 1, "padding": "same", "activation": "linear"}, []string{"dw_bn"}},
			{"add", "Add", map[string]any{}, []string{"relu", "proj"}},
			{"pool", "AveragePooling2D", map[string]any{"pool_size": []int{2, 2}, "strides": []int{2, 2}, "padding": "valid",
				"data_format": "channels_last"}, []string{"add"}},
			{"flat", "Flatten", map[string]any{"data_format": "channels_last"}, []string{"pool"}},
			{"head", "Dense", map[string]any{"units": 2, "activation": "softmax"}, []string{"flat"}},
		},
	}
	m.weights = append(m.weights, testWeight{"conv/kernel", []int{3, 3, 2, 3}, seq(54, 0.5)}, testWeight{"conv/bias", []int{3}, seq(3, 1)})
	m.weights = append(m.weights, bnWeights("conv_bn", 3)...)
	m.weights = append(m.weights, testWeight{"dw/depthwise_kernel", []int{3, 3, 3, 2}, seq(54, 0.25)})
	m.weights = append(m.weights, bnWeights("dw_bn", 6)...)
	m.weights = append(m.weights, testWeight{"proj/kernel", []int{1, 1, 6, 3}, seq(18, 2)}, testWeight{"proj/bias", []int{3}, seq(3, 4)})
	m.weights = append(m.weights, testWeight{"head/kernel", []int{3, 2}, seq(6, 1)}, testWeight{"head/bias", []int{2}, seq(2, 1)})
	return m
}

func (m *testModel) layer(name string) *testLayer {
	for i := range m.layers {
		if m.layers[i].name == name {
			return &m.layers[i]
		}
	}
	panic("no layer " + name)
}

// files writes the model as nsfwjs's two UMD files: the topology as an
// object literal and the weights as float32 base64.
func (m *testModel) files(t *testing.T) (modelJS, weightsJS []byte) {
	t.Helper()
	var layers []any
	for _, l := range m.layers {
		var inbound []any
		if l.inputs != nil {
			var node []any
			for _, in := range l.inputs {
				node = append(node, []any{in, 0, 0, map[string]any{}})
			}
			inbound = []any{node}
			if l.name == m.shared {
				inbound = append(inbound, node)
			}
		}
		cfg := map[string]any{"name": l.name}
		for k, v := range l.config {
			cfg[k] = v
		}
		layers = append(layers, map[string]any{"name": l.name, "class_name": l.class, "config": cfg, "inbound_nodes": inbound})
	}
	var specs []any
	var data []byte
	for _, w := range m.weights {
		specs = append(specs, map[string]any{"name": w.name, "shape": w.shape, "dtype": "float32"})
		for _, v := range w.data {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
		}
	}
	obj := map[string]any{
		"modelTopology": map[string]any{
			"keras_version": "2.2.4",
			"backend":       "tensorflow",
			"model_config": map[string]any{"class_name": m.class, "config": map[string]any{
				"name": "tiny", "layers": layers,
				"input_layers": []any{[]any{"in", 0, 0}}, "output_layers": []any{[]any{"head", 0, 0}},
			}},
		},
		"weightsManifest": []any{map[string]any{"paths": []string{"group1-shard1of1"}, "weights": specs}},
	}
	lit, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(umd("model", string(lit))), []byte(umd("group1_shard1of1", `"`+base64.StdEncoding.EncodeToString(data)+`"`))
}

func (m *testModel) convert(t *testing.T) (*onnx.ModelProto, *Report, error) {
	t.Helper()
	modelJS, weightsJS := m.files(t)
	out, r, err := ConvertNSFWJS(modelJS, weightsJS)
	if err != nil {
		return nil, nil, err
	}
	var model onnx.ModelProto
	if err := proto.Unmarshal(out, &model); err != nil {
		t.Fatal(err)
	}
	again, _, err := ConvertNSFWJS(modelJS, weightsJS)
	if err != nil || string(again) != string(out) {
		t.Fatalf("second conversion differs (err %v)", err)
	}
	return &model, r, nil
}

func initializer(t *testing.T, g *onnx.GraphProto, name string) ([]int64, []float32) {
	t.Helper()
	for _, in := range g.Initializer {
		if in.Name == name {
			v := make([]float32, len(in.RawData)/4)
			for i := range v {
				v[i] = math.Float32frombits(binary.LittleEndian.Uint32(in.RawData[4*i:]))
			}
			return in.Dims, v
		}
	}
	t.Fatalf("no initializer %q", name)
	return nil, nil
}

func TestConvertTinyModel(t *testing.T) {
	m := baseModel()
	model, r, err := m.convert(t)
	if err != nil {
		t.Fatal(err)
	}
	if r.OutputLayer != "flat" || r.PooledLayer != "add" || r.Features != 3 || r.Input != [4]int{-1, 2, 4, 4} {
		t.Errorf("report %+v", *r)
	}
	if r.Params != 168 || r.FoldedBN != 2 || r.Layers != 11 || r.LayersByClass["Conv2D"] != 2 {
		t.Errorf("params %d, folded %d, layers %d %v; want 168, 2, 11", r.Params, r.FoldedBN, r.Layers, r.LayersByClass)
	}
	if model.IrVersion != irVersion || len(model.OpsetImport) != 1 || model.OpsetImport[0].Version != Opset {
		t.Errorf("IR %d, opsets %v", model.IrVersion, model.OpsetImport)
	}
	g := model.Graph
	var ops []string
	for _, n := range g.Node {
		ops = append(ops, n.OpType)
	}
	wantOps := []string{"Pad", "Conv", "Clip", "Conv", "Conv", "Add", "AveragePool", "Flatten"}
	if !slices.Equal(ops, wantOps) {
		t.Errorf("ops %v, want %v", ops, wantOps)
	}
	if last := g.Node[len(g.Node)-1]; last.Output[0] != OutputName {
		t.Errorf("last node writes %q, want %q", last.Output[0], OutputName)
	}
	shapeOf := func(vi *onnx.ValueInfoProto) []string {
		var s []string
		for _, d := range vi.Type.GetTensorType().Shape.Dim {
			if p := d.GetDimParam(); p != "" {
				s = append(s, p)
			} else {
				s = append(s, strconv.FormatInt(d.GetDimValue(), 10))
			}
		}
		return s
	}
	if g.Input[0].Name != InputName || !slices.Equal(shapeOf(g.Input[0]), []string{"batch", "2", "4", "4"}) {
		t.Errorf("input %s %v", g.Input[0].Name, shapeOf(g.Input[0]))
	}
	if g.Output[0].Name != OutputName || !slices.Equal(shapeOf(g.Output[0]), []string{"batch", "3"}) {
		t.Errorf("output %s %v", g.Output[0].Name, shapeOf(g.Output[0]))
	}

	// Kernel layout and BatchNormalization folding, from the Keras
	// definitions: conv out[o] = sum K[y][x][i][o]*in + b[o], then
	// (out-mean)*gamma/sqrt(var+eps)+beta.
	weights := map[string][]float32{}
	for _, w := range m.weights {
		weights[w.name] = w.data
	}
	scale := func(bn string, o int) float64 {
		return float64(weights[bn+"/gamma"][o]) / math.Sqrt(float64(weights[bn+"/moving_variance"][o])+0.001)
	}
	near := func(got float32, want float64) bool {
		return math.Abs(float64(got)-want) <= 1e-6*math.Max(1, math.Abs(want))
	}

	dims, w := initializer(t, g, "conv/W")
	if !slices.Equal(dims, []int64{3, 2, 3, 3}) {
		t.Fatalf("conv/W dims %v", dims)
	}
	for o := 0; o < 3; o++ {
		for i := 0; i < 2; i++ {
			for y := 0; y < 3; y++ {
				for x := 0; x < 3; x++ {
					want := float64(weights["conv/kernel"][((y*3+x)*2+i)*3+o]) * scale("conv_bn", o)
					if got := w[((o*2+i)*3+y)*3+x]; !near(got, want) {
						t.Fatalf("conv/W[%d,%d,%d,%d] = %v, want %v", o, i, y, x, got, want)
					}
				}
			}
		}
	}
	_, b := initializer(t, g, "conv/B")
	for o := 0; o < 3; o++ {
		want := (float64(weights["conv/bias"][o])-float64(weights["conv_bn/moving_mean"][o]))*scale("conv_bn", o) + float64(weights["conv_bn/beta"][o])
		if !near(b[o], want) {
			t.Errorf("conv/B[%d] = %v, want %v", o, b[o], want)
		}
	}
	// Depthwise: output channel c*multiplier+m reads input channel c.
	dims, w = initializer(t, g, "dw/W")
	if !slices.Equal(dims, []int64{6, 1, 3, 3}) {
		t.Fatalf("dw/W dims %v", dims)
	}
	for c := 0; c < 3; c++ {
		for mult := 0; mult < 2; mult++ {
			o := c*2 + mult
			for y := 0; y < 3; y++ {
				for x := 0; x < 3; x++ {
					want := float64(weights["dw/depthwise_kernel"][((y*3+x)*3+c)*2+mult]) * scale("dw_bn", o)
					if got := w[(o*3+y)*3+x]; !near(got, want) {
						t.Fatalf("dw/W[%d,0,%d,%d] = %v, want %v", o, y, x, got, want)
					}
				}
			}
		}
	}
	attrs := func(n *onnx.NodeProto) map[string][]int64 {
		out := map[string][]int64{}
		for _, a := range n.Attribute {
			if a.Type == onnx.AttributeProto_INT {
				out[a.Name] = []int64{a.I}
			} else {
				out[a.Name] = a.Ints
			}
		}
		return out
	}
	if a := attrs(g.Node[3]); a["group"][0] != 3 || !slices.Equal(a["pads"], []int64{1, 1, 1, 1}) {
		t.Errorf("depthwise attributes %v", a)
	}
	if a := attrs(g.Node[1]); !slices.Equal(a["strides"], []int64{2, 2}) || !slices.Equal(a["pads"], []int64{0, 0, 0, 0}) {
		t.Errorf("conv attributes %v", a)
	}
}

func TestConvertErrors(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(m *testModel)
		wantCode string
		wantErr  string
	}{
		{"unknown layer class", func(m *testModel) { m.layer("relu").class = "ELU" }, CodeUnsupported, "layer class ELU"},
		{"conv activation", func(m *testModel) { m.layer("proj").config["activation"] = "relu" }, CodeUnsupported, `activation="relu"`},
		{"channels_first", func(m *testModel) { m.layer("pad").config["data_format"] = "channels_first" }, CodeUnsupported, "data_format"},
		{"unknown config key", func(m *testModel) { m.layer("add").config["frobnicate"] = 1 }, CodeUnsupported, "unknown config frobnicate=1"},
		{"conv groups", func(m *testModel) { m.layer("proj").config["groups"] = 3 }, CodeUnsupported, "groups=3"},
		{"causal padding", func(m *testModel) { m.layer("proj").config["padding"] = "causal" }, CodeUnsupported, `padding "causal"`},
		{"leaky relu", func(m *testModel) { m.layer("relu").config["negative_slope"] = 0.1 }, CodeUnsupported, "negative_slope 0.1"},
		{"bn axis", func(m *testModel) { m.layer("conv_bn").config["axis"] = 1 }, CodeUnsupported, "axis 1"},
		{"bn renorm", func(m *testModel) { m.layer("dw_bn").config["renorm"] = true }, CodeUnsupported, "renorm=true"},
		{"bn not after a conv", func(m *testModel) { m.layer("dw_bn").inputs = []string{"relu"} },
			CodeUnsupported, "only a BatchNormalization directly after"},
		{"bn after a conv with two consumers", func(m *testModel) {
			proj := m.layer("proj")
			proj.inputs = []string{"dw"}
			proj.config["filters"] = 6
			m.layer("add").inputs = []string{"dw_bn", "proj"}
			for i, w := range m.weights {
				switch w.name {
				case "proj/kernel":
					m.weights[i] = testWeight{w.name, []int{1, 1, 6, 6}, seq(36, 1)}
				case "proj/bias":
					m.weights[i] = testWeight{w.name, []int{6}, seq(6, 1)}
				}
			}
		},
			CodeUnsupported, "only a BatchNormalization directly after"},
		{"add shapes", func(m *testModel) { m.layer("add").inputs = []string{"relu", "dw_bn"} },
			CodeUnsupported, "input shapes [3 2 2] and [6 2 2] differ"},
		{"pooling not global", func(m *testModel) { m.layer("pool").config["pool_size"] = []int{1, 1} }, CodeUnsupported, `"pool" feeding the output is not global`},
		{"no pooling", func(m *testModel) { m.layer("flat").inputs = []string{"add"} }, CodeUnsupported, "no global average pooling"},
		{"filters disagree with kernel", func(m *testModel) { m.layer("proj").config["filters"] = 4 }, CodeMalformed, `"proj/kernel" has shape [1 1 6 3], want [1 1 6 4]`},
		{"missing weight", func(m *testModel) {
			m.weights = slices.DeleteFunc(m.weights, func(w testWeight) bool { return w.name == "conv_bn/beta" })
		},
			CodeMalformed, `"conv_bn/beta" missing`},
		{"unused bias", func(m *testModel) { m.layer("conv").config["use_bias"] = false }, CodeUnsupported, `"conv/bias" is not used`},
		{"shared layer", func(m *testModel) { m.shared = "proj" }, CodeUnsupported, "called 2 times"},
		{"sequential", func(m *testModel) { m.class = "Sequential" }, CodeUnsupported, `model class "Sequential"`},
		{"dynamic input", func(m *testModel) { m.layer("in").config["batch_input_shape"] = []any{nil, nil, nil, 2} }, CodeUnsupported, "static H, W, C"},
		{"unknown input", func(m *testModel) { m.layer("add").inputs = []string{"relu", "nope"} }, CodeMalformed, `input "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := baseModel()
			tt.mutate(m)
			_, _, err := m.convert(t)
			if err == nil {
				t.Fatalf("converted; want an error containing %q", tt.wantErr)
			}
			if got := itemvec.CodeOf(err); got != tt.wantCode {
				t.Errorf("error %v has code %q, want %q", err, got, tt.wantCode)
			}
			if got, want := itemvec.KindOf(err), codeKind(tt.wantCode); got != want {
				t.Errorf("error %v has kind %v, want %v", err, got, want)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestConvertNSFWJSMalformed(t *testing.T) {
	modelJS, weightsJS := baseModel().files(t)
	tests := []struct {
		name             string
		modelJS, weights string
		wantCode         string
		wantErr          string
	}{
		{"model not a literal", "module.exports=e()", string(weightsJS), CodeMalformed, "no `.exports"},
		{"weights not a string", string(modelJS), umd("g", "{a:1}"), CodeMalformed, "not a string"},
		{"bad base64", string(modelJS), umd("g", `"***"`), CodeMalformed, "base64"},
		{"short shard", string(modelJS), umd("g", `"AAAA"`), CodeMalformed, "shard has 3"},
		{"two shards", strings.Replace(string(modelJS), `"paths":["group1-shard1of1"]`, `"paths":["a","b"]`, 1), string(weightsJS), CodeUnsupported, "2 shards"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ConvertNSFWJS([]byte(tt.modelJS), []byte(tt.weights))
			if err == nil || itemvec.CodeOf(err) != tt.wantCode || itemvec.KindOf(err) != codeKind(tt.wantCode) ||
				!strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v; want code %s containing %q", err, tt.wantCode, tt.wantErr)
			}
		})
	}
}
