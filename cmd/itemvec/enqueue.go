package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hibiken/asynq"
	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/workers"
)

func newEnqueueCmd() *cobra.Command {
	var (
		rf       redisFlags
		manifest string
		cfg      workers.EnqueueConfig
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
			rdb, err := storage.NewRedisClient(rf.url)
			if err != nil {
				return err
			}
			defer rdb.Close()
			client := asynq.NewClientFromRedisClient(rdb)
			sum, err := workers.Enqueue(cmd.Context(), client, in, cfg)
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
	cmd.Flags().IntVar(&cfg.Batch, "batch", 16, "items per task")
	cmd.Flags().StringVar(&cfg.Queue, "queue", "default", "asynq queue")
	cmd.Flags().IntVar(&cfg.MaxRetry, "max-retry", 5, "retries of a task before it is archived")
	cmd.Flags().DurationVar(&cfg.DedupWindow, "dedup-window", time.Hour, "how long a finished task's id is kept to deduplicate re-enqueues")
	_ = cmd.MarkFlagRequired("manifest")
	return cmd
}
