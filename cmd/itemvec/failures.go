package main

import (
	"fmt"
	"strings"

	"github.com/hibiken/asynq"
	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/workers"
)

func newFailuresCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "failures",
		Short: "Act on the items recorded as failed (itemvec vectors failures lists them)",
	}
	cmd.AddCommand(newFailuresRetryCmd())
	return cmd
}

func newFailuresRetryCmd() *cobra.Command {
	var (
		rf    redisFlags
		tf    taskFlags
		space string
		kinds []string
	)
	cmd := &cobra.Command{
		Use:   "retry [--space SPACE] [--kind KIND]...",
		Short: "Enqueue the items recorded as failed again, e.g. after an S3 outage has ended",
		Long: `retry reads the failure records of a space (default: the current one) and enqueues
their items again, as the failed attempt read them, in new tasks (a new run, so
neither the dedup window nor archived tasks stand in the way). --kind selects
records by kind (fetch_unavailable) or by stage (fetch: every fetch_* kind), and
may be repeated; without it every record is retried. A record stays until its
item is published, or is replaced if it fails again.

Records written before records kept their item cannot be retried this way: they
are listed; enqueue their manifest lines again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rdb, store, space, err := rf.clientIn(cmd, space)
			if err != nil {
				return err
			}
			defer rdb.Close()
			cfg := workers.EnqueueConfig{Space: space, Batch: tf.batch, MaxRetry: tf.maxRetry,
				Inspector: asynq.NewInspectorFromRedisClient(rdb)}
			sum, err := workers.RetryFailures(cmd.Context(), store, asynq.NewClientFromRedisClient(rdb), cfg, kinds)
			fmt.Fprintf(cmd.OutOrStdout(), "space %s: %d failure record(s) selected, %d without their item\n",
				space, sum.Matched, len(sum.NoItem))
			if len(sum.NoItem) > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "  not retried (the record does not hold the item; enqueue its manifest line again): %s\n",
					strings.Join(sum.NoItem, " "))
			}
			printEnqueueSummary(cmd.OutOrStdout(), cmd.ErrOrStderr(), sum.Enqueue)
			return err
		},
	}
	rf.add(cmd)
	tf.add(cmd, workers.DefaultBatch, workers.DefaultMaxRetry)
	cmd.Flags().StringVar(&space, "space", "", "space whose failures to retry (default: itemvec:current)")
	cmd.Flags().StringSliceVar(&kinds, "kind", nil, "retry only records of this kind or stage (repeatable; e.g. fetch, fetch_unavailable, task_worker_lost)")
	return cmd
}
