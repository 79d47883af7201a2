package tfjs

import (
	"encoding/binary"
	"fmt"
	"math"
)

// WeightGroup is one entry of a weightsManifest: the shard files that,
// concatenated, hold the listed weights back to back.
type WeightGroup struct {
	Paths   []string     `json:"paths"`
	Weights []WeightSpec `json:"weights"`
}

// WeightSpec describes one stored tensor, as tfjs writes it.
type WeightSpec struct {
	Name         string        `json:"name"`
	Shape        []int64       `json:"shape"`
	DType        string        `json:"dtype"`
	Quantization *Quantization `json:"quantization,omitempty"`
}

// Quantization is tfjs's per-tensor affine quantisation: value =
// q*scale+min.
type Quantization struct {
	DType string   `json:"dtype"`
	Min   *float64 `json:"min"`
	Scale *float64 `json:"scale"`
}

// Tensor is a decoded weight: Floats for a float32 weight, Ints for an
// int32 one (tfjs stores TensorFlow's int64 constants as int32 too).
type Tensor struct {
	Shape  []int64
	Floats []float32
	Ints   []int64
}

// size is the number of values of a tensor of the given shape.
func size(shape []int64) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && int64(n) > (1<<31)/d) {
			return 0, fmt.Errorf("bad shape %v", shape)
		}
		n *= int(d)
	}
	return n, nil
}

// bytesPerValue is the stored size of one element of spec.
func (spec WeightSpec) bytesPerValue() (int, error) {
	switch spec.DType {
	case "float32", "int32":
	default:
		return 0, unsupported("weight %q: dtype %q (only float32 and int32)", spec.Name, spec.DType)
	}
	q := spec.Quantization
	if q == nil {
		return 4, nil
	}
	if spec.DType != "float32" {
		return 0, unsupported("weight %q: quantised %s (only float32 weights may be quantised)", spec.Name, spec.DType)
	}
	switch q.DType {
	case "uint8", "uint16":
		if q.Min == nil || q.Scale == nil {
			return 0, malformed("weight %q: %s quantization without min and scale", spec.Name, q.DType)
		}
		if q.DType == "uint8" {
			return 1, nil
		}
		return 2, nil
	}
	return 0, unsupported("weight %q: quantization dtype %q (only uint8, uint16)", spec.Name, q.DType)
}

// layout is the number of values of spec and the bytes each takes.
func (spec WeightSpec) layout() (n, per int, err error) {
	if per, err = spec.bytesPerValue(); err != nil {
		return 0, 0, err
	}
	if n, err = size(spec.Shape); err != nil {
		return 0, 0, malformed("weight %q: %w", spec.Name, err)
	}
	return n, per, nil
}

// Decode reads the raw little-endian bytes of one weight. Quantised values
// are computed as q*scale+min in float64 and rounded once to float32,
// which is what tfjs-core's decodeWeight does (JavaScript numbers are
// float64; the result is stored in a Float32Array). Unquantised float32 is
// copied bit for bit.
func (spec WeightSpec) Decode(raw []byte) (*Tensor, error) {
	n, per, err := spec.layout()
	if err != nil {
		return nil, err
	}
	if len(raw) != n*per {
		return nil, malformed("weight %q: %d bytes for %d values of %d bytes", spec.Name, len(raw), n, per)
	}
	t := &Tensor{Shape: append([]int64{}, spec.Shape...)}
	switch {
	case spec.DType == "int32":
		t.Ints = make([]int64, n)
		for i := range t.Ints {
			t.Ints[i] = int64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
		}
	case spec.Quantization == nil:
		t.Floats = make([]float32, n)
		for i := range t.Floats {
			t.Floats[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	default:
		t.Floats = make([]float32, n)
		scale, lo := *spec.Quantization.Scale, *spec.Quantization.Min
		for i := range t.Floats {
			var q float64
			if per == 1 {
				q = float64(raw[i])
			} else {
				q = float64(binary.LittleEndian.Uint16(raw[2*i:]))
			}
			t.Floats[i] = float32(q*scale + lo)
		}
	}
	return t, nil
}

// Decode splits each group's shard into named tensors, in manifest order,
// as tfjs does. shards[i] is group i's shard: the bytes of its files,
// concatenated in path order. Every byte must belong to exactly one weight,
// and no name may appear twice.
func Decode(groups []WeightGroup, shards [][]byte) (map[string]*Tensor, error) {
	if len(groups) != len(shards) {
		return nil, malformed("%d weight groups, %d shard blobs", len(groups), len(shards))
	}
	out := map[string]*Tensor{}
	for gi, g := range groups {
		data := shards[gi]
		off := 0
		for _, spec := range g.Weights {
			values, per, err := spec.layout()
			if err != nil {
				return nil, err
			}
			n := values * per
			if off+n > len(data) {
				return nil, malformed("weight %q: needs bytes %d..%d, group %d's shard has %d", spec.Name, off, off+n, gi, len(data))
			}
			t, err := spec.Decode(data[off : off+n])
			if err != nil {
				return nil, err
			}
			if _, dup := out[spec.Name]; dup {
				return nil, malformed("weight %q listed twice", spec.Name)
			}
			out[spec.Name] = t
			off += n
		}
		if off != len(data) {
			return nil, malformed("group %d: manifest covers %d bytes, shard has %d", gi, off, len(data))
		}
	}
	return out, nil
}
