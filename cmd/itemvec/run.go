//go:build !worker

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/fusion/users"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/reader"
	"github.com/itemvec/itemvec/workers"
	"github.com/itemvec/itemvec/workers/demo"
	"github.com/itemvec/itemvec/workers/demo/catalog"
	"github.com/itemvec/itemvec/workers/recs"
)

// demoFlags are what itemvec run and bench take: the models, how to serve
// and batch the sample job, and where the sample catalog is.
type demoFlags struct {
	mf         modelFlags
	vf         serveFlags
	tf         taskFlags
	catalogDir string
	// redisServer is bench's --redis-server: auto, off or a path; run
	// always uses the in-process Redis.
	redisServer string
}

func (f *demoFlags) add(cmd *cobra.Command) {
	f.mf.add(cmd)
	f.vf.add(cmd)
	f.tf.add(cmd, demo.DefaultBatch, demo.DefaultMaxRetry)
	cmd.Flags().StringVar(&f.catalogDir, "catalog", "", "sample catalog folder (default .deps/catalog)")
}

// start starts the embedded environment and a worker on it; the returned
// func closes both.
func (f *demoFlags) start(ctx context.Context) (*demo.Env, *workers.Worker, func(), error) {
	cfg, err := f.mf.config()
	if err != nil {
		return nil, nil, nil, err
	}
	dir := f.catalogDir
	if dir == "" {
		dir = demo.DefaultCatalogDir()
	}
	bin, err := f.redisServerBin()
	if err != nil {
		return nil, nil, nil, err
	}
	env, err := demo.StartEnv(ctx, dir, bin)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg.Redis, cfg.S3 = env.Redis.Client(), env.S3.ReaderConfig()
	f.vf.apply(&cfg)
	cfg.PollInterval, cfg.RetryDelay = demo.PollInterval, demo.RetryDelay
	w, err := workers.New(ctx, cfg)
	if err != nil {
		return nil, nil, nil, errors.Join(err, env.Close())
	}
	return env, w, func() { w.Close(); env.Close() }, nil
}

// redisServerBin is the redis-server binary --redis-server names: "" for
// the in-process Redis (off, or auto without redis-server on PATH).
func (f *demoFlags) redisServerBin() (string, error) {
	switch f.redisServer {
	case "", "off":
		return "", nil
	case "auto":
		bin, err := exec.LookPath("redis-server")
		if err != nil {
			slog.Info("no redis-server on PATH: the run uses the in-process Redis (miniredis)")
			return "", nil
		}
		return bin, nil
	}
	bin, err := exec.LookPath(f.redisServer)
	if err != nil {
		return "", fmt.Errorf("--redis-server %q: %w", f.redisServer, err)
	}
	return bin, nil
}

// job is the sample job on env with the task flags.
func (f *demoFlags) job(env *demo.Env) demo.Job {
	return demo.Job{Catalog: env.Catalog, Uploader: env.S3, Batch: f.tf.batch, MaxRetry: f.tf.maxRetry, ServerCPU: env.Redis.ServerCPU}
}

func newRunCmd() *cobra.Command {
	var (
		df       demoFlags
		show     int
		noBroken bool
		noRecs   bool
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "The whole job on embedded defaults: sample catalog -> in-process S3 + Redis -> worker -> report",
		Long: `run starts an in-process Redis (miniredis) and an in-process S3 API (gofakes3 over
HTTP on loopback, read by the real aws-sdk-go-v2 client), uploads the sample
catalog that make setup prepared (real photos, faker texts, seeded behaviour,
plus three deliberately broken items: a corrupt JPEG, a zero-byte file and a
missing key), enqueues it as asynq tasks, runs the same worker itemvec worker
runs until the queue is drained, reads the vectors back from Redis and prints
items done/failed with reasons, throughput, the vector dimension, and for a
few products their most similar products by cosine. Then the recommender side:
it builds every product's neighbour list, turns synthetic shoppers' events
from several devices into user vectors, recommends for one of them, and prints
how the unified user vectors compare with per-device ones.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			env, w, done, err := df.start(ctx)
			if err != nil {
				return err
			}
			defer done()
			job := df.job(env)
			if !noBroken {
				job.ExtraItems, job.ExtraObjects = catalog.BadItems(env.Catalog.Bucket)
			}
			slog.Info("running the sample catalog", "products", len(env.Catalog.Items)+len(job.ExtraItems),
				"image_model", w.ImageModel(), "text_model", w.TextModel(), "device", w.Device(), "space", w.Space())
			rep, err := demo.RunJob(ctx, w, job)
			if err != nil {
				return err
			}
			rep.Print(cmd.OutOrStdout(), show)
			if noRecs {
				return nil
			}
			if rep.Published < 2 {
				fmt.Fprintf(cmd.OutOrStdout(), "\nRecommender side: skipped, %d items published (neighbour lists and users need at least 2)\n", rep.Published)
				return nil
			}
			return printRecommender(ctx, cmd.OutOrStdout(), env.Redis.Client(), w.Space())
		},
	}
	df.add(cmd)
	cmd.Flags().IntVar(&show, "show", 5, "products to show with their 3 most similar")
	cmd.Flags().BoolVar(&noRecs, "no-recommender", false, "skip the recommender part (neighbour lists, synthetic users)")
	cmd.Flags().BoolVar(&noBroken, "no-broken-items", false, "do not add the three deliberately broken items")
	return cmd
}

// printRecommender runs the recommender side on the space: neighbour lists,
// user vectors from synthetic events (fixed seed), a recommendation and the
// unified-vs-device evaluation.
func printRecommender(ctx context.Context, w io.Writer, rdb redis.UniversalClient, space string) error {
	store := storage.NewVectorStore(rdb, storage.StoreConfig{})
	nrep, err := recs.BuildNeighbors(ctx, store, recs.NeighborsConfig{Space: space, K: 10})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nRecommender side (space %s)\n", space)
	fmt.Fprintf(w, "Neighbour lists: %d products, top %d each (%s), built in %s: itemvec:%s:similar:{<id>}\n",
		nrep.Published, 10, nrep.Method, nrep.Build.Round(time.Millisecond), space)
	spec := users.DefaultSpec()
	rep, sim, err := recs.Evaluate(ctx, store, space, spec, users.SimConfig{Seed: 1, Users: 400}, 10)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, e := range sim.Train {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	urep, err := recs.BuildUsers(ctx, store, recs.UsersConfig{Space: space, Spec: spec, Events: &buf})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "User vectors: %d synthetic shoppers (seed 1) on 2-3 devices each, %d events -> itemvec:%s:user:{<uid>}\n",
		urep.Users, urep.Events, space)
	uid := sim.HeldOut[0].User
	u, err := store.Users(ctx, space, uid)
	if err != nil || u[0] == nil {
		return fmt.Errorf("user %s: %v", uid, err)
	}
	rd := reader.New(rdb)
	res, _, err := rd.Recommend(ctx, space, uid, reader.RecommendOptions{K: 3, Titles: true})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Recommended for %s (events per device %v, ordered %v):\n", uid, u[0].Devices, u[0].Excluded)
	for _, r := range res {
		fmt.Fprintf(w, "  %-10s %.3f  %s\n", r.ID, r.Score, r.Title)
	}
	fmt.Fprintf(w, "Unified vs per-device vectors, %d users (itemvec users eval):\n", rep.All.Users)
	return rep.Print(w)
}
