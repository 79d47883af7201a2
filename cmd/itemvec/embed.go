package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/extract"
	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/workers"
)

func newEmbedCmd() *cobra.Command {
	var (
		sf       s3Flags
		ef       encoderFlags
		image    string
		text     string
		tokens   bool
		behavior string
	)
	cmd := &cobra.Command{
		Use:   "embed [--image PATH|s3://bucket/key] [--text TEXT]",
		Short: "Print the embeddings (and fused vector) of one image and/or text as JSON",
		Long: `embed runs one image and/or one text through the same preparation and models as
the worker and prints them as JSON: a debugging tool. --text needs a text
model (--text-model spec.json); with --tokens the tokens are printed too.
With --behavior '{"price":...}' the fused vector uses those counters too.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if image == "" && text == "" {
				return errors.New("give --image, --text or both")
			}
			var b *fusion.Behavior
			if behavior != "" {
				b = &fusion.Behavior{}
				if err := json.Unmarshal([]byte(behavior), b); err != nil {
					return fmt.Errorf("--behavior: %w", err)
				}
			}
			if text != "" && ef.textModel == "none" {
				return errors.New("--text needs a text model, not --text-model none")
			}
			ef.maxBatch = 1
			m, err := ef.open(ctx)
			if err != nil {
				return err
			}
			defer m.Close()
			out := map[string]any{"device": string(m.image.Session.Device()),
				"fusion_spec": m.fusion.ID, "space": m.fusion.Space()}
			var in fusion.Inputs
			in.Behavior = b
			if image != "" {
				data, err := readImage(cmd, sf, image)
				if err != nil {
					return err
				}
				tensor, err := extract.PrepareImage(data, m.image.Spec.Image.WithDefaults(), ef.limits())
				if err != nil {
					return err
				}
				if in.Image, err = m.image.Session.Run(ctx, tensor, 1); err != nil {
					return err
				}
				out["image"] = map[string]any{"source": image, "model": m.image.Spec.ID, "dim": len(in.Image), "vector": in.Image}
			}
			if text != "" {
				t := &workers.Text{Title: text}
				joined := m.text.Text(t)
				tin, err := m.text.Tokenizer.Tokenize(joined)
				if err != nil {
					return err
				}
				if in.Text, err = m.text.EmbedText(ctx, t); err != nil {
					return err
				}
				tout := map[string]any{"text": joined, "model": m.text.Spec.ID, "dim": len(in.Text), "vector": in.Text,
					"token_count": len(tin.IDs)}
				if tokens {
					tout["ids"] = tin.IDs
					if tt, ok := m.text.Tokenizer.(interface {
						Tokens(string) ([]string, error)
					}); ok {
						if toks, err := tt.Tokens(joined); err == nil {
							tout["tokens"] = toks
						}
					}
				}
				out["text"] = tout
			}
			fused, err := fusion.Fuse(m.fusion, in)
			if err != nil {
				return err
			}
			out["modalities"] = fused.Modalities
			out["fused_dim"] = len(fused.Values)
			out["fused"] = fused.Values
			return json.NewEncoder(cmd.OutOrStdout()).Encode(out)
		},
	}
	sf.add(cmd)
	ef.add(cmd)
	cmd.Flags().StringVar(&image, "image", "", "image file or s3:// URI")
	cmd.Flags().StringVar(&text, "text", "", "product text (embedded as the title field)")
	cmd.Flags().BoolVar(&tokens, "tokens", false, "with --text: also print the token ids and tokens")
	cmd.Flags().StringVar(&behavior, "behavior", "", "behaviour counters as JSON (optional)")
	return cmd
}

func readImage(cmd *cobra.Command, sf s3Flags, image string) ([]byte, error) {
	if strings.HasPrefix(image, "s3://") {
		r, err := storage.NewS3Reader(cmd.Context(), sf.config())
		if err != nil {
			return nil, err
		}
		return r.Get(cmd.Context(), image)
	}
	return os.ReadFile(image)
}
