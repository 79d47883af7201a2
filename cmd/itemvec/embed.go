package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/workers"
)

// localBucket is the pseudo bucket under which itemvec embed hands a local
// image file to the worker's pipeline: s3://local/<absolute path>.
const localBucket = "local"

func newEmbedCmd() *cobra.Command {
	var (
		sf       s3Flags
		mf       modelFlags
		image    string
		text     string
		tokens   bool
		behavior string
	)
	cmd := &cobra.Command{
		Use:   "embed [--image PATH|s3://bucket/key] [--text TEXT] [--behavior JSON]",
		Short: "Print what the worker would store for one product (image, text, behaviour) as JSON",
		Long: `embed runs one product through exactly the worker's pipeline (fetch, decode and
preparation, the image and text micro-batchers, fusion) without Redis, and
prints as JSON what the worker would store: the fused vector, its blocks,
modalities, spec and content hash, the layout of the space (block offsets,
dims, models, behaviour feature names), and the image and text models' own
outputs. A debugging tool.

--image is a local file (read through the same pipeline as an S3 object, under
the pseudo URI s3://local/<absolute path>) or an s3:// URI (read with the
--s3-* flags and the standard AWS credential chain). --text is embedded as the
product's title by the text model (default the built-in USE Lite; not with
--text-model none); --tokens also prints its token ids and pieces.
--behavior '{"price":12,"rating":4.5,"devices":{...}}' adds behaviour counters.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if image == "" && text == "" && behavior == "" {
				return errors.New("give --image, --text, --behavior or several")
			}
			if text != "" && mf.textModel == workers.TextModelNone {
				return errors.New("--text needs a text model, not --text-model none")
			}
			it := workers.Item{ID: "embed"}
			if behavior != "" {
				it.Behavior = &fusion.Behavior{}
				if err := json.Unmarshal([]byte(behavior), it.Behavior); err != nil {
					return fmt.Errorf("--behavior: %w", err)
				}
			}
			if text != "" {
				it.Text = &workers.Text{Title: text}
			}
			cfg, err := mf.config()
			if err != nil {
				return err
			}
			cfg.S3 = sf.config()
			if image != "" {
				uri, objects, err := embedSource(ctx, image, cfg.S3)
				if err != nil {
					return err
				}
				it.Images, cfg.Objects = []string{uri}, objects
			}
			w, err := workers.New(ctx, cfg)
			if err != nil {
				return err
			}
			defer w.Close()
			e, err := w.Embed(ctx, it)
			if err != nil {
				return err
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(embedOutput(w, e, image, tokens))
		},
	}
	sf.add(cmd)
	mf.add(cmd)
	cmd.Flags().StringVar(&image, "image", "", "image file or s3:// URI")
	cmd.Flags().StringVar(&text, "text", "", "product text (embedded as the title field)")
	cmd.Flags().BoolVar(&tokens, "tokens", false, "with --text: also print the token ids and pieces")
	cmd.Flags().StringVar(&behavior, "behavior", "", "behaviour counters as JSON (optional)")
	return cmd
}

// embedSource returns the URI the pipeline fetches for image and the
// reader that serves it: S3 for an s3:// URI, the local file system for a
// path (as s3://local/<absolute path>).
func embedSource(ctx context.Context, image string, s3 storage.S3Config) (string, workers.ObjectReader, error) {
	if strings.HasPrefix(image, "s3://") {
		r, err := storage.NewS3Reader(ctx, s3)
		return image, r, err
	}
	abs, err := filepath.Abs(image)
	if err != nil {
		return "", nil, err
	}
	return "s3://" + localBucket + abs, localFiles{}, nil
}

// localFiles reads s3://local/<path> from the file system: itemvec embed's
// way of handing a local file to the worker's fetch stage.
type localFiles struct{}

func (localFiles) Get(_ context.Context, uri string) ([]byte, error) {
	const op = "itemvec embed: read local file"
	path := strings.TrimPrefix(uri, "s3://"+localBucket)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, &itemvec.Error{Kind: itemvec.KindNotFound, Op: op, Code: storage.CodeObjectMissing, Err: err}
	case err != nil:
		return nil, itemvec.E(itemvec.KindBadInput, op, err)
	}
	return data, nil
}

// embedOutput is the JSON itemvec embed prints.
func embedOutput(w *workers.Worker, e *workers.Embedding, image string, tokens bool) map[string]any {
	v, layout := e.Vector, w.Layout()
	blocks := make([]map[string]any, len(layout.Blocks))
	for i, b := range layout.Blocks {
		blocks[i] = map[string]any{"name": b.Name, "offset": b.Offset, "dim": b.Dim, "model": b.Model}
	}
	out := map[string]any{
		"device": string(w.Device()), "fusion_spec": layout.Spec, "space": layout.Space,
		"spec_hash": v.SpecHash, "content_hash": v.ContentHash,
		"layout":     map[string]any{"dim": layout.Dim, "blocks": blocks, "behavior_features": layout.BehaviorFeatures},
		"modalities": v.Modalities, "fused_dim": len(v.Vector), "fused": v.Vector, "blocks": v.Blocks,
	}
	if e.Image != nil {
		out["image"] = map[string]any{"source": image, "uri": e.ImageURI, "model": w.ImageModel(), "dim": len(e.Image), "vector": e.Image}
	}
	if t := e.Text; t.Text != "" {
		tout := map[string]any{"text": t.Text, "model": w.TextModel(), "dim": len(t.Vector), "vector": t.Vector,
			"token_count": len(t.Tokens.IDs)}
		if t.LeftOut != "" {
			tout["left_out"] = t.LeftOut
		}
		if tokens {
			tout["ids"], tout["tokens"] = t.Tokens.IDs, w.TextPieces(t.Tokens)
		}
		out["text"] = tout
	}
	return out
}
