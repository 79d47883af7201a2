package tfgraph

import (
	"encoding/binary"
	"fmt"
	"math"
)

// weightGroup is one entry of a tfjs weightsManifest: the shard files that,
// concatenated, hold the listed weights back to back.
type weightGroup struct {
	Paths   []string     `json:"paths"`
	Weights []weightSpec `json:"weights"`
}

// weightSpec describes one stored tensor, as tfjs writes it.
type weightSpec struct {
	Name         string        `json:"name"`
	Shape        []int64       `json:"shape"`
	DType        string        `json:"dtype"`
	Quantization *quantization `json:"quantization,omitempty"`
}

// quantization is tfjs's affine quantisation: value = q*scale+min.
type quantization struct {
	DType string   `json:"dtype"`
	Min   *float64 `json:"min"`
	Scale *float64 `json:"scale"`
}

// tensor is a decoded weight: Floats for float32, Ints for int32 (tfjs
// stores TensorFlow's int64 constants as int32 too).
type tensor struct {
	Shape  []int64
	Floats []float32
	Ints   []int64
}

func shapeSize(shape []int64) (int, error) {
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
func (spec weightSpec) bytesPerValue() (int, error) {
	switch spec.DType {
	case "float32", "int32":
	default:
		return 0, fmt.Errorf("weight %q: dtype %q (only float32 and int32)", spec.Name, spec.DType)
	}
	if spec.Quantization == nil {
		return 4, nil
	}
	q := spec.Quantization
	if spec.DType != "float32" {
		return 0, fmt.Errorf("weight %q: quantised %s (only float32 weights may be quantised)", spec.Name, spec.DType)
	}
	if q.Min == nil || q.Scale == nil {
		return 0, fmt.Errorf("weight %q: %s quantization without min and scale", spec.Name, q.DType)
	}
	switch q.DType {
	case "uint8":
		return 1, nil
	case "uint16":
		return 2, nil
	}
	return 0, fmt.Errorf("weight %q: quantization dtype %q (only uint8, uint16)", spec.Name, q.DType)
}

// decode reads the raw little-endian bytes of one weight. Quantised values
// are computed as q*scale+min in float64 and rounded once to float32, as
// tfjs-core's decodeWeight does.
func (spec weightSpec) decode(raw []byte) (*tensor, error) {
	per, err := spec.bytesPerValue()
	if err != nil {
		return nil, err
	}
	n, err := shapeSize(spec.Shape)
	if err != nil {
		return nil, fmt.Errorf("weight %q: %w", spec.Name, err)
	}
	if len(raw) != n*per {
		return nil, fmt.Errorf("weight %q: %d bytes for %d values of %d bytes", spec.Name, len(raw), n, per)
	}
	t := &tensor{Shape: append([]int64{}, spec.Shape...)}
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

// decodeWeights splits each group's concatenated shard bytes into named
// tensors, in manifest order, as tfjs does. shards holds the bytes of each
// group's files, concatenated in path order.
func decodeWeights(groups []weightGroup, shards [][]byte) (map[string]*tensor, error) {
	if len(groups) != len(shards) {
		return nil, fmt.Errorf("%d weight groups, %d shard blobs", len(groups), len(shards))
	}
	out := map[string]*tensor{}
	for gi, g := range groups {
		data := shards[gi]
		off := 0
		for _, spec := range g.Weights {
			per, err := spec.bytesPerValue()
			if err != nil {
				return nil, err
			}
			n, err := shapeSize(spec.Shape)
			if err != nil {
				return nil, fmt.Errorf("weight %q: %w", spec.Name, err)
			}
			if off+n*per > len(data) {
				return nil, fmt.Errorf("weight %q: needs bytes %d..%d, group %d has %d", spec.Name, off, off+n*per, gi, len(data))
			}
			t, err := spec.decode(data[off : off+n*per])
			if err != nil {
				return nil, err
			}
			if _, dup := out[spec.Name]; dup {
				return nil, fmt.Errorf("weight %q listed twice", spec.Name)
			}
			out[spec.Name] = t
			off += n * per
		}
		if off != len(data) {
			return nil, fmt.Errorf("group %d: manifest covers %d bytes, shards have %d", gi, off, len(data))
		}
	}
	return out, nil
}
