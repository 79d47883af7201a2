package storage_test

import (
	"bytes"
	"math"
	"testing"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
)

func TestEncodeVector_Golden(t *testing.T) {
	tests := []struct {
		name string
		in   []float32
		want []byte
	}{
		{"empty", nil, []byte{}},
		{"one minus-two half", []float32{1, -2, 0.5}, []byte{
			0x00, 0x00, 0x80, 0x3f, // 1
			0x00, 0x00, 0x00, 0xc0, // -2
			0x00, 0x00, 0x00, 0x3f, // 0.5
		}},
		{"negative zero", []float32{float32(math.Copysign(0, -1))}, []byte{0x00, 0x00, 0x00, 0x80}},
		{"NaN payload", []float32{math.Float32frombits(0x7fc00001)}, []byte{0x01, 0x00, 0xc0, 0x7f}},
		{"smallest subnormal", []float32{math.Float32frombits(1)}, []byte{0x01, 0x00, 0x00, 0x00}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := storage.EncodeVector(tc.in)
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("EncodeVector(%v) = % x, want % x", tc.in, got, tc.want)
			}
			back, err := storage.DecodeVector(got)
			if err != nil {
				t.Fatal(err)
			}
			if !sameBits(back, tc.in) {
				t.Fatalf("DecodeVector(EncodeVector(%v)) = %v", tc.in, back)
			}
		})
	}
}

func TestDecodeVector_RejectsPartialFloat(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 7} {
		_, err := storage.DecodeVector(make([]byte, n))
		checkError(t, err, itemvec.KindConfig, storage.CodeCorruptRecord)
	}
}
