package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/onnx/keras"
)

func newModelsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "models", Short: "Prepare model files"}
	var dir, out string
	prepare := &cobra.Command{
		Use:   "prepare --nsfwjs-dir DIR --out FILE",
		Short: "Convert the nsfwjs Keras MobileNetV2 backbone (ImageNet) to ONNX",
		Long: `prepare reads model.min.js and group1-shard1of1.min.js of npm nsfwjs@4.4.0
(dist/models/mobilenet_v2), dequantises the weights and writes an ONNX graph of
the frozen ImageNet MobileNetV2 backbone up to global average pooling:
input "input" float32 [batch,3,224,224] RGB (x/127.5-1), output "features"
float32 [batch,1280]. The output is byte-for-byte deterministic; its sha256 is
pinned in onnx/specs/mobilenetv2-nsfwjs.json.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			model, rep, err := keras.ConvertDir(dir)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			tmp := out + ".tmp"
			if err := os.WriteFile(tmp, model, 0o644); err != nil {
				return err
			}
			if err := os.Rename(tmp, out); err != nil {
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
	cmd.AddCommand(prepare)
	return cmd
}
