package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/workers"
)

func newWorkerCmd() *cobra.Command {
	var (
		rf redisFlags
		sf s3Flags
		mf modelFlags
		vf serveFlags
		of opsFlags

		printSpace bool
	)
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Serve itemvec:embed tasks: fetch from S3, embed, fuse, publish to Redis",
		Long: `worker pulls itemvec:embed tasks from the asynq queue in Redis, fetches each item's
image from S3, runs the image model and the text model (ONNX Runtime, CPU or
CUDA) through their micro-batchers, fuses image, text and behaviour features by
the fusion spec (default v2: MobileNetV2 image + USE Lite text + behaviour), and
publishes the vectors to Redis (docs/contract.md). Bad items are recorded with
their reason (itemvec vectors failures); retryable errors retry the task.
SIGINT/SIGTERM stop taking tasks and let the running ones finish for
--shutdown-timeout; tasks still running then go back to the queue (asynq
requeues them at once, without using an attempt), so nothing is lost.

--http-addr serves /metrics (Prometheus), /healthz (the process serves) and
/readyz (models loaded and Redis answering; unready while Redis is away).

A worker serves the queue of its space (named after the space: fusion spec id
and hash), where itemvec enqueue puts that space's tasks; --print-space prints
it and exits, e.g. for an autoscaler's queue name.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if printSpace {
				space, err := mf.space()
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), space)
				return nil
			}
			cfg, err := mf.config()
			if err != nil {
				return err
			}
			rdb, err := rf.client()
			if err != nil {
				return err
			}
			defer rdb.Close()
			cfg.Redis, cfg.S3 = rdb, sf.config()
			vf.apply(&cfg)
			of.apply(&cfg)
			w, err := workers.New(ctx, cfg)
			if err != nil {
				return err
			}
			defer w.Close()
			return w.Run(ctx)
		},
	}
	rf.add(cmd)
	sf.add(cmd)
	mf.add(cmd)
	vf.add(cmd)
	of.add(cmd)
	cmd.Flags().BoolVar(&printSpace, "print-space", false, "print the space (and queue) this worker's models and fusion spec give, and exit")
	return cmd
}
