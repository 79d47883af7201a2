package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
)

func newSpacesCmd() *cobra.Command {
	var (
		rf      redisFlags
		jsonOut bool
	)
	cmd := &cobra.Command{
		Use:   "spaces",
		Short: "List the spaces in Redis with their item, failure and warning counts; show or promote one",
		Long: `spaces lists every space a worker registered (itemvec:<space>:meta) and the current
one: its items, failure records, items published with warnings, when it was
created, its spec, models and vector encoding. * marks the current space.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, closeStore, err := rf.store()
			if err != nil {
				return err
			}
			defer closeStore()
			spaces, err := store.Spaces(cmd.Context())
			if err != nil {
				return err
			}
			if jsonOut {
				enc := json.NewEncoder(cmd.OutOrStdout())
				for _, s := range spaces {
					out := map[string]any{"space": s.Name, "items": s.Items, "failed": s.Failed, "warnings": s.Warnings, "current": s.Current}
					if m := s.Meta; m != nil {
						out["created_at"], out["spec"], out["image_model"], out["text_model"], out["encoding"], out["dim"] =
							m.CreatedAt.UTC(), m.SpecID, m.ImageModel, m.TextModel, m.Encoding, m.Dim
					}
					if err := enc.Encode(out); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "\tSPACE\tITEMS\tFAILED\tWARNINGS\tCREATED\tSPEC\tIMAGE\tTEXT\tENCODING")
			for _, s := range spaces {
				mark := ""
				if s.Current {
					mark = "*"
				}
				created, spec, img, text, enc := "-", "-", "-", "-", "-"
				if m := s.Meta; m != nil {
					created, spec, img, text, enc = m.CreatedAt.UTC().Format(time.DateTime), m.SpecID, m.ImageModel, m.TextModel, m.Encoding
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", mark, s.Name, s.Items, s.Failed, s.Warnings, created, spec, img, text, enc)
			}
			return tw.Flush()
		},
	}
	rf.add(cmd)
	cmd.Flags().BoolVar(&jsonOut, "json", false, "JSON lines instead of a table")
	cmd.AddCommand(newSpacesShowCmd(), newPromoteCmd("promote SPACE"), newSpacesDropCmd(), newSpacesMigrateCmd())
	return cmd
}

func newSpacesShowCmd() *cobra.Command {
	var rf redisFlags
	cmd := &cobra.Command{
		Use:   "show SPACE",
		Short: "Print a space's meta (spec, layout of vec, models, encoding) as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, closeStore, err := rf.store()
			if err != nil {
				return err
			}
			defer closeStore()
			m, err := store.Space(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if m == nil {
				return itemvec.Errorf(itemvec.KindNotFound, "itemvec spaces show", "space %q has no meta: no worker registered it (itemvec spaces lists the spaces)", args[0])
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(m)
		},
	}
	rf.add(cmd)
	return cmd
}

// newPromoteCmd is itemvec spaces promote (and its older name, itemvec
// vectors promote).
func newPromoteCmd(use string) *cobra.Command {
	var (
		rf    redisFlags
		force bool
	)
	cmd := &cobra.Command{
		Use:   use,
		Short: "Make SPACE current (itemvec:current) and announce it on itemvec:promotions",
		Long: `promote points itemvec:current at SPACE and appends an entry (space, previous,
items, at) to the stream itemvec:promotions, which device backends follow to
switch spaces. It refuses a space no worker registered, and one holding fewer
items than the current space (its backfill is not done) unless --force.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, closeStore, err := rf.store()
			if err != nil {
				return err
			}
			defer closeStore()
			res, err := store.Promote(cmd.Context(), args[0], storage.PromoteOptions{Force: force})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "itemvec:current: %q (%d items) -> %q (%d items)\n", res.Previous, res.PreviousItems, res.Space, res.Items)
			return nil
		},
	}
	rf.add(cmd)
	cmd.Flags().BoolVar(&force, "force", false, "promote even when the space holds fewer items than the current one")
	return cmd
}

func newSpacesDropCmd() *cobra.Command {
	var (
		rf    redisFlags
		batch int
		yes   bool
	)
	cmd := &cobra.Command{
		Use:   "drop SPACE --yes",
		Short: "Delete every key of a space that is not current, in bounded batches",
		Long: `drop deletes a space's items, failure records, streams and meta in rounds of
--batch keys (UNLINK: Redis frees the memory in the background), the meta last, so
an interrupted drop can be run again. It refuses the current space. Without --yes
it only says what it would delete.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, closeStore, err := rf.store()
			if err != nil {
				return err
			}
			defer closeStore()
			space := args[0]
			if !yes {
				// The preview counts keys rather than reading the index, so
				// that a space written before the index is counted too.
				n, err := store.DropSpace(cmd.Context(), space, storage.DropOptions{DryRun: true})
				if err != nil {
					return err
				}
				if n == 0 {
					return itemvec.Errorf(itemvec.KindNotFound, "itemvec spaces drop", "space %q has no keys in Redis (itemvec spaces lists the spaces)", space)
				}
				what := ""
				spaces, err := store.Spaces(cmd.Context())
				if err != nil {
					return err
				}
				for _, s := range spaces {
					if s.Name == space {
						what = fmt.Sprintf(" (%d indexed items, %d failure records, its streams and meta)", s.Items, s.Failed)
					}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "would delete %d keys of space %s%s; run again with --yes\n", n, space, what)
				return exitError{code: 1}
			}
			n, err := store.DropSpace(cmd.Context(), space, storage.DropOptions{Batch: batch, Progress: func(d int64) {
				fmt.Fprintf(cmd.ErrOrStderr(), "dropping %s: %d keys deleted\n", space, d)
			}})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "dropped space %s: %d keys deleted\n", space, n)
			return nil
		},
	}
	rf.add(cmd)
	cmd.Flags().IntVar(&batch, "batch", 500, "keys deleted per round")
	cmd.Flags().BoolVar(&yes, "yes", false, "really delete")
	return cmd
}

func newSpacesMigrateCmd() *cobra.Command {
	var rf redisFlags
	cmd := &cobra.Command{
		Use:   "migrate SPACE",
		Short: "Rename a space's keys written before hash tags to today's layout, and index its items",
		Long: `migrate renames the item and failure keys of SPACE written by versions before
keys had Redis Cluster hash tags (itemvec:<space>:item:<id>) to today's names
(itemvec:<space>:item:{<id>}) and adds the items to the space's item index, so
that itemvec spaces counts them and backfill and promote see them. Stop the
space's older workers first. It is idempotent.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, closeStore, err := rf.store()
			if err != nil {
				return err
			}
			defer closeStore()
			n, err := store.MigrateKeys(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "space %s: %d keys moved to the tagged layout\n", args[0], n)
			return nil
		},
	}
	rf.add(cmd)
	return cmd
}
