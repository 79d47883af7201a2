package workers

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec"
)

// newServer returns the asynq server and mux that run h for TypeEmbed on
// rdb, configured from cfg (defaults applied).
func newServer(rdb redis.UniversalClient, h asynq.Handler, cfg Config) (*asynq.Server, *asynq.ServeMux) {
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
			if n >= max || !itemvec.IsRetryable(err) {
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

// asynqLogger sends asynq's own log lines to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Fatal(args ...any) {
	a.l.Error(fmt.Sprint(args...), "component", "asynq", "fatal", true)
}
