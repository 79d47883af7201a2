package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/workers"
)

func newEnqueueCmd() *cobra.Command {
	var (
		rf          redisFlags
		tf          taskFlags
		sp          specFlags
		space       string
		force       bool
		manifest    string
		queue       string
		dedupWindow time.Duration
		strict      bool
		maxLine     int
	)
	cmd := &cobra.Command{
		Use:   "enqueue --manifest FILE [--space SPACE | model flags] [--force]",
		Short: "Enqueue a JSON-lines manifest of products as itemvec:embed tasks for one space",
		Long: `enqueue reads one product per line (JSON lines; '-' reads stdin), checks each line and
enqueues the valid ones in tasks of --batch items, for one space: only workers of
that space take them (each space has its own queue, named after it).

The space is --space, or the one a worker with the same --image-model,
--text-model and --fusion-spec writes (the default: the built-in v2 space). A
--space that no configuration here produces and no worker has registered in
Redis (itemvec spaces) is refused.

Task ids are derived from the space and the content, so enqueueing the same
manifest again for the same space (within --dedup-window) does not create
duplicate work, while enqueueing it for another space (a backfill) does. A task
that was archived (it failed for good, e.g. during an S3 outage) is run again.
--force gives every task a new id, for a deliberate re-run; items whose vector
is already published with the same content are still skipped by the workers.

Every line must be exactly one JSON object of the fields below, in UTF-8 (a UTF-8
byte order mark is skipped; a UTF-16 manifest is refused), no longer than
--max-line-bytes. Blank lines and lines starting with # are skipped. Invalid lines
are listed and never enqueued. An id that an earlier line already had is a
duplicate: the first line with an id is enqueued, later ones are listed and
rejected. The summary accounts for every line read.

With --strict the whole manifest is checked first, and nothing is enqueued unless
every line is valid and every id unique.

When Redis fails, a task is tried again a few times with backoff; if it still
fails, enqueue stops at that line without reading the rest. Running the same
command again is then safe: tasks already enqueued are recognised.

Exit status: 2 when any line was invalid or a duplicate, or the manifest was
refused as a whole (--strict, UTF-16) and nothing was enqueued; 1 on other errors.

A line: {"id":"sku-1","images":["s3://bucket/key.jpg"],
         "text":{"title":"...","description":"..."},
         "behavior":{"price":199.0,"rating":4.6,
                     "devices":{"pc":{"views":1200,"clicks":80,"carts":12,"orders":5}}}}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var in io.Reader = os.Stdin
			if manifest != "-" {
				f, err := os.Open(manifest)
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			rdb, err := rf.client()
			if err != nil {
				return err
			}
			defer rdb.Close()
			target, err := targetSpace(cmd, rdb, space, &sp)
			if err != nil {
				return err
			}
			cfg := workers.EnqueueConfig{
				Space: target, Batch: tf.batch, Queue: queue, MaxRetry: tf.maxRetry, DedupWindow: dedupWindow,
				MaxLineBytes: maxLine, Strict: strict, Inspector: asynq.NewInspectorFromRedisClient(rdb),
			}
			if force {
				cfg.Run = workers.NewRun(time.Now())
			}
			cfg = cfg.WithDefaults()
			fmt.Fprintf(cmd.ErrOrStderr(), "enqueueing for space %s on queue %s%s\n", cfg.Space, cfg.Queue, runNote(cfg.Run))
			client := asynq.NewClientFromRedisClient(rdb)
			progress := newEnqueueProgress(cmd.ErrOrStderr())
			cfg.Progress = progress.update
			sum, err := workers.Enqueue(cmd.Context(), client, in, cfg)
			progress.done()
			printEnqueueSummary(cmd.OutOrStdout(), cmd.ErrOrStderr(), sum)
			if err != nil {
				// The manifest was refused as a whole (--strict, UTF-16):
				// nothing was enqueued.
				if itemvec.KindOf(err) == itemvec.KindBadInput {
					fmt.Fprintln(cmd.ErrOrStderr(), "itemvec:", err)
					return exitError{code: 2}
				}
				return err
			}
			if len(sum.Invalid)+len(sum.DuplicateIDs) > 0 {
				return exitError{code: 2}
			}
			return nil
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVar(&manifest, "manifest", "", "JSON-lines manifest, one product per line ('-' = stdin)")
	tf.add(cmd, workers.DefaultBatch, workers.DefaultMaxRetry)
	cmd.Flags().StringVar(&queue, "queue", "", "asynq queue (default: the space's queue, named after it, which the space's workers serve)")
	cmd.Flags().StringVar(&space, "space", "", "space to enqueue for (default: the space of the model flags below); see itemvec spaces")
	cmd.Flags().BoolVar(&force, "force", false, "new task ids for a deliberate re-run, even where the same content was enqueued within --dedup-window")
	sp.add(cmd)
	cmd.Flags().DurationVar(&dedupWindow, "dedup-window", workers.DefaultDedupWindow, "how long a finished task's id is kept to deduplicate re-enqueues")
	cmd.Flags().BoolVar(&strict, "strict", false, "check the whole manifest first; enqueue nothing unless every line is valid and every id unique")
	cmd.Flags().IntVar(&maxLine, "max-line-bytes", workers.DefaultMaxLineBytes, "longest manifest line accepted, in bytes; a longer line is invalid")
	_ = cmd.MarkFlagRequired("manifest")
	return cmd
}

// printEnqueueSummary writes a summary that accounts for every line read to
// out, and each rejected line, in line order, to errOut.
func printEnqueueSummary(out, errOut io.Writer, sum *workers.EnqueueSummary) {
	fmt.Fprintf(out, "lines: %d (skipped %d), items: %d, tasks enqueued: %d (re-run of archived: %d), already enqueued: %d, invalid lines: %d, duplicate ids: %d, not sent: %d\n",
		sum.Lines, sum.Skipped, sum.Items, sum.Tasks, sum.Rerun, sum.KnownTasks, len(sum.Invalid), len(sum.DuplicateIDs), sum.Unsent)
	rejected := slices.Concat(sum.Invalid, sum.DuplicateIDs)
	slices.SortFunc(rejected, func(a, b workers.LineError) int { return cmp.Compare(a.Line, b.Line) })
	for _, le := range rejected {
		fmt.Fprintf(errOut, "  %v\n", le)
	}
}

func runNote(run string) string {
	if run == "" {
		return ""
	}
	return " (forced re-run " + run + ")"
}

// targetSpace is the space an enqueue is for: --space when given, which must
// be a space a worker has registered in Redis or one of the specs given here
// or built in produces; else the space of the spec flags.
func targetSpace(cmd *cobra.Command, rdb redis.UniversalClient, space string, sp *specFlags) (string, error) {
	derived, err := sp.space()
	if space == "" {
		return derived, err
	}
	if err == nil && space == derived || slices.Contains(workers.BuiltinSpaces(), space) {
		return space, nil
	}
	n, err := rdb.Exists(cmd.Context(), storage.MetaKey(space)).Result()
	if err != nil {
		return "", fmt.Errorf("look up space %s: %w", space, err)
	}
	if n > 0 {
		return space, nil
	}
	known := slices.Clone(workers.BuiltinSpaces())
	if derived != "" && !slices.Contains(known, derived) {
		known = append(known, derived)
	}
	registered, _ := enqueueRegisteredSpaces(cmd, rdb)
	for _, s := range registered {
		if !slices.Contains(known, s) {
			known = append(known, s)
		}
	}
	return "", itemvec.Errorf(itemvec.KindConfig, "itemvec enqueue",
		"no worker configuration produces space %q: it is not built in, not the space of the model flags given, and no worker has registered it in Redis; known spaces: %s (see itemvec spaces; a worker registers its space when it starts)",
		space, strings.Join(known, ", "))
}

// enqueueRegisteredSpaces lists the spaces whose meta is in Redis (every
// master of a cluster).
func enqueueRegisteredSpaces(cmd *cobra.Command, rdb redis.UniversalClient) ([]string, error) {
	spaces, err := storage.NewVectorStore(rdb, storage.StoreConfig{}).Spaces(cmd.Context())
	var out []string
	for _, s := range spaces {
		if s.Meta != nil {
			out = append(out, s.Name)
		}
	}
	return out, err
}
