// Command itemvec turns product images, texts and behaviour into unified item
// vectors: `itemvec worker` serves itemvec:embed tasks from Redis, `itemvec
// enqueue` turns a JSON-lines manifest into tasks, `itemvec run` does the
// whole job on embedded Redis and S3. Every flag can also be set with an
// environment variable ITEMVEC_<FLAG> (upper case, dashes as underscores).
//
// Built with -tags worker (make build-worker, the container image), the
// binary holds only what a deployment runs (worker, enqueue, the inspection
// and maintenance commands, neighbors, users, recommend): the demo (run,
// bench) with its in-process Redis and S3, and the setup-time model
// converters (models, catalog) are left out, with their dependencies.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/itemvec/itemvec"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// execute runs the CLI with args and returns the exit status. The error
// that ends a command goes to stderr like every log line: as a JSON record
// under --log-format json, else as "itemvec: <error>".
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if logJSON {
		slog.New(slog.NewJSONHandler(stderr, nil)).Error("itemvec failed", "err", err.Error(), "kind", itemvec.KindOf(err).String())
	} else {
		fmt.Fprintln(stderr, "itemvec:", err)
	}
	return 1
}

// logJSON is set by --log-format json.
var logJSON bool

type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

type globalFlags struct {
	logLevel  string
	logFormat string
}

func newRootCmd() *cobra.Command {
	var g globalFlags
	root := &cobra.Command{
		Use:   "itemvec",
		Short: "Multimodal item vectors for recommenders: S3 images + behaviour -> fused vectors in Redis",
		Long: `itemvec turns products (images in S3, texts, behaviour counters) into one unified,
versioned item vector per product, published to Redis in a documented layout
(docs/contract.md) that recommenders on every device read.

Every flag can also be set by an environment variable ITEMVEC_<FLAG>, e.g.
--s3-endpoint is ITEMVEC_S3_ENDPOINT. AWS credentials come from the standard
AWS chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ...), never
from a flag.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			return setupLogging(g, cmd.ErrOrStderr())
		},
	}
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	root.AddCommand(newWorkerCmd(), newEnqueueCmd(), newEmbedCmd(), newVectorsCmd(), newTokenizeCmd(), newQueueCmd(), newFailuresCmd(), newSpacesCmd(), newBackfillCmd())
	root.AddCommand(newSimilarCmd(), newNeighborsCmd(), newUsersCmd(), newRecommendCmd())
	root.AddCommand(toolCommands()...)
	return root
}

// applyEnv sets every flag the user did not pass from ITEMVEC_<FLAG>.
func applyEnv(cmd *cobra.Command) error {
	var errs []error
	set := func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		name := "ITEMVEC_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
				return
			}
			f.Changed = true
		}
	}
	cmd.Flags().VisitAll(set)
	cmd.InheritedFlags().VisitAll(set)
	return errors.Join(errs...)
}

func setupLogging(g globalFlags, w io.Writer) error {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler
	switch g.logFormat {
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return fmt.Errorf("--log-format must be text or json, not %q", g.logFormat)
	}
	logJSON = g.logFormat == "json"
	slog.SetDefault(slog.New(h))
	redis.SetLogger(redisLogger{slog.Default()})
	return nil
}

// redisLogger sends go-redis's own log lines (pool and connection notices)
// through slog, so that they follow --log-format.
type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, fmt.Sprintf(format, v...), "component", "go-redis")
}
