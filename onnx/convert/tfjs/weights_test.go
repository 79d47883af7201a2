package tfjs_test

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/onnx/convert/tfjs"
)

func f64(v float64) *float64 { return &v }

func TestWeightSpecDecode(t *testing.T) {
	// Conv1/kernel's quantisation in nsfwjs's mobilenet_v2. The expected bit
	// patterns were computed by tfjs-core's decodeWeight (q*scale+min in
	// JavaScript doubles, stored into a Float32Array); q=2 and q=4 are values
	// where float32 arithmetic would be one ulp off.
	conv1 := &tfjs.Quantization{DType: "uint8", Min: f64(-.87334511607301), Scale: f64(.006666756611244351)}
	tests := []struct {
		name string
		spec tfjs.WeightSpec
		raw  []byte
		want []uint32 // float32 bits
	}{
		{
			name: "uint8 like tfjs",
			spec: tfjs.WeightSpec{Name: "w", Shape: []int64{2, 3}, DType: "float32", Quantization: conv1},
			raw:  []byte{0, 1, 2, 4, 131, 255},
			want: []uint32{0xbf5f938c, 0xbf5ddea2, 0xbf5c29b8, 0xbf58bfe5, 0, 0x3f53a128},
		},
		{
			name: "uint8 tiny scale",
			spec: tfjs.WeightSpec{Name: "w", Shape: []int64{2}, DType: "float32",
				Quantization: &tfjs.Quantization{DType: "uint8", Min: f64(-.0023754353781102917), Scale: f64(1963169733975448e-20)}},
			raw:  []byte{0, 200},
			want: []uint32{0xbb1bad31, 0x3acb47b5},
		},
		{
			name: "uint16 little endian",
			spec: tfjs.WeightSpec{Name: "w", Shape: []int64{2}, DType: "float32",
				Quantization: &tfjs.Quantization{DType: "uint16", Min: f64(-3), Scale: f64(0.25)}},
			raw:  []byte{0xff, 0xff, 0x04, 0x00},
			want: []uint32{0x467ff300, math.Float32bits(-2)},
		},
		{
			name: "float32 copied bit for bit",
			spec: tfjs.WeightSpec{Name: "w", Shape: []int64{2}, DType: "float32"},
			raw:  []byte{0x00, 0x00, 0x80, 0x3f, 0x01, 0x00, 0xc0, 0xff},
			want: []uint32{0x3f800000, 0xffc00001},
		},
		{
			name: "scalar",
			spec: tfjs.WeightSpec{Name: "w", Shape: []int64{}, DType: "float32", Quantization: conv1},
			raw:  []byte{131},
			want: []uint32{0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.spec.Decode(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			bits := make([]uint32, len(got.Floats))
			for i, v := range got.Floats {
				bits[i] = math.Float32bits(v)
			}
			if !slices.Equal(bits, tt.want) || got.Ints != nil {
				t.Errorf("Decode = %#x (ints %v), want %#x", bits, got.Ints, tt.want)
			}
		})
	}
}

func TestWeightSpecDecodeInt32(t *testing.T) {
	spec := tfjs.WeightSpec{Name: "shape", Shape: []int64{2}, DType: "int32"}
	got, err := spec.Decode([]byte{0x02, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Ints, []int64{2, -1}) || got.Floats != nil || !slices.Equal(got.Shape, []int64{2}) {
		t.Errorf("Decode = %+v, want ints [2 -1]", got)
	}
}

func TestWeightSpecDecodeErrors(t *testing.T) {
	tests := []struct {
		name     string
		spec     tfjs.WeightSpec
		raw      []byte
		wantErr  string
		wantCode string
	}{
		{"wrong size", tfjs.WeightSpec{Name: "w", Shape: []int64{3}, DType: "float32",
			Quantization: &tfjs.Quantization{DType: "uint8", Min: f64(0), Scale: f64(1)}}, []byte{1, 2}, "2 bytes for 3 values", tfjs.CodeMalformed},
		{"no scale", tfjs.WeightSpec{Name: "w", Shape: []int64{1}, DType: "float32",
			Quantization: &tfjs.Quantization{DType: "uint8", Min: f64(0)}}, []byte{1}, "without min and scale", tfjs.CodeMalformed},
		{"float16", tfjs.WeightSpec{Name: "w", Shape: []int64{1}, DType: "float32",
			Quantization: &tfjs.Quantization{DType: "float16"}}, []byte{1, 2}, `quantization dtype "float16"`, tfjs.CodeUnsupported},
		{"quantised int32", tfjs.WeightSpec{Name: "w", Shape: []int64{1}, DType: "int32",
			Quantization: &tfjs.Quantization{DType: "uint8", Min: f64(0), Scale: f64(1)}}, []byte{1}, "only float32 weights may be quantised", tfjs.CodeUnsupported},
		{"bool weight", tfjs.WeightSpec{Name: "w", Shape: []int64{1}, DType: "bool"}, []byte{1}, `dtype "bool"`, tfjs.CodeUnsupported},
		{"negative dim", tfjs.WeightSpec{Name: "w", Shape: []int64{-1}, DType: "float32"}, nil, "bad shape", tfjs.CodeMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.spec.Decode(tt.raw)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Decode error %v, want it to contain %q", err, tt.wantErr)
			}
			checkCode(t, err, tt.wantCode)
		})
	}
}

func TestDecode(t *testing.T) {
	q := &tfjs.Quantization{DType: "uint8", Min: f64(-1), Scale: f64(0.5)}
	specs := []tfjs.WeightSpec{
		{Name: "a/kernel", Shape: []int64{2, 1}, DType: "float32", Quantization: q},
		{Name: "b/bias", Shape: []int64{1}, DType: "float32"},
		{Name: "c/gamma", Shape: []int64{3}, DType: "float32", Quantization: q},
	}
	groups := []tfjs.WeightGroup{{Weights: specs[:2]}, {Weights: specs[2:]}}
	data := [][]byte{{0, 2, 0x00, 0x00, 0x00, 0x40}, {4, 5, 6}}
	got, err := tfjs.Decode(groups, data)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float32{"a/kernel": {-1, 0}, "b/bias": {2}, "c/gamma": {1, 1.5, 2}}
	for name, w := range want {
		if !slices.Equal(got[name].Floats, w) {
			t.Errorf("%s = %v, want %v", name, got[name].Floats, w)
		}
	}
	if !slices.Equal(got["a/kernel"].Shape, []int64{2, 1}) {
		t.Errorf("a/kernel shape %v", got["a/kernel"].Shape)
	}

	one := []tfjs.WeightGroup{{Weights: specs}}
	flat := slices.Concat(data...)
	for _, tt := range []struct {
		name    string
		groups  []tfjs.WeightGroup
		data    [][]byte
		wantErr string
	}{
		{"short shard", one, [][]byte{flat[:8]}, "needs bytes 6..9, group 0's shard has 8"},
		{"long shard", one, [][]byte{append(slices.Clone(flat), 0)}, "group 0: manifest covers 9 bytes, shard has 10"},
		{"duplicate", []tfjs.WeightGroup{{Weights: []tfjs.WeightSpec{specs[2], specs[2]}}}, [][]byte{make([]byte, 6)}, "listed twice"},
		{"duplicate across groups", []tfjs.WeightGroup{{Weights: specs[2:]}, {Weights: specs[2:]}}, [][]byte{data[1], data[1]}, "listed twice"},
		{"shards missing", groups, data[:1], "2 weight groups, 1 shard blobs"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tfjs.Decode(tt.groups, tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Decode error %v, want it to contain %q", err, tt.wantErr)
			}
			checkCode(t, err, tfjs.CodeMalformed)
		})
	}
}

// checkCode checks that err is a non-retryable *itemvec.Error of code, with
// the kind that goes with it.
func checkCode(t *testing.T, err error, code string) {
	t.Helper()
	kind := map[string]itemvec.Kind{tfjs.CodeMalformed: itemvec.KindBadInput, tfjs.CodeUnsupported: itemvec.KindConfig}[code]
	e, ok := errors.AsType[*itemvec.Error](err)
	if !ok || e.Code != code || e.Kind != kind || e.Op != "tfjs.Decode" || itemvec.IsRetryable(err) {
		t.Errorf("Decode error %#v, want a non-retryable *itemvec.Error of code %s, kind %v, op tfjs.Decode", err, code, kind)
	}
}
