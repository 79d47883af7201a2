package keras

import (
	"slices"
	"strings"
	"testing"

	"github.com/itemvec/itemvec/onnx/convert/tfjs"
)

// TestDecodeWeights checks what this package adds to tfjs.Decode: every
// group's weights read from one shard, float32 only. The decoding itself is
// tested in package tfjs.
func TestDecodeWeights(t *testing.T) {
	one, half := 1.0, 0.5
	q := &tfjs.Quantization{DType: "uint8", Min: &one, Scale: &half}
	groups := []tfjs.WeightGroup{
		{Weights: []tfjs.WeightSpec{{Name: "a/kernel", Shape: []int64{2, 1}, DType: "float32", Quantization: q}}},
		{Weights: []tfjs.WeightSpec{{Name: "b/bias", Shape: []int64{1}, DType: "float32"}}},
	}
	got, err := decodeWeights(groups, []byte{0, 2, 0x00, 0x00, 0x00, 0x40})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got["a/kernel"].Floats, []float32{1, 2}) || !slices.Equal(got["b/bias"].Floats, []float32{2}) {
		t.Errorf("decodeWeights = a/kernel %v, b/bias %v", got["a/kernel"].Floats, got["b/bias"].Floats)
	}

	groups[1].Weights[0].DType = "int32"
	if _, err := decodeWeights(groups, []byte{0, 2, 0, 0, 0, 0}); err == nil || !strings.Contains(err.Error(), `dtype "int32" (only float32)`) {
		t.Errorf("int32 weight: error %v", err)
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
