package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hibiken/asynq"
	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/workers"
)

func newEnqueueCmd() *cobra.Command {
	var (
		rf          redisFlags
		tf          taskFlags
		manifest    string
		queue       string
		dedupWindow time.Duration
	)
	cmd := &cobra.Command{
		Use:   "enqueue --manifest FILE",
		Short: "Enqueue a JSON-lines manifest of products as itemvec:embed tasks",
		Long: `enqueue reads one product per line (JSON; '-' reads stdin), checks each line and
enqueues the valid ones in tasks of --batch items. Task ids are derived from the
content, so enqueueing the same manifest again (within --dedup-window) does not
create duplicate work. Invalid lines are listed and skipped; the exit status is 2
when any line was invalid.

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
			sum, err := workers.Enqueue(cmd.Context(), client, in, workers.EnqueueConfig{
				Batch: tf.batch, Queue: queue, MaxRetry: tf.maxRetry, DedupWindow: dedupWindow,
			})
			if sum != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "items: %d, tasks enqueued: %d, already enqueued: %d, invalid lines: %d\n",
					sum.Items, sum.Tasks, sum.Duplicates, len(sum.Invalid))
				for _, le := range sum.Invalid {
					fmt.Fprintf(cmd.ErrOrStderr(), "  %v\n", le)
				}
			}
			if err != nil {
				return err
			}
			if len(sum.Invalid) > 0 {
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
	_ = cmd.MarkFlagRequired("manifest")
	return cmd
}
