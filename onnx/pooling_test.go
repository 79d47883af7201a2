package onnx

import (
	"math"
	"slices"
	"testing"
)

func TestMeanPool(t *testing.T) {
	// Three tokens of two values each, plus one padding row past the mask.
	hidden := []float32{1, 10, 2, 20, 4, 40, 100, 1000}
	tests := []struct {
		name string
		mask []int64
		want []float32
		ok   bool
	}{
		{"all real", []int64{1, 1, 1}, []float32{7.0 / 3, 70.0 / 3}, true},
		{"one masked inside", []int64{1, 0, 1}, []float32{2.5, 25}, true},
		{"first only", []int64{1}, []float32{1, 10}, true},
		{"padding row ignored", []int64{1, 1, 1, 0}, []float32{7.0 / 3, 70.0 / 3}, true},
		{"nothing real", []int64{0, 0}, []float32{0, 0}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []float32{-1, -1}
			ok := meanPool(dst, hidden, tt.mask, 2)
			if ok != tt.ok {
				t.Fatalf("meanPool reported %v, want %v", ok, tt.ok)
			}
			for i := range dst {
				if math.Abs(float64(dst[i]-tt.want[i])) > 1e-6 {
					t.Fatalf("meanPool = %v, want %v", dst, tt.want)
				}
			}
		})
	}
}

func TestL2Normalize(t *testing.T) {
	tests := []struct {
		name string
		in   []float32
		want []float32
	}{
		{"3-4-5", []float32{3, 4}, []float32{0.6, 0.8}},
		{"already unit", []float32{0, -1, 0}, []float32{0, -1, 0}},
		{"zero stays zero", []float32{0, 0}, []float32{0, 0}},
		{"tiny", []float32{1e-30, 1e-30}, []float32{float32(math.Sqrt2 / 2), float32(math.Sqrt2 / 2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := slices.Clone(tt.in)
			l2Normalize(v)
			for i := range v {
				if math.Abs(float64(v[i]-tt.want[i])) > 1e-6 {
					t.Fatalf("l2Normalize(%v) = %v, want %v", tt.in, v, tt.want)
				}
			}
		})
	}
}
