package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/extract"
	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/storage"
)

func newEmbedCmd() *cobra.Command {
	var (
		sf       s3Flags
		ef       encoderFlags
		image    string
		behavior string
	)
	cmd := &cobra.Command{
		Use:   "embed --image PATH|s3://bucket/key",
		Short: "Print the image embedding (and fused vector) of one image as JSON",
		Long: `embed runs one image through the same preparation and model as the worker and
prints {"model", "dim", "vector", "fused"} as JSON: a debugging tool. With
--behavior '{"price":...}' the fused vector uses those counters too.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var data []byte
			var err error
			if strings.HasPrefix(image, "s3://") {
				r, rerr := storage.NewS3Reader(ctx, sf.config())
				if rerr != nil {
					return rerr
				}
				data, err = r.Get(ctx, image)
			} else {
				data, err = os.ReadFile(image)
			}
			if err != nil {
				return err
			}
			var b *fusion.Behavior
			if behavior != "" {
				b = &fusion.Behavior{}
				if err := json.Unmarshal([]byte(behavior), b); err != nil {
					return fmt.Errorf("--behavior: %w", err)
				}
			}
			ef.maxBatch = 1
			enc, fs, err := ef.open(ctx)
			if err != nil {
				return err
			}
			defer enc.Close()
			tensor, err := extract.PrepareImage(data, enc.Spec.Image.WithDefaults(), ef.limits())
			if err != nil {
				return err
			}
			vec, err := enc.Session.Run(ctx, tensor, 1)
			if err != nil {
				return err
			}
			fused, err := fusion.Fuse(fs, fusion.Inputs{Image: vec, Behavior: b})
			if err != nil {
				return err
			}
			out := map[string]any{
				"image": image, "model": enc.Spec.ID, "device": string(enc.Session.Device()),
				"dim": len(vec), "vector": vec,
				"fusion_spec": fs.ID, "space": fs.Space(), "modalities": fused.Modalities,
				"fused_dim": len(fused.Values), "fused": fused.Values,
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(out)
		},
	}
	sf.add(cmd)
	ef.add(cmd)
	cmd.Flags().StringVar(&image, "image", "", "image file or s3:// URI")
	cmd.Flags().StringVar(&behavior, "behavior", "", "behaviour counters as JSON (optional)")
	_ = cmd.MarkFlagRequired("image")
	return cmd
}
