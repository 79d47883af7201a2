package main

import (
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/workers"
)

func newBenchCmd() *cobra.Command {
	var (
		ef          encoderFlags
		catalogDir  string
		concurrency int
		batch       int
		rounds      int
		rawFor      time.Duration
		tokPath     string
		corpus      string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure raw model throughput and end-to-end throughput in one run, and their ratio",
		Long: `bench measures, in one process on this machine:
  1. raw ONNX Runtime throughput of the image model alone on synthetic tensors
     (same --max-batch and --threads as the pipeline);
  2. end-to-end items/s of the embedded pipeline (in-process S3 and Redis,
     asynq, decode, inference, fusion, publish) on the sample catalog,
     repeated --rounds times with distinct ids;
and prints their ratio and the time spent per stage.

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
			ctx := cmd.Context()
			env, m, done, err := startJob(cmd, &ef, catalogDir)
			if err != nil {
				return err
			}
			defer done()
			enc, fs := m.image, m.fusion
			slog.Info("benchmark: raw inference", "batch", ef.maxBatch, "for", rawFor)
			raw, err := workers.BenchRaw(ctx, enc, ef.maxBatch, rawFor)
			if err != nil {
				return err
			}
			var rawText *workers.RawBenchmark
			if m.text != nil {
				slog.Info("benchmark: raw text inference", "batch", ef.maxBatch, "for", rawFor)
				if rawText, err = workers.BenchRawText(ctx, m.text, ef.maxBatch, 32, rawFor); err != nil {
					return err
				}
			}
			items := env.cat.Items
			slog.Info("benchmark: end-to-end", "items", len(items)*rounds)
			job, err := workers.RunJob(ctx, workers.JobConfig{
				Redis: env.rdb, S3: env.s3.ReaderConfig(), Uploader: env.s3, Catalog: env.cat,
				ExtraItems: workers.Replicate(items, rounds),
				Encoder:    enc, Text: m.text, Fusion: fs, Concurrency: concurrency, Batch: batch,
			})
			if err != nil {
				return err
			}
			threads := fmt.Sprint(ef.threads)
			if ef.threads == 0 {
				threads = fmt.Sprintf("ORT default, %d CPUs", runtime.NumCPU())
			}
			workers.PrintBench(cmd.OutOrStdout(), raw, rawText, job, threads, string(enc.Session.Device()))
			if len(job.Failures) > 0 {
				return fmt.Errorf("%d items failed during the benchmark; first: %s", len(job.Failures), job.Failures[0].Reason)
			}
			return nil
		},
	}
	ef.add(cmd)
	cmd.Flags().StringVar(&catalogDir, "catalog", "", "sample catalog folder (default .deps/catalog)")
	cmd.Flags().IntVar(&concurrency, "concurrency", 4, "tasks processed at once")
	cmd.Flags().IntVar(&batch, "batch", 8, "items per task")
	cmd.Flags().IntVar(&rounds, "rounds", 4, "run the sample catalog this many times (distinct ids)")
	cmd.Flags().DurationVar(&rawFor, "raw-for", 5*time.Second, "measure raw inference (or the tokenizer) for at least this long")
	cmd.Flags().StringVar(&tokPath, "tokenizer", "", "benchmark this tokenizer.json instead of the pipeline")
	cmd.Flags().StringVar(&corpus, "corpus", "", "with --tokenizer: JSON-lines corpus (default testdata/tokenizers/corpus.jsonl)")
	return cmd
}
