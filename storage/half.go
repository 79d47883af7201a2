package storage

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Encodings of the vec field (SpaceMeta.Encoding, StoreConfig.Encoding).
const (
	// EncodingFloat32 stores each value as 4 bytes of IEEE-754 binary32,
	// little-endian: the default, and what RediSearch's FLOAT32 expects.
	EncodingFloat32 = "float32"
	// EncodingFloat16 stores each value as 2 bytes of IEEE-754 binary16,
	// little-endian, rounded to nearest even: half the memory (RediSearch
	// 2.10+ indexes it as FLOAT16).
	EncodingFloat16 = "float16"
)

// EncodeVectorEncoding returns v in encoding ("" means float32).
func EncodeVectorEncoding(v []float32, encoding string) []byte {
	if encoding != EncodingFloat16 {
		return EncodeVector(v)
	}
	b := make([]byte, 0, 2*len(v))
	for _, f := range v {
		b = binary.LittleEndian.AppendUint16(b, Float16Bits(f))
	}
	return b
}

// DecodeVectorEncoding is the inverse of EncodeVectorEncoding. A length
// that does not fit the encoding, or an unknown encoding, is a
// CodeCorruptRecord error.
func DecodeVectorEncoding(b []byte, encoding string) ([]float32, error) {
	v, err := decodeEncoded(b, encoding)
	if err != nil {
		return nil, newError("storage.DecodeVectorEncoding", "decode vector", CodeCorruptRecord, err)
	}
	return v, nil
}

func decodeEncoded(b []byte, encoding string) ([]float32, error) {
	switch encoding {
	case "", EncodingFloat32:
		return decodeFloats(b)
	case EncodingFloat16:
		if len(b)%2 != 0 {
			return nil, fmt.Errorf("%d bytes is not a whole number of float16s", len(b))
		}
		v := make([]float32, len(b)/2)
		for i := range v {
			v[i] = Float16Value(binary.LittleEndian.Uint16(b[2*i:]))
		}
		return v, nil
	}
	return nil, fmt.Errorf("unknown vector encoding %q", encoding)
}

// Float16Bits rounds f to the nearest IEEE-754 binary16 (ties to even) and
// returns its bits: overflow gives ±Inf, NaN stays NaN (quiet), values
// below the smallest subnormal round to ±0.
func Float16Bits(f float32) uint16 {
	x := math.Float32bits(f)
	sign := uint16(x>>16) & 0x8000
	exp := int(x>>23) & 0xff
	mant := x & 0x7fffff
	switch {
	case exp == 0xff: // Inf or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp == 0 && mant == 0:
		return sign
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		// Subnormal half (or zero): shift the full mantissa, with its
		// implicit 1, right and round to nearest even.
		if e < -10 {
			return sign
		}
		m := mant | 0x800000
		shift := uint(14 - e)
		half := m >> shift
		rem := m & (1<<shift - 1)
		mid := uint32(1) << (shift - 1)
		if rem > mid || rem == mid && half&1 == 1 {
			half++
		}
		return sign | uint16(half)
	}
	half := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || rem == 0x1000 && half&1 == 1 {
		half++ // may carry into the exponent, up to Inf: still correct
	}
	return sign | uint16(half)
}

// Float16Value is the float32 value of binary16 bits h (exact).
func Float16Value(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0:
		v := float32(mant) / (1 << 24) // exact: mant < 2^10
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}
