package keras

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func f64(v float64) *float64 { return &v }

func TestDequantize(t *testing.T) {
	// Conv1/kernel's quantisation in nsfwjs's mobilenet_v2. The expected bit
	// patterns were computed by tfjs-core's decodeWeight (q*scale+min in
	// JavaScript doubles, stored into a Float32Array); q=2 and q=4 are values
	// where float32 arithmetic would be one ulp off.
	conv1 := &quantization{DType: "uint8", Min: f64(-.87334511607301), Scale: f64(.006666756611244351)}
	tests := []struct {
		name string
		spec weightSpec
		raw  []byte
		want []uint32 // float32 bits
	}{
		{
			name: "uint8 like tfjs",
			spec: weightSpec{Name: "w", Shape: []int{2, 3}, DType: "float32", Quantization: conv1},
			raw:  []byte{0, 1, 2, 4, 131, 255},
			want: []uint32{0xbf5f938c, 0xbf5ddea2, 0xbf5c29b8, 0xbf58bfe5, 0, 0x3f53a128},
		},
		{
			name: "uint8 tiny scale",
			spec: weightSpec{Name: "w", Shape: []int{2}, DType: "float32",
				Quantization: &quantization{DType: "uint8", Min: f64(-.0023754353781102917), Scale: f64(1963169733975448e-20)}},
			raw:  []byte{0, 200},
			want: []uint32{0xbb1bad31, 0x3acb47b5},
		},
		{
			name: "uint16 little endian",
			spec: weightSpec{Name: "w", Shape: []int{2}, DType: "float32",
				Quantization: &quantization{DType: "uint16", Min: f64(-3), Scale: f64(0.25)}},
			raw:  []byte{0xff, 0xff, 0x04, 0x00},
			want: []uint32{0x467ff300, math.Float32bits(-2)},
		},
		{
			name: "float32 copied bit for bit",
			spec: weightSpec{Name: "w", Shape: []int{2}, DType: "float32"},
			raw:  []byte{0x00, 0x00, 0x80, 0x3f, 0x01, 0x00, 0xc0, 0xff},
			want: []uint32{0x3f800000, 0xffc00001},
		},
		{
			name: "scalar",
			spec: weightSpec{Name: "w", Shape: []int{}, DType: "float32", Quantization: conv1},
			raw:  []byte{131},
			want: []uint32{0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dequantize(tt.spec, tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			bits := make([]uint32, len(got))
			for i, v := range got {
				bits[i] = math.Float32bits(v)
			}
			if !slices.Equal(bits, tt.want) {
				t.Errorf("dequantize = %#x, want %#x", bits, tt.want)
			}
		})
	}
}

func TestDequantizeErrors(t *testing.T) {
	tests := []struct {
		name    string
		spec    weightSpec
		raw     []byte
		wantErr string
	}{
		{"wrong size", weightSpec{Name: "w", Shape: []int{3}, DType: "float32",
			Quantization: &quantization{DType: "uint8", Min: f64(0), Scale: f64(1)}}, []byte{1, 2}, "2 bytes for 3 values"},
		{"no scale", weightSpec{Name: "w", Shape: []int{1}, DType: "float32",
			Quantization: &quantization{DType: "uint8", Min: f64(0)}}, []byte{1}, "without min and scale"},
		{"float16", weightSpec{Name: "w", Shape: []int{1}, DType: "float32",
			Quantization: &quantization{DType: "float16"}}, []byte{1, 2}, `quantization dtype "float16"`},
		{"int32 weight", weightSpec{Name: "w", Shape: []int{1}, DType: "int32"}, []byte{1, 2, 3, 4}, `dtype "int32"`},
		{"negative dim", weightSpec{Name: "w", Shape: []int{-1}, DType: "float32"}, nil, "bad shape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dequantize(tt.spec, tt.raw)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("dequantize error %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestDecodeWeights(t *testing.T) {
	q := &quantization{DType: "uint8", Min: f64(-1), Scale: f64(0.5)}
	specs := []weightSpec{
		{Name: "a/kernel", Shape: []int{2, 1}, DType: "float32", Quantization: q},
		{Name: "b/bias", Shape: []int{1}, DType: "float32"},
		{Name: "c/gamma", Shape: []int{3}, DType: "float32", Quantization: q},
	}
	data := []byte{0, 2, 0x00, 0x00, 0x00, 0x40, 4, 5, 6}
	got, err := decodeWeights(specs, data)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float32{"a/kernel": {-1, 0}, "b/bias": {2}, "c/gamma": {1, 1.5, 2}}
	for name, w := range want {
		if !slices.Equal(got[name].Data, w) {
			t.Errorf("%s = %v, want %v", name, got[name].Data, w)
		}
	}
	if !slices.Equal(got["a/kernel"].Shape, []int{2, 1}) {
		t.Errorf("a/kernel shape %v", got["a/kernel"].Shape)
	}

	for _, tt := range []struct {
		name    string
		data    []byte
		specs   []weightSpec
		wantErr string
	}{
		{"short shard", data[:8], specs, "shard has 8"},
		{"long shard", append(slices.Clone(data), 0), specs, "manifest covers 9 bytes, shard has 10"},
		{"duplicate", make([]byte, 6), []weightSpec{specs[2], specs[2]}, "listed twice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeWeights(tt.specs, tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("decodeWeights error %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestDecodeBase64(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []byte
		ok   bool
	}{
		{"AAEC/w==", []byte{0, 1, 2, 255}, true},
		{"AAEC/w", []byte{0, 1, 2, 255}, true},
		{"AAEC", []byte{0, 1, 2}, true},
		{"AA*C", nil, false},
	} {
		got, err := decodeBase64(tt.in)
		if (err == nil) != tt.ok || !slices.Equal(got, tt.want) && tt.ok {
			t.Errorf("decodeBase64(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
