package keras

import (
	"encoding/base64"
	"fmt"

	"github.com/itemvec/itemvec/onnx/convert/tfjs"
)

// decodeWeights decodes the weights of every manifest group from data, the
// one shard all of them share, back to back in manifest order. The layers
// this package maps take float32 weights only, stored as float32 or
// quantised.
func decodeWeights(groups []tfjs.WeightGroup, data []byte) (map[string]*tfjs.Tensor, error) {
	var all tfjs.WeightGroup
	for _, g := range groups {
		for _, spec := range g.Weights {
			if spec.DType != "float32" {
				return nil, fmt.Errorf("weight %q: dtype %q (only float32)", spec.Name, spec.DType)
			}
		}
		all.Weights = append(all.Weights, g.Weights...)
	}
	return tfjs.Decode([]tfjs.WeightGroup{all}, [][]byte{data})
}

// decodeBase64 accepts standard base64 with or without padding, as Node's
// Buffer.from(s, "base64") does for well-formed input.
func decodeBase64(s string) ([]byte, error) {
	if len(s)%4 != 0 {
		return base64.RawStdEncoding.DecodeString(s)
	}
	return base64.StdEncoding.DecodeString(s)
}
