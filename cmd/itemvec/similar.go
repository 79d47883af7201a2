package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/storage/reader"
	"github.com/itemvec/itemvec/workers/recs"
)

func newSimilarCmd() *cobra.Command {
	var (
		rf      redisFlags
		space   string
		k       int
		exact   bool
		jsonOut bool
	)
	cmd := &cobra.Command{
		Use:   "similar ID...",
		Short: "Print the items most similar to each ID: its precomputed list, else an exact scan of the space",
		Long: `similar prints the K items closest to each ID by the dot product of their unit
vectors (cosine), best first, with titles where the space holds them. It reads
the item's list from itemvec neighbors build when one of at least K entries
exists; otherwise, or with --exact, it scans the whole space once for all IDs
(ZSCAN of the id index, pipelined HMGET in batches of 512) and says how many
items per second it scanned.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, ids []string) error {
			rdb, _, space, err := rf.clientIn(cmd, space)
			if err != nil {
				return err
			}
			defer rdb.Close()
			rd := reader.New(rdb)
			o := reader.SimilarOptions{K: k, Exact: exact, Titles: true}
			results := make([][]reader.Result, len(ids))
			source := "neighbors"
			if exact {
				res, st, err := rd.SimilarExact(cmd.Context(), space, ids, o)
				if err != nil {
					return err
				}
				results, source = res, "exact"
				fmt.Fprintf(cmd.ErrOrStderr(), "scanned %d items in %s: %.0f items/s\n", st.Items, st.Elapsed.Round(1e6), st.ItemsPerSecond())
			} else {
				for i, id := range ids {
					if results[i], err = rd.Similar(cmd.Context(), space, id, o); err != nil {
						return err
					}
				}
			}
			return printResults(cmd.OutOrStdout(), jsonOut, space, source, ids, results)
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVar(&space, "space", "", "key space (default: itemvec:current)")
	cmd.Flags().IntVar(&k, "k", 10, "number of similar items per ID")
	cmd.Flags().BoolVar(&exact, "exact", false, "scan the space even where a precomputed list exists")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "JSON lines (one per ID) instead of a table")
	return cmd
}

// printResults prints ranked results per query, as JSON lines or tables.
func printResults(w io.Writer, jsonOut bool, space, source string, queries []string, results [][]reader.Result) error {
	if jsonOut {
		enc := json.NewEncoder(w)
		for i, q := range queries {
			if err := enc.Encode(map[string]any{"query": q, "space": space, "source": source, "results": results[i]}); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, q := range queries {
		fmt.Fprintf(tw, "%s (%s, %s)\n", q, space, source)
		fmt.Fprintln(tw, "RANK\tID\tSCORE\tCOSINE\tTITLE")
		for r, x := range results[i] {
			fmt.Fprintf(tw, "%d\t%s\t%.4f\t%.4f\t%s\n", r+1, x.ID, x.Score, x.Cosine, x.Title)
		}
		if i+1 < len(queries) {
			fmt.Fprintln(tw)
		}
	}
	return tw.Flush()
}

func newNeighborsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "neighbors",
		Short: "Precompute every item's similar items for device backends (one Redis read per product page)",
	}
	cmd.AddCommand(newNeighborsBuildCmd())
	return cmd
}

func newNeighborsBuildCmd() *cobra.Command {
	var (
		rf         redisFlags
		space      string
		cfg        recs.NeighborsConfig
		jsonOut    bool
		exactLimit int
	)
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Compute and publish the top-K similar items of every item of a space (incremental by default)",
		Long: `neighbors build writes, for every item of the space, the ZSET
itemvec:<space>:similar:{<id>} of its K most similar items (members: ids, scores:
cosine), and records the build in itemvec:<space>:neighbors.

Full build: exact (all pairs) up to --exact-limit items, an HNSW index above
(--method forces one); an HNSW build reports its recall@10 against exact search
on a sample. Incremental build (the default once a build exists): the items
published since the last build (read from the update stream) get exact lists,
and every other list is updated exactly with respect to them; after an exact
build the lists stay exactly the top K. A trimmed update stream, another --k,
more than a tenth of the space changed, or --full, give a full build.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, space, closeStore, err := rf.storeIn(cmd, space)
			if err != nil {
				return err
			}
			defer closeStore()
			cfg.Space, cfg.ExactLimit = space, exactLimit
			cfg.Logger = slog.Default()
			rep, err := recs.BuildNeighbors(cmd.Context(), store, cfg)
			if err != nil {
				return err
			}
			if jsonOut {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{
					"space": space, "items": rep.Items, "full": rep.Full, "method": rep.Method, "k": cfg.K,
					"changed": rep.Changed, "updated": rep.Updated, "rescanned": rep.Rescanned, "published": rep.Published,
					"recall_at_10": rep.Recall, "load_s": rep.Load.Seconds(), "build_s": rep.Build.Seconds(),
					"publish_s": rep.Publish.Seconds(), "stream_id": rep.StreamID})
			}
			kind := "incremental"
			if rep.Full {
				kind = "full"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s %s build of %d items: %d lists published (%d changed items, %d other lists updated, %d rescanned)\n",
				space, kind, rep.Method, rep.Items, rep.Published, rep.Changed, rep.Updated, rep.Rescanned)
			if rep.Full && rep.Method == recs.MethodHNSW {
				fmt.Fprintf(cmd.OutOrStdout(), "recall@10 against exact search on a sample: %.4f\n", rep.Recall)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "load %s, build %s, publish %s\n", rep.Load.Round(1e6), rep.Build.Round(1e6), rep.Publish.Round(1e6))
			return nil
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVar(&space, "space", "", "key space (default: itemvec:current)")
	cmd.Flags().IntVar(&cfg.K, "k", 20, "list length")
	cmd.Flags().StringVar(&cfg.Method, "method", "auto", "full-build method: auto, exact or hnsw")
	cmd.Flags().IntVar(&exactLimit, "exact-limit", 20000, "auto: exact up to this many items, HNSW above")
	cmd.Flags().BoolVar(&cfg.Full, "full", false, "rebuild every list")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the report as JSON")
	return cmd
}
