package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/storage/embedded"
	"github.com/itemvec/itemvec/workers"
	"github.com/itemvec/itemvec/workers/demo/catalog"
)

// embedded is an in-process Redis and S3 API with the sample catalog.
type embeddedEnv struct {
	redis *miniredis.Miniredis
	rdb   redis.UniversalClient
	s3    *embedded.S3
	cat   *workers.Catalog
}

func startEmbedded(cmd *cobra.Command, catalogDir string) (*embeddedEnv, error) {
	if catalogDir == "" {
		catalogDir = workers.DefaultCatalogDir()
	}
	sample, err := catalog.Load(catalogDir)
	if err != nil {
		return nil, fmt.Errorf("load the sample catalog (run make setup): %w", err)
	}
	cat := sample.Job()
	mr, err := miniredis.Run()
	if err != nil {
		return nil, fmt.Errorf("start in-process Redis: %w", err)
	}
	s3, err := embedded.StartS3(cmd.Context())
	if err != nil {
		mr.Close()
		return nil, fmt.Errorf("start in-process S3: %w", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	return &embeddedEnv{redis: mr, rdb: rdb, s3: s3, cat: cat}, nil
}

func (e *embeddedEnv) Close() {
	e.rdb.Close()
	e.s3.Close()
	e.redis.Close()
}

// startJob starts the embedded Redis and S3 with the sample catalog and
// loads the models; the returned func releases both.
func startJob(cmd *cobra.Command, ef *encoderFlags, catalogDir string) (*embeddedEnv, *models, func(), error) {
	env, err := startEmbedded(cmd, catalogDir)
	if err != nil {
		return nil, nil, nil, err
	}
	m, err := ef.open(cmd.Context())
	if err != nil {
		env.Close()
		return nil, nil, nil, err
	}
	return env, m, func() { m.Close(); env.Close() }, nil
}

func newRunCmd() *cobra.Command {
	var (
		ef          encoderFlags
		catalogDir  string
		concurrency int
		batch       int
		show        int
		noBroken    bool
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "The whole job on embedded defaults: sample catalog -> in-process S3 + Redis -> worker -> report",
		Long: `run starts an in-process Redis (miniredis) and an in-process S3 API (gofakes3 over
HTTP on loopback, read by the real aws-sdk-go-v2 client), uploads the sample
catalog that make setup prepared (real photos, faker texts, seeded behaviour,
plus three deliberately broken items: a corrupt JPEG, a zero-byte file and a
missing key), enqueues it as asynq tasks, runs the worker until the queue is
drained, reads the vectors back from Redis and prints items done/failed with
reasons, throughput, the vector dimension, and for a few products their most
similar products by cosine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			env, m, done, err := startJob(cmd, &ef, catalogDir)
			if err != nil {
				return err
			}
			defer done()
			enc, fs := m.image, m.fusion
			cfg := workers.JobConfig{
				Redis: env.rdb, S3: env.s3.ReaderConfig(), Uploader: env.s3, Catalog: env.cat,
				Encoder: enc, Text: m.text, Fusion: fs, Concurrency: concurrency, Batch: batch,
				MaxRetry: 2, RetryDelay: func(int) time.Duration { return 200 * time.Millisecond },
			}
			if !noBroken {
				cfg.ExtraItems, cfg.ExtraObjects = catalog.BadItems(env.cat.Bucket)
			}
			slog.Info("running the sample catalog", "products", len(env.cat.Items)+len(cfg.ExtraItems),
				"image_model", enc.Spec.ID, "device", enc.Session.Device(), "space", fs.Space())
			rep, err := workers.RunJob(ctx, cfg)
			if err != nil {
				return err
			}
			rep.Print(cmd.OutOrStdout(), show)
			return nil
		},
	}
	ef.add(cmd)
	cmd.Flags().StringVar(&catalogDir, "catalog", "", "sample catalog folder (default .deps/catalog)")
	cmd.Flags().IntVar(&concurrency, "concurrency", 4, "tasks processed at once")
	cmd.Flags().IntVar(&batch, "batch", 8, "items per task")
	cmd.Flags().IntVar(&show, "show", 5, "products to show with their 3 most similar")
	cmd.Flags().BoolVar(&noBroken, "no-broken-items", false, "do not add the three deliberately broken items")
	return cmd
}
