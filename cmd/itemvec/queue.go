package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/hibiken/asynq"
	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec"
)

// queueState is one queue as itemvec queue --json prints it.
type queueState struct {
	Queue          string `json:"queue"`
	Size           int    `json:"size"`
	Pending        int    `json:"pending"`
	Active         int    `json:"active"`
	Scheduled      int    `json:"scheduled"`
	Retry          int    `json:"retry"`
	Archived       int    `json:"archived"`
	Completed      int    `json:"completed"`
	ProcessedToday int    `json:"processed_today"`
	FailedToday    int    `json:"failed_today"`
	LatencyMS      int64  `json:"latency_ms"`
	Paused         bool   `json:"paused"`
}

func newQueueCmd() *cobra.Command {
	var (
		rf     redisFlags
		queues []string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Show the state of the task queues: pending, running, retrying, archived",
		Long: `queue reads asynq's queues from Redis and prints, per queue:

  size       tasks in the queue in any state but completed
  pending    waiting for a worker
  active     being processed now
  scheduled  to run later
  retry      failed an attempt, waiting for the next one
  archived   gave up (their items have failure records: itemvec vectors failures)
  completed  done and kept for --dedup-window
  processed  attempts processed today (UTC), and failed today
  latency    how long the oldest pending task has waited
  paused     whether the queue is paused

Without --queue every queue is shown; a --queue that has never held a task
shows zeros. --json prints the same as a JSON array, for scripts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rdb, err := rf.client()
			if err != nil {
				return err
			}
			defer rdb.Close()
			insp := asynq.NewInspectorFromRedisClient(rdb)
			// Listing the queues also says whether Redis answers; a
			// --queue that nobody has used yet is shown with zeros.
			known, err := insp.Queues()
			if err != nil {
				return itemvec.Errorf(itemvec.KindUnavailable, "itemvec queue", "list queues: %w", err)
			}
			names := queues
			if len(names) == 0 {
				names = slices.Sorted(slices.Values(known))
			}
			states := []queueState{}
			for _, name := range names {
				if !slices.Contains(known, name) {
					states = append(states, queueState{Queue: name})
					continue
				}
				info, err := insp.GetQueueInfo(name)
				if err != nil {
					return itemvec.Errorf(itemvec.KindUnavailable, "itemvec queue", "queue %s: %w", name, err)
				}
				states = append(states, queueState{
					Queue: name, Size: info.Size, Pending: info.Pending, Active: info.Active,
					Scheduled: info.Scheduled, Retry: info.Retry, Archived: info.Archived, Completed: info.Completed,
					ProcessedToday: info.Processed, FailedToday: info.Failed,
					LatencyMS: info.Latency.Milliseconds(), Paused: info.Paused,
				})
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(states)
			}
			if len(states) == 0 {
				fmt.Fprintln(out, "no queues yet")
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "queue\tsize\tpending\tactive\tscheduled\tretry\tarchived\tcompleted\tprocessed today\tfailed today\tlatency\tpaused\t")
			for _, s := range states {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%dms\t%v\t\n", s.Queue, s.Size, s.Pending, s.Active,
					s.Scheduled, s.Retry, s.Archived, s.Completed, s.ProcessedToday, s.FailedToday, s.LatencyMS, s.Paused)
			}
			return tw.Flush()
		},
	}
	rf.add(cmd)
	cmd.Flags().StringSliceVar(&queues, "queue", nil, "queues to show (default: every queue)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
