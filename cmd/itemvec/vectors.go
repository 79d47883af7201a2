package main

import (
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/storage"
)

func newVectorsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vectors",
		Short: "Read published vectors and failures from Redis; promote a space",
	}
	cmd.AddCommand(newVectorsGetCmd(), newVectorsFailuresCmd(), newVectorsPromoteCmd())
	return cmd
}

// storeIn connects to Redis and resolves space: the one given, else the
// current one (itemvec:current).
func (f *redisFlags) storeIn(cmd *cobra.Command, space string) (*storage.VectorStore, string, func() error, error) {
	rdb, store, space, err := f.clientIn(cmd, space)
	if err != nil {
		return nil, "", nil, err
	}
	return store, space, rdb.Close, nil
}

// clientIn is storeIn that also returns the store's client, for commands
// that enqueue too; closing the client closes both.
func (f *redisFlags) clientIn(cmd *cobra.Command, space string) (redis.UniversalClient, *storage.VectorStore, string, error) {
	rdb, err := f.client()
	if err != nil {
		return nil, nil, "", err
	}
	store := storage.NewVectorStore(rdb, storage.StoreConfig{})
	if space == "" {
		if space, err = store.Current(cmd.Context()); err == nil && space == "" {
			err = fmt.Errorf("itemvec:current is not set; pass --space")
		}
	}
	if err != nil {
		rdb.Close()
		return nil, nil, "", err
	}
	return rdb, store, space, nil
}

func newVectorsGetCmd() *cobra.Command {
	var (
		rf     redisFlags
		space  string
		blocks bool
	)
	cmd := &cobra.Command{
		Use:   "get ID...",
		Short: "Print the vectors of items as JSON lines (exit 3 if any is missing)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, ids []string) error {
			store, space, closeStore, err := rf.storeIn(cmd, space)
			if err != nil {
				return err
			}
			defer closeStore()
			got, err := store.Get(cmd.Context(), space, ids...)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			missing := 0
			for i, v := range got {
				if v == nil {
					missing++
					if err := enc.Encode(map[string]any{"id": ids[i], "space": space, "error": "not found"}); err != nil {
						return err
					}
					continue
				}
				out := map[string]any{
					"id": v.ID, "space": space, "dim": len(v.Vector), "spec": v.SpecID, "spec_hash": v.SpecHash,
					"content_hash": v.ContentHash, "updated_at": v.UpdatedAt.UTC(), "modalities": v.Modalities,
					"vector": v.Vector,
				}
				if blocks {
					out["blocks"] = v.Blocks
				}
				if len(v.Warnings) > 0 {
					out["warnings"] = v.Warnings
				}
				if err := enc.Encode(out); err != nil {
					return err
				}
			}
			if missing > 0 {
				return exitError{code: 3}
			}
			return nil
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVar(&space, "space", "", "key space (default: itemvec:current)")
	cmd.Flags().BoolVar(&blocks, "blocks", false, "also print the per-modality blocks")
	return cmd
}

func newVectorsFailuresCmd() *cobra.Command {
	var (
		rf    redisFlags
		space string
		limit int
	)
	cmd := &cobra.Command{
		Use:   "failures",
		Short: "Print items that failed, newest first, as JSON lines with their reasons",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, space, closeStore, err := rf.storeIn(cmd, space)
			if err != nil {
				return err
			}
			defer closeStore()
			fails, err := store.Failures(cmd.Context(), space, limit)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			for _, f := range fails {
				if err := enc.Encode(map[string]any{"id": f.ID, "kind": f.Kind, "reason": f.Reason,
					"uri": f.URI, "task": f.Task, "attempt": f.Attempt, "at": f.At.UTC()}); err != nil {
					return err
				}
			}
			return nil
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVar(&space, "space", "", "key space (default: itemvec:current)")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many")
	return cmd
}

func newVectorsPromoteCmd() *cobra.Command { return newPromoteCmd("promote SPACE") }
