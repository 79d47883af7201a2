package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/hibiken/asynq"
	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/workers"
)

func newEnqueueCmd() *cobra.Command {
	var (
		rf          redisFlags
		tf          taskFlags
		manifest    string
		queue       string
		dedupWindow time.Duration
		strict      bool
		maxLine     int
	)
	cmd := &cobra.Command{
		Use:   "enqueue --manifest FILE",
		Short: "Enqueue a JSON-lines manifest of products as itemvec:embed tasks",
		Long: `enqueue reads one product per line (JSON lines; '-' reads stdin), checks each line and
enqueues the valid ones in tasks of --batch items. Task ids are derived from the
content, so enqueueing the same manifest again (within --dedup-window) does not
create duplicate work.

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
			client := asynq.NewClientFromRedisClient(rdb)
			progress := newEnqueueProgress(cmd.ErrOrStderr())
			sum, err := workers.Enqueue(cmd.Context(), client, in, workers.EnqueueConfig{
				Batch: tf.batch, Queue: queue, MaxRetry: tf.maxRetry, DedupWindow: dedupWindow,
				MaxLineBytes: maxLine, Strict: strict, Progress: progress.update,
			})
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
	cmd.Flags().StringVar(&queue, "queue", workers.DefaultQueue, "asynq queue")
	cmd.Flags().DurationVar(&dedupWindow, "dedup-window", workers.DefaultDedupWindow, "how long a finished task's id is kept to deduplicate re-enqueues")
	cmd.Flags().BoolVar(&strict, "strict", false, "check the whole manifest first; enqueue nothing unless every line is valid and every id unique")
	cmd.Flags().IntVar(&maxLine, "max-line-bytes", workers.DefaultMaxLineBytes, "longest manifest line accepted, in bytes; a longer line is invalid")
	_ = cmd.MarkFlagRequired("manifest")
	return cmd
}

// printEnqueueSummary writes a summary that accounts for every line read to
// out, and each rejected line, in line order, to errOut.
func printEnqueueSummary(out, errOut io.Writer, sum *workers.EnqueueSummary) {
	fmt.Fprintf(out, "lines: %d (skipped %d), items: %d, tasks enqueued: %d, already enqueued: %d, invalid lines: %d, duplicate ids: %d, not sent: %d\n",
		sum.Lines, sum.Skipped, sum.Items, sum.Tasks, sum.KnownTasks, len(sum.Invalid), len(sum.DuplicateIDs), sum.Unsent)
	rejected := slices.Concat(sum.Invalid, sum.DuplicateIDs)
	slices.SortFunc(rejected, func(a, b workers.LineError) int { return cmp.Compare(a.Line, b.Line) })
	for _, le := range rejected {
		fmt.Fprintf(errOut, "  %v\n", le)
	}
}
