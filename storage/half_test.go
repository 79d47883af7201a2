package storage

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestFloat16Bits(t *testing.T) {
	tests := []struct {
		in   float32
		want uint16
	}{
		{0, 0x0000},
		{float32(math.Copysign(0, -1)), 0x8000},
		{1, 0x3c00},
		{-2, 0xc000},
		{65504, 0x7bff},                  // largest finite
		{65520, 0x7c00},                  // rounds up to Inf
		{1e6, 0x7c00},                    // overflow
		{float32(math.Inf(-1)), 0xfc00},  // -Inf
		{6.103515625e-05, 0x0400},        // smallest normal
		{5.960464477539063e-08, 0x0001},  // smallest subnormal
		{2.9802322387695312e-08, 0x0000}, // half of it: ties to even (0)
		{8.940696716308594e-08, 0x0002},  // 1.5 × smallest: ties to even (2)
		{1e-9, 0x0000},                   // underflow
		{1.0009765625, 0x3c01},           // 1 + 2^-10
		{1.00048828125, 0x3c00},          // 1 + 2^-11: tie, to even
		{1.00146484375, 0x3c02},          // 1 + 3·2^-11: tie, to even
		{0.33325195, 0x3555},
	}
	for _, tt := range tests {
		if got := Float16Bits(tt.in); got != tt.want {
			t.Errorf("Float16Bits(%g) = %#04x, want %#04x", tt.in, got, tt.want)
		}
	}
	if nan := Float16Bits(float32(math.NaN())); nan&0x7c00 != 0x7c00 || nan&0x3ff == 0 {
		t.Errorf("NaN gives %#04x", nan)
	}
	if v := Float16Value(Float16Bits(float32(math.NaN()))); !math.IsNaN(float64(v)) {
		t.Errorf("NaN round trip gives %v", v)
	}
}

// TestFloat16RoundTrip: every binary16 value decodes and encodes back to
// itself, and random unit-scale values land within half an ulp.
func TestFloat16RoundTrip(t *testing.T) {
	for h := range 1 << 16 {
		v := Float16Value(uint16(h))
		if math.IsNaN(float64(v)) {
			continue
		}
		if back := Float16Bits(v); back != uint16(h) {
			t.Fatalf("%#04x -> %g -> %#04x", h, v, back)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		f := float32(rng.NormFloat64() * 0.05)
		got := Float16Value(Float16Bits(f))
		if err := math.Abs(float64(got - f)); err > math.Abs(float64(f))*(1.0/2048)+3e-8 {
			t.Fatalf("%g -> %g: error %g beyond half an ulp", f, got, err)
		}
	}
	v := []float32{0.5, -0.25, 1e-5, 3}
	got, err := DecodeVectorEncoding(EncodeVectorEncoding(v, EncodingFloat16), EncodingFloat16)
	if err != nil || len(got) != 4 || got[0] != 0.5 || got[1] != -0.25 || got[3] != 3 {
		t.Errorf("round trip %v, %v", got, err)
	}
	if _, err := DecodeVectorEncoding([]byte{1, 2, 3}, EncodingFloat16); err == nil {
		t.Error("3 bytes decoded as float16")
	}
}
