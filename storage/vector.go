package storage

import (
	"encoding/binary"
	"fmt"
	"math"
)

// EncodeVector returns v as the contract stores it: each float32 as its
// 4 IEEE-754 bytes, little-endian, in order, no header. This is the layout
// RediSearch expects of a FLOAT32 VECTOR field. Bits are kept exactly,
// NaN payloads and negative zero included.
func EncodeVector(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, f := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}

// DecodeVector is the inverse of EncodeVector. A length that is not a
// multiple of 4 is a CodeCorruptRecord error.
func DecodeVector(b []byte) ([]float32, error) {
	v, err := decodeFloats(b)
	if err != nil {
		return nil, newError("storage.DecodeVector", "decode vector", CodeCorruptRecord, err)
	}
	return v, nil
}

func decodeFloats(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of float32s", len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}
