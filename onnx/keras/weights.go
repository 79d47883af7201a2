package keras

import (
	"encoding/base64"
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
	Shape        []int         `json:"shape"`
	DType        string        `json:"dtype"`
	Group        string        `json:"group,omitempty"`
	Quantization *quantization `json:"quantization,omitempty"`
}

// quantization is tfjs's per-tensor affine quantisation: value = q*scale+min.
type quantization struct {
	DType string   `json:"dtype"`
	Min   *float64 `json:"min"`
	Scale *float64 `json:"scale"`
}

// tensor is a dequantised float32 weight in its stored (Keras) layout.
type tensor struct {
	Shape []int
	Data  []float32
}

func shapeSize(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && n > (1<<31)/d) {
			return 0, fmt.Errorf("bad shape %v", shape)
		}
		n *= d
	}
	return n, nil
}

// bytesPerValue is the stored size of one element of spec.
func (spec weightSpec) bytesPerValue() (int, error) {
	if spec.DType != "float32" {
		return 0, fmt.Errorf("weight %q: dtype %q (only float32)", spec.Name, spec.DType)
	}
	if spec.Quantization == nil {
		return 4, nil
	}
	switch q := spec.Quantization; q.DType {
	case "uint8", "uint16":
		if q.Min == nil || q.Scale == nil {
			return 0, fmt.Errorf("weight %q: %s quantization without min and scale", spec.Name, q.DType)
		}
		if q.DType == "uint8" {
			return 1, nil
		}
		return 2, nil
	default:
		return 0, fmt.Errorf("weight %q: quantization dtype %q (only uint8, uint16)", spec.Name, q.DType)
	}
}

// dequantize decodes the raw little-endian bytes of one weight to float32.
// For uint8/uint16 it computes q*scale+min in float64 and rounds once to
// float32, which is what tfjs-core's decodeWeight does (JavaScript numbers are
// float64; the result is stored in a Float32Array). Unquantised float32 is
// copied bit for bit.
func dequantize(spec weightSpec, raw []byte) ([]float32, error) {
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
	out := make([]float32, n)
	switch {
	case spec.Quantization == nil:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case per == 1:
		scale, lo := *spec.Quantization.Scale, *spec.Quantization.Min
		for i, q := range raw {
			out[i] = float32(float64(q)*scale + lo)
		}
	default:
		scale, lo := *spec.Quantization.Scale, *spec.Quantization.Min
		for i := range out {
			q := binary.LittleEndian.Uint16(raw[2*i:])
			out[i] = float32(float64(q)*scale + lo)
		}
	}
	return out, nil
}

// decodeWeights splits the concatenated shard bytes into named tensors, in
// manifest order, as tfjs does.
func decodeWeights(specs []weightSpec, data []byte) (map[string]tensor, error) {
	out := make(map[string]tensor, len(specs))
	off := 0
	for _, spec := range specs {
		per, err := spec.bytesPerValue()
		if err != nil {
			return nil, err
		}
		n, err := shapeSize(spec.Shape)
		if err != nil {
			return nil, fmt.Errorf("weight %q: %w", spec.Name, err)
		}
		if off+n*per > len(data) {
			return nil, fmt.Errorf("weight %q: needs bytes %d..%d, shard has %d", spec.Name, off, off+n*per, len(data))
		}
		values, err := dequantize(spec, data[off:off+n*per])
		if err != nil {
			return nil, err
		}
		if _, dup := out[spec.Name]; dup {
			return nil, fmt.Errorf("weight %q listed twice", spec.Name)
		}
		out[spec.Name] = tensor{Shape: append([]int(nil), spec.Shape...), Data: values}
		off += n * per
	}
	if off != len(data) {
		return nil, fmt.Errorf("manifest covers %d bytes, shard has %d", off, len(data))
	}
	return out, nil
}

// decodeBase64 accepts standard base64 with or without padding, as Node's
// Buffer.from(s, "base64") does for well-formed input.
func decodeBase64(s string) ([]byte, error) {
	if len(s)%4 != 0 {
		return base64.RawStdEncoding.DecodeString(s)
	}
	return base64.StdEncoding.DecodeString(s)
}
