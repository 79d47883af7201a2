//go:build !worker

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/workers"
	"github.com/itemvec/itemvec/workers/demo"
)

// rawModels measures the raw throughput of w's image model and, when it
// has one, its text model.
func rawModels(ctx context.Context, w *workers.Worker, texts []*workers.Text, rawFor time.Duration) (img, text, synthetic *workers.ModelBench, err error) {
	slog.Info("benchmark: raw inference", "model", w.ImageModel(), "batch", w.Config().Models.MaxBatch,
		"threads", w.Config().Models.Threads, "for", rawFor)
	if img, err = w.BenchImageModel(ctx, rawFor); err != nil {
		return nil, nil, nil, err
	}
	if w.TextModel() != workers.TextModelNone {
		slog.Info("benchmark: raw text inference", "model", w.TextModel(), "batch", w.Config().Models.MaxBatch, "for", rawFor)
		if text, err = w.BenchTextModelOn(ctx, texts, rawFor); err != nil {
			return nil, nil, nil, err
		}
		if synthetic, err = w.BenchTextModel(ctx, 32, rawFor/2); err != nil {
			return nil, nil, nil, err
		}
	}
	return img, text, synthetic, nil
}

func newBenchCmd() *cobra.Command {
	var (
		df      demoFlags
		rounds  int
		rawFor  time.Duration
		tokPath string
		corpus  string
		prepDir string
		set     string
		refresh bool
		cpuProf string
		runs    int
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure raw model throughput and end-to-end throughput in one run, and their ratio",
		Long: `bench measures, in one process on this machine:
  1. raw ONNX Runtime throughput of each model alone on synthetic input, with
     ORT's default threads (every core: the limit) and, when they differ, the
     worker's own (same --device and --max-batch);
  2. end-to-end items/s of the same worker (in-process S3 and Redis, asynq,
     fetch, decode, inference, fusion, publish) on the sample catalog
     repeated --rounds times with distinct ids, or with --set large on the
     large photo set (1000 and 2000 px, baseline and progressive);
  3. with --refresh (the default), the same items again with only their
     behaviour counters changed: a counters-only refresh, re-fused from the
     stored vectors after a HEAD per image, beside the full embed;
and prints their ratio and, per stage, the wall time and the CPU time per
item, with the process's total CPU time. With --runs N the end-to-end run is
repeated N times (an emptied Redis and a new worker each time, raw figures
measured between the runs) and the report ends with each run's ratio and
their median.

With --prep DIR it times decode+prep alone over every image in DIR on one
goroutine, the previous path (Go decoders, imaging) on the same files, and
the C reference (make bench-ref) when it is built.

With --tokenizer tokenizer.json it measures the tokenizer instead: tokens/s of
itemvec's Go tokenizer on one goroutine over the parity corpus
(testdata/tokenizers/corpus.jsonl), and Hugging Face's tokenizers (npm, run by
node; needs npm ci in testdata/tokenizers) on the same corpus in the same run,
with the ratio.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tokPath != "" {
				return benchTokenizer(cmd.OutOrStdout(), tokPath, corpus, rawFor)
			}
			if prepDir != "" {
				return benchPrep(cmd.OutOrStdout(), prepDir, rawFor)
			}
			if runs < 1 {
				return fmt.Errorf("--runs %d: want at least 1", runs)
			}
			ctx := cmd.Context()
			env, w, done, err := df.start(ctx)
			if err != nil {
				return err
			}
			defer done()
			b := &demo.Bench{Device: string(w.Device()), CPUPolicy: w.CPUPolicy(), Threads: fmt.Sprint(df.mf.threads), Redis: env.Redis.Name()}
			switch {
			case df.mf.threads == 0 && w.TextModel() != workers.TextModelNone:
				b.Threads = fmt.Sprintf("auto, %d CPUs / 2 models", runtime.GOMAXPROCS(0))
			case df.mf.threads == 0:
				b.Threads = fmt.Sprintf("auto, %d CPUs", runtime.GOMAXPROCS(0))
			case df.mf.threads < 0:
				b.Threads = fmt.Sprintf("ORT default, %d CPUs", runtime.NumCPU())
			}
			n, th := w.ImageSessions()
			b.ImageSessions = n
			if n > 1 {
				b.Threads += fmt.Sprintf("; image model: %d sessions × %d", n, th)
			}
			// The limit is the models alone at their best on this machine:
			// one session with ORT's default threads (every core), or the
			// worker's own threads and sessions when those run faster; both
			// are measured and printed.
			// The texts the end-to-end run embeds: the catalog's (the
			// replicas repeat them).
			var texts []*workers.Text
			for _, it := range env.Catalog.Items {
				texts = append(texts, it.Text)
			}
			rw := w
			if df.mf.threads >= 0 && w.Device() == onnx.DeviceCPU {
				cfg := w.Config()
				cfg.Models.Threads, cfg.Models.ImageSessions = -1, 1
				if rw, err = workers.New(ctx, cfg); err != nil {
					return err
				}
				defer rw.Close()
			}
			// measure fills into's raw figures; it runs before the
			// end-to-end run and again after it, because the machine's
			// speed can move between the two (a shared VM's does).
			measure := func(into *demo.Bench) (err error) {
				if rw != w {
					if into.OwnImage, into.OwnText, _, err = rawModels(ctx, w, texts, rawFor); err != nil {
						return err
					}
				}
				if into.Image, into.Text, into.Text32, err = rawModels(ctx, rw, texts, rawFor); err != nil {
					return err
				}
				if w.TextModel() != workers.TextModelNone {
					slog.Info("benchmark: both models side by side", "threads", w.Config().Models.Threads, "for", rawFor)
					into.TogetherImage, into.TogetherText, err = w.BenchModelsTogether(ctx, texts, rawFor)
				}
				return err
			}
			if err := measure(b); err != nil {
				return err
			}
			job := df.job(env)
			switch set {
			case "catalog":
				job.ExtraItems = demo.Replicate(env.Catalog.Items, rounds)
				b.Set = "sample catalog"
			case "large":
				if job.ExtraItems, job.ExtraObjects, err = demo.LargeSet(env.Catalog, demo.DefaultLargeDir(), rounds); err != nil {
					return err
				}
				b.Set = fmt.Sprintf("large photos (%d, 1000–2000 px) + catalog", len(job.ExtraObjects))
			default:
				return fmt.Errorf("--set %q: want catalog or large", set)
			}
			job.Refresh = refresh
			for k := 1; k <= runs; k++ {
				ew := w // the worker of this run
				if k > 1 {
					// The next run on the same items: an empty Redis (the
					// benchmark's own throw-away server), so that nothing is
					// up to date, and a new worker (a worker starts once),
					// between raw measurements like the first.
					if err := env.Redis.Client().FlushDB(ctx).Err(); err != nil {
						return fmt.Errorf("--runs: empty the benchmark's Redis: %w", err)
					}
					if ew, err = workers.New(ctx, w.Config()); err != nil {
						return err
					}
					b = b.Next()
				}
				slog.Info("benchmark: end-to-end", "run", k, "of", runs, "set", set, "items", len(env.Catalog.Items)+len(job.ExtraItems))
				stop := func() error { return nil }
				if k == 1 {
					if stop, err = startCPUProfile(cpuProf); err != nil {
						return err
					}
				}
				b.Job, err = demo.RunJob(ctx, ew, job)
				if perr := stop(); err == nil {
					err = perr
				}
				if ew != w {
					ew.Close()
				}
				if err != nil {
					return err
				}
				slog.Info("benchmark: raw inference again, after the end-to-end run")
				b.After = &demo.Bench{}
				if err := measure(b.After); err != nil {
					return err
				}
			}
			b.Print(cmd.OutOrStdout())
			if len(b.Job.Failures) > 0 {
				return fmt.Errorf("%d items failed during the benchmark; first: %s", len(b.Job.Failures), b.Job.Failures[0].Reason)
			}
			return nil
		},
	}
	df.add(cmd)
	cmd.Flags().StringVar(&df.redisServer, "redis-server", "auto", "Redis of the end-to-end run: auto (a throw-away redis-server process on a free loopback port when redis-server is on PATH, as a worker's Redis is another process; else the in-process miniredis), off (miniredis), or the path of a redis-server binary")
	cmd.Flags().IntVar(&rounds, "rounds", 4, "run the sample catalog (or the large photo set) this many times (distinct ids)")
	cmd.Flags().StringVar(&set, "set", "catalog", "images of the end-to-end run: catalog (the sample catalog, ~650 px) or large (.deps/large: 1000 and 2000 px, baseline and progressive, plus the catalog once)")
	cmd.Flags().IntVar(&runs, "runs", 1, "end-to-end runs, each between two raw measurements; with more than one the report ends with every run's ratio and their median (a shared machine's speed moves from run to run)")
	cmd.Flags().BoolVar(&refresh, "refresh", true, "after the run, time a counters-only refresh of the same items")
	cmd.Flags().DurationVar(&rawFor, "raw-for", 5*time.Second, "measure raw inference (or the tokenizer) for at least this long")
	cmd.Flags().StringVar(&tokPath, "tokenizer", "", "benchmark this tokenizer.json instead of the pipeline")
	cmd.Flags().StringVar(&prepDir, "prep", "", "time decode+prep alone over every image in this folder (one goroutine), against the previous path and the C reference")
	cmd.Flags().StringVar(&cpuProf, "cpuprofile", "", "write a pprof CPU profile of the (first) end-to-end run to this file (go tool pprof bin/itemvec FILE)")
	cmd.Flags().StringVar(&corpus, "corpus", "", "with --tokenizer: JSON-lines corpus (default testdata/tokenizers/corpus.jsonl)")
	return cmd
}

// startCPUProfile starts a CPU profile into path (nothing when path is
// empty) and returns what stops it and closes the file.
func startCPUProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		slog.Info("benchmark: CPU profile written", "file", path)
		return nil
	}, nil
}
