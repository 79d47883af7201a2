package tfgraph

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/itemvec/itemvec/onnx/convert/tfjs"
)

// modelFile is a tfjs model.json.
type modelFile struct {
	Format          string             `json:"format"`
	ModelTopology   *graphDef          `json:"modelTopology"`
	WeightsManifest []tfjs.WeightGroup `json:"weightsManifest"`
}

// graphDef is TensorFlow's GraphDef as tfjs-converter writes it to JSON.
type graphDef struct {
	Node    []nodeDef `json:"node"`
	Library *struct {
		Function []json.RawMessage `json:"function"`
	} `json:"library"`
}

type nodeDef struct {
	Name  string             `json:"name"`
	Op    string             `json:"op"`
	Input []string           `json:"input"`
	Attr  map[string]attrDef `json:"attr"`
}

// attrDef is an AttrValue in protobuf's JSON mapping (the fields the
// converter reads): exactly one of them is set. int64 values come as
// strings, bytes as base64 strings (or, from some tfjs-converter versions,
// as arrays of byte values).
type attrDef struct {
	S      json.RawMessage `json:"s"`
	I      json.RawMessage `json:"i"`
	B      *bool           `json:"b"`
	Type   json.RawMessage `json:"type"`
	Shape  *shapeDef       `json:"shape"`
	Tensor *tensorDef      `json:"tensor"`
	List   *struct {
		I []json.RawMessage `json:"i"`
	} `json:"list"`
}

type shapeDef struct {
	Dim         []struct{ Size json.RawMessage } `json:"dim"`
	UnknownRank bool                             `json:"unknownRank"`
}

type tensorDef struct {
	TensorShape *shapeDef         `json:"tensorShape"`
	FloatVal    []json.RawMessage `json:"floatVal"`
	IntVal      []json.RawMessage `json:"intVal"`
	Int64Val    []json.RawMessage `json:"int64Val"`
	BoolVal     []bool            `json:"boolVal"`
	StringVal   []json.RawMessage `json:"stringVal"`
	DoubleVal   []json.RawMessage `json:"doubleVal"`
	Content     json.RawMessage   `json:"tensorContent"`
}

// hasInlineValues reports whether a Const's tensor carries its values in
// the graph rather than in the weights manifest.
func (t *tensorDef) hasInlineValues() bool {
	return len(t.FloatVal)+len(t.IntVal)+len(t.Int64Val)+len(t.BoolVal)+len(t.StringVal)+len(t.DoubleVal) > 0 ||
		(len(t.Content) > 0 && string(t.Content) != `""` && string(t.Content) != "null")
}

// dataType is TensorFlow's DataType enum.
type dataType int

// The TensorFlow dtypes the converter maps.
const (
	dtFloat dataType = 1
	dtInt32 dataType = 3
	dtInt64 dataType = 9
	dtBool  dataType = 10
)

var dtypeNames = map[string]dataType{"DT_FLOAT": dtFloat, "DT_INT32": dtInt32, "DT_INT64": dtInt64, "DT_BOOL": dtBool}

func (d dataType) String() string {
	switch d {
	case dtFloat:
		return "float32"
	case dtInt32:
		return "int32"
	case dtInt64:
		return "int64"
	case dtBool:
		return "bool"
	}
	return "DataType(" + strconv.Itoa(int(d)) + ")"
}

// parseInt64 reads an int64 in protobuf JSON: a string or a number.
func parseInt64(raw json.RawMessage) (int64, error) {
	s := strings.Trim(string(raw), `"`)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad int64 %s", raw)
	}
	return v, nil
}

// parseDType reads a DataType: its number or its enum name.
func parseDType(raw json.RawMessage) (dataType, error) {
	var name string
	if err := json.Unmarshal(raw, &name); err == nil {
		if d, ok := dtypeNames[name]; ok {
			return d, nil
		}
		if v, err := strconv.Atoi(name); err == nil {
			return dataType(v), nil
		}
		return 0, fmt.Errorf("unknown dtype %q", name)
	}
	var v int
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, fmt.Errorf("bad dtype %s", raw)
	}
	return dataType(v), nil
}

// parseBytes reads a bytes field: base64 text or an array of byte values.
func parseBytes(raw json.RawMessage) ([]byte, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return base64.StdEncoding.DecodeString(s)
	}
	var b []byte
	var ints []int
	if err := json.Unmarshal(raw, &ints); err != nil {
		return nil, fmt.Errorf("bad bytes %s", raw)
	}
	for _, v := range ints {
		if v < 0 || v > 255 {
			return nil, fmt.Errorf("bad byte %d", v)
		}
		b = append(b, byte(v))
	}
	return b, nil
}

// dims returns the shape's dimensions (-1 for unknown ones), or nil and
// false for an unknown rank.
func (s *shapeDef) dims() ([]int64, bool, error) {
	if s == nil || s.UnknownRank {
		return nil, false, nil
	}
	out := make([]int64, len(s.Dim))
	for i, d := range s.Dim {
		if len(d.Size) == 0 {
			out[i] = 0 // protobuf JSON omits a zero size
			continue
		}
		v, err := parseInt64(d.Size)
		if err != nil {
			return nil, false, err
		}
		if v < -1 {
			v = -1
		}
		out[i] = v
	}
	return out, true, nil
}

// attrs gives typed access to a node's attributes.
type attrs struct {
	node *nodeDef
}

func (a attrs) int(name string, def int64) (int64, error) {
	v, ok := a.node.Attr[name]
	if !ok || v.I == nil {
		return def, nil
	}
	return parseInt64(v.I)
}

func (a attrs) bool(name string, def bool) bool {
	v, ok := a.node.Attr[name]
	if !ok || v.B == nil {
		return def
	}
	return *v.B
}

func (a attrs) string(name, def string) (string, error) {
	v, ok := a.node.Attr[name]
	if !ok || v.S == nil {
		return def, nil
	}
	b, err := parseBytes(v.S)
	if err != nil {
		return "", fmt.Errorf("attribute %s: %w", name, err)
	}
	return string(b), nil
}

func (a attrs) dtype(name string) (dataType, bool, error) {
	v, ok := a.node.Attr[name]
	if !ok || v.Type == nil {
		return 0, false, nil
	}
	d, err := parseDType(v.Type)
	return d, true, err
}

func (a attrs) ints(name string) ([]int64, error) {
	v, ok := a.node.Attr[name]
	if !ok || v.List == nil {
		return nil, nil
	}
	out := make([]int64, len(v.List.I))
	for i, raw := range v.List.I {
		x, err := parseInt64(raw)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		out[i] = x
	}
	return out, nil
}
