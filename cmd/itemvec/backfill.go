package main

import (
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/workers"
)

func newBackfillCmd() *cobra.Command {
	var (
		rf      redisFlags
		tf      taskFlags
		sp      specFlags
		to      string
		from    string
		page    int64
		restart bool
	)
	cmd := &cobra.Command{
		Use:   "backfill --to SPACE [--from SPACE]",
		Short: "Enqueue every item of a space (default: the current one) for another space",
		Long: `backfill walks the item index of --from (default: itemvec:current) and enqueues
each item, from the manifest line it was published from, for --to (or the space of
the model flags given), so that a new spec's space gets every product. Start the
new space's workers (itemvec worker with its model flags), run backfill, watch
itemvec spaces, and promote the new space when it holds as many items.

Progress is saved in Redis after each page: a backfill that stopped goes on where
it stopped when run again; one that finished does nothing unless --restart.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rdb, store, src, err := rf.clientIn(cmd, from)
			if err != nil {
				return err
			}
			defer rdb.Close()
			target, err := targetSpace(cmd, rdb, to, &sp)
			if err != nil {
				return err
			}
			start := time.Now()
			cfg := workers.BackfillConfig{From: src, Page: page, Restart: restart,
				Enqueue: workers.EnqueueConfig{Space: target, Batch: tf.batch, MaxRetry: tf.maxRetry,
					Inspector: asynq.NewInspectorFromRedisClient(rdb)},
				Progress: func(st storage.BackfillState) {
					fmt.Fprintf(cmd.ErrOrStderr(), "backfill %s -> %s: %d ids read, %d items enqueued, %d without their line (%s)\n",
						src, target, st.Scanned, st.Enqueued, st.NoLine, time.Since(start).Round(time.Second))
				},
			}
			st, err := workers.Backfill(cmd.Context(), store, asynq.NewClientFromRedisClient(rdb), cfg)
			if err != nil {
				return fmt.Errorf("%w (progress is saved: run the same command again to go on)", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backfill %s -> %s done: %d ids read, %d items enqueued, %d published without their manifest line (enqueue their manifest again)\n",
				src, target, st.Scanned, st.Enqueued, st.NoLine)
			return nil
		},
	}
	rf.add(cmd)
	tf.add(cmd, workers.DefaultBatch, workers.DefaultMaxRetry)
	sp.add(cmd)
	cmd.Flags().StringVar(&to, "to", "", "target space (default: the space of the model flags)")
	cmd.Flags().StringVar(&from, "from", "", "source space (default: itemvec:current)")
	cmd.Flags().Int64Var(&page, "page", 500, "ids read from the source index per round")
	cmd.Flags().BoolVar(&restart, "restart", false, "start over, even if a backfill of these spaces finished or stopped part way")
	return cmd
}
