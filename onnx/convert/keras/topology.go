package keras

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/itemvec/itemvec/onnx/convert/tfjs"
)

// modelFile is the object that a tfjs model.json (here: model.min.js's
// export) holds.
type modelFile struct {
	ModelTopology   *modelTopology     `json:"modelTopology"`
	WeightsManifest []tfjs.WeightGroup `json:"weightsManifest"`
	Format          string             `json:"format"`
}

type modelTopology struct {
	KerasVersion string `json:"keras_version"`
	Backend      string `json:"backend"`
	ModelConfig  struct {
		ClassName string      `json:"class_name"`
		Config    modelConfig `json:"config"`
	} `json:"model_config"`
}

type modelConfig struct {
	Name         string            `json:"name"`
	Layers       []kerasLayer      `json:"layers"`
	InputLayers  []json.RawMessage `json:"input_layers"`
	OutputLayers []json.RawMessage `json:"output_layers"`
}

type kerasLayer struct {
	Name         string                     `json:"name"`
	ClassName    string                     `json:"class_name"`
	Config       map[string]json.RawMessage `json:"config"`
	InboundNodes [][]json.RawMessage        `json:"inbound_nodes"`
}

// inputs returns the names of the layers feeding l. Every layer must be
// called exactly once (no shared layers), on outputs of layers that were
// themselves called once, without call kwargs.
func (l kerasLayer) inputs() ([]string, error) {
	switch len(l.InboundNodes) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, fmt.Errorf("layer is called %d times (shared layers are not supported)", len(l.InboundNodes))
	}
	var names []string
	for _, raw := range l.InboundNodes[0] {
		var entry []json.RawMessage
		if err := json.Unmarshal(raw, &entry); err != nil || len(entry) < 3 || len(entry) > 4 {
			return nil, fmt.Errorf("bad inbound node %s", raw)
		}
		var (
			name               string
			nodeIndex, tensorI int
		)
		if err := json.Unmarshal(entry[0], &name); err != nil {
			return nil, fmt.Errorf("bad inbound layer name %s", entry[0])
		}
		if err := json.Unmarshal(entry[1], &nodeIndex); err != nil || nodeIndex != 0 {
			return nil, fmt.Errorf("inbound %q: node index %s (only 0)", name, entry[1])
		}
		if err := json.Unmarshal(entry[2], &tensorI); err != nil || tensorI != 0 {
			return nil, fmt.Errorf("inbound %q: tensor index %s (only 0)", name, entry[2])
		}
		if len(entry) == 4 {
			var kwargs map[string]json.RawMessage
			if err := json.Unmarshal(entry[3], &kwargs); err != nil || len(kwargs) != 0 {
				return nil, fmt.Errorf("inbound %q: call kwargs %s are not supported", name, entry[3])
			}
		}
		names = append(names, name)
	}
	return names, nil
}

// layerConfig reads a layer's config strictly: every key must be either read
// by the converter or known to have no effect on inference, and finish
// reports any other key, so an option the converter does not understand can
// never be silently dropped.
type layerConfig struct {
	raw  map[string]json.RawMessage
	seen map[string]bool
}

func newLayerConfig(raw map[string]json.RawMessage) *layerConfig {
	c := &layerConfig{raw: raw, seen: map[string]bool{}}
	// Keys that never change what a trained layer computes at inference.
	c.ignore("name", "trainable", "dtype")
	for k := range raw {
		if strings.HasSuffix(k, "_initializer") || strings.HasSuffix(k, "_regularizer") || strings.HasSuffix(k, "_constraint") {
			c.seen[k] = true
		}
	}
	return c
}

func (c *layerConfig) ignore(keys ...string) {
	for _, k := range keys {
		c.seen[k] = true
	}
}

// get decodes key into dst; a missing key or JSON null leaves dst unchanged
// and returns false.
func (c *layerConfig) get(key string, dst any) (bool, error) {
	c.seen[key] = true
	raw, ok := c.raw[key]
	if !ok || bytes.Equal(raw, []byte("null")) {
		return false, nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return false, fmt.Errorf("config %s=%s: %w", key, raw, err)
	}
	return true, nil
}

// require is get for a key that must be present.
func (c *layerConfig) require(key string, dst any) error {
	ok, err := c.get(key, dst)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("config %s is missing", key)
	}
	return nil
}

// want checks that key is absent, null, or equal (as JSON) to one of the
// accepted values.
func (c *layerConfig) want(key string, accepted ...string) error {
	c.seen[key] = true
	raw, ok := c.raw[key]
	if !ok || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	for _, a := range accepted {
		if bytes.Equal(raw, []byte(a)) {
			return nil
		}
	}
	return fmt.Errorf("config %s=%s (supported: %s)", key, raw, strings.Join(accepted, ", "))
}

func (c *layerConfig) finish() error {
	var unknown []string
	for k := range c.raw {
		if !c.seen[k] {
			unknown = append(unknown, k+"="+string(c.raw[k]))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("unknown config %s", strings.Join(unknown, ", "))
	}
	return nil
}

// pair reads a Keras 2-tuple that may also be written as a single int.
func (c *layerConfig) pair(key string, def [2]int) ([2]int, error) {
	var raw json.RawMessage
	ok, err := c.get(key, &raw)
	if err != nil || !ok {
		return def, err
	}
	var one int
	if json.Unmarshal(raw, &one) == nil {
		return [2]int{one, one}, nil
	}
	var two []int
	if err := json.Unmarshal(raw, &two); err != nil || len(two) != 2 {
		return def, fmt.Errorf("config %s=%s is not an int pair", key, raw)
	}
	return [2]int{two[0], two[1]}, nil
}
