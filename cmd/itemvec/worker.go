package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/workers"
)

func newWorkerCmd() *cobra.Command {
	var (
		rf          redisFlags
		sf          s3Flags
		ef          encoderFlags
		concurrency int
		queue       string
	)
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Serve itemvec:embed tasks: fetch from S3, embed, fuse, publish to Redis",
		Long: `worker pulls itemvec:embed tasks from the asynq queue in Redis, fetches each item's
image from S3, runs the image model (ONNX Runtime, CPU or CUDA) through a
micro-batcher, fuses image and behaviour features by the fusion spec, and
publishes the vectors to Redis (docs/contract.md). Bad items are recorded with
their reason (itemvec vectors failures); retryable errors retry the task.
SIGINT/SIGTERM finish running tasks and stop.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			rdb, err := storage.NewRedisClient(rf.url)
			if err != nil {
				return err
			}
			defer rdb.Close()
			objects, err := storage.NewS3Reader(ctx, sf.config())
			if err != nil {
				return err
			}
			m, err := ef.open(ctx)
			if err != nil {
				return err
			}
			defer m.Close()
			enc := m.image
			store := storage.NewVectorStore(rdb, storage.StoreConfig{})
			pcfg := workers.PipelineConfig{
				Objects: objects, Encoder: enc.Batcher, Store: store,
				ImageModel: enc.Spec, Fusion: m.fusion, Limits: ef.limits(),
			}
			if m.text != nil {
				pcfg.Text = m.text
			}
			pipe, err := workers.NewPipeline(pcfg)
			if err != nil {
				return err
			}
			if err := claimCurrent(cmd, store, pipe.Space()); err != nil {
				return err
			}
			srv, mux := workers.NewServer(rdb, &workers.Handler{Pipeline: pipe}, workers.ServerConfig{
				Concurrency: concurrency, Queue: queue,
			})
			slog.Info("worker started", "queue", queue, "concurrency", concurrency, "space", pipe.Space(),
				"image_model", enc.Spec.ID, "text_model", m.textID(), "device", enc.Session.Device(), "max_batch", ef.maxBatch)
			if err := srv.Start(mux); err != nil {
				return fmt.Errorf("start worker: %w", err)
			}
			<-ctx.Done()
			slog.Info("stopping: waiting for running tasks")
			srv.Shutdown()
			return nil
		},
	}
	rf.add(cmd)
	sf.add(cmd)
	ef.add(cmd)
	cmd.Flags().IntVar(&concurrency, "concurrency", 4, "tasks processed at once")
	cmd.Flags().StringVar(&queue, "queue", "default", "asynq queue to serve")
	return cmd
}

// claimCurrent points itemvec:current at space when nothing is current yet.
// A running deployment's pointer is never moved by a worker: a new space is
// promoted by a person (itemvec vectors promote) once its backfill is done.
func claimCurrent(cmd *cobra.Command, store *storage.VectorStore, space string) error {
	cur, err := store.Current(cmd.Context())
	if err != nil {
		return err
	}
	switch cur {
	case "":
		slog.Info("no current space yet; this worker's space becomes current", "space", space)
		return store.SetCurrent(cmd.Context(), space)
	case space:
		return nil
	default:
		slog.Warn("writing to a space that is not current; run `itemvec vectors promote` when its backfill is done",
			"space", space, "current", cur)
		return nil
	}
}
