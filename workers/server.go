package workers

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// ServerConfig configures the asynq server that runs embed tasks.
type ServerConfig struct {
	// Concurrency is the number of tasks processed at once (default 4).
	// Items of one task are embedded concurrently as well, so the
	// micro-batcher sees up to Concurrency×task size inputs.
	Concurrency int
	// Queue is the asynq queue to serve (default "default").
	Queue string
	// ShutdownTimeout is how long Shutdown waits for running tasks
	// (default 30s); unfinished tasks go back to the queue.
	ShutdownTimeout time.Duration
	// RetryDelay maps a retry count to the delay before it; nil means
	// exponential backoff from 2s capped at 5 minutes.
	RetryDelay func(n int) time.Duration
	// PollInterval is how often the server looks for new tasks when idle and
	// for retries that have come due (asynq's TaskCheckInterval and
	// DelayedTaskCheckInterval); zero keeps asynq's defaults (1s and 5s).
	PollInterval time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// NewServer returns an asynq server and mux that run h for TypeEmbed on rdb.
// Call Start/Run and Shutdown on the server as usual.
func NewServer(rdb redis.UniversalClient, h *Handler, cfg ServerConfig) (*asynq.Server, *asynq.ServeMux) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Queue == "" {
		cfg.Queue = "default"
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if cfg.RetryDelay == nil {
		cfg.RetryDelay = backoff
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	log := cfg.Logger
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:              cfg.Concurrency,
		Queues:                   map[string]int{cfg.Queue: 1},
		ShutdownTimeout:          cfg.ShutdownTimeout,
		TaskCheckInterval:        cfg.PollInterval,
		DelayedTaskCheckInterval: cfg.PollInterval,
		Logger:                   asynqLogger{log},
		LogLevel:                 asynq.WarnLevel,
		RetryDelayFunc: func(n int, _ error, _ *asynq.Task) time.Duration {
			return cfg.RetryDelay(n)
		},
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			id, _ := asynq.GetTaskID(ctx)
			n, _ := asynq.GetRetryCount(ctx)
			max, _ := asynq.GetMaxRetry(ctx)
			if n >= max || !retryable(err) {
				log.Error("task archived", "task", id, "attempts", n+1, "reason", err)
				return
			}
			log.Warn("task will be retried", "task", id, "attempt", n+1, "of", max+1, "reason", err)
		}),
	})
	mux := asynq.NewServeMux()
	mux.Handle(TypeEmbed, h)
	return srv, mux
}

func backoff(n int) time.Duration {
	d := 2 * time.Second * time.Duration(math.Pow(2, float64(min(n, 10))))
	return min(d, 5*time.Minute)
}

// asynqLogger sends asynq's own log lines to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Fatal(args ...any) {
	a.l.Error(fmt.Sprint(args...), "component", "asynq", "fatal", true)
}
