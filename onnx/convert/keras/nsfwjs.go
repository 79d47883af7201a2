package keras

import (
	"encoding/json"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/itemvec/itemvec"
)

// The files of an nsfwjs model folder (dist/models/mobilenet_v2 in the npm
// package).
const (
	NSFWJSModelFile   = "model.min.js"
	NSFWJSWeightsFile = "group1-shard1of1.min.js"
)

// ConvertNSFWJS converts nsfwjs's bundled MobileNetV2 to ONNX: modelJS is
// model.min.js, weightsJS is group1-shard1of1.min.js. It returns the
// serialised ONNX model (deterministic: the same input gives the same bytes)
// and a report of what was converted.
func ConvertNSFWJS(modelJS, weightsJS []byte) ([]byte, *Report, error) {
	mf, err := parseModelJS(modelJS)
	if err != nil {
		return nil, nil, err
	}
	var paths []string
	for _, g := range mf.WeightsManifest {
		paths = append(paths, g.Paths...)
	}
	if len(paths) != 1 {
		return nil, nil, unsupported("read manifest", "", "weights in %d shards %v (only one)", len(paths), paths)
	}
	data, err := parseWeightsJS(weightsJS)
	if err != nil {
		return nil, nil, err
	}
	model, report, err := convertModel(mf, data)
	if err != nil {
		return nil, nil, err
	}
	out, err := proto.MarshalOptions{Deterministic: true}.Marshal(model)
	if err != nil {
		return nil, nil, itemvec.Errorf(itemvec.KindInternal, errOp, "keras: marshal ONNX model: %w", err)
	}
	return out, report, nil
}

// ConvertDir is ConvertNSFWJS on the two files in dir.
func ConvertDir(dir string) ([]byte, *Report, error) {
	modelJS, err := os.ReadFile(filepath.Join(dir, NSFWJSModelFile))
	if err != nil {
		return nil, nil, fileError(err)
	}
	weightsJS, err := os.ReadFile(filepath.Join(dir, NSFWJSWeightsFile))
	if err != nil {
		return nil, nil, fileError(err)
	}
	return ConvertNSFWJS(modelJS, weightsJS)
}

// parseModelJS extracts the tfjs model.json object exported by model.min.js.
func parseModelJS(src []byte) (*modelFile, error) {
	const op = "parse " + NSFWJSModelFile
	lit, err := exportedLiteral(src)
	if err != nil {
		return nil, malformed(op, "", "%w", err)
	}
	var mf modelFile
	if err := json.Unmarshal(lit, &mf); err != nil {
		return nil, malformed(op, "", "model object: %w", err)
	}
	if mf.ModelTopology == nil || len(mf.WeightsManifest) == 0 {
		return nil, malformed(op, "", "exported object has no modelTopology or weightsManifest")
	}
	if mf.Format != "" && mf.Format != "layers-model" {
		return nil, unsupported(op, "", "format %q (only layers-model)", mf.Format)
	}
	return &mf, nil
}

// parseWeightsJS extracts and decodes the base64 weight shard exported by a
// group1-shardNofM.min.js file.
func parseWeightsJS(src []byte) ([]byte, error) {
	const op = "parse " + NSFWJSWeightsFile
	lit, err := exportedLiteral(src)
	if err != nil {
		return nil, malformed(op, "", "%w", err)
	}
	var b64 string
	if err := json.Unmarshal(lit, &b64); err != nil {
		return nil, malformed(op, "", "exported value is not a string: %w", err)
	}
	data, err := decodeBase64(b64)
	if err != nil {
		return nil, malformed(op, "", "base64: %w", err)
	}
	return data, nil
}
