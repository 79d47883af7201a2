package workers

import (
	"context"
	"errors"
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
		RetryDelayFunc: func(n int, err error, _ *asynq.Task) time.Duration {
			if errors.Is(err, asynq.ErrLeaseExpired) {
				// A lost worker's task has waited for its lease already
				// (about a minute): run it at once.
				return 0
			}
			return cfg.RetryDelay(n)
		},
		// Redis being away is not the task's fault: it comes back without
		// using up an attempt. A lost worker (asynq's lease expired) does
		// count, so a task that kills its worker cannot loop for ever.
		IsFailure: serverIsFailure,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			id, _ := asynq.GetTaskID(ctx)
			n, _ := asynq.GetRetryCount(ctx)
			max, _ := asynq.GetMaxRetry(ctx)
			_, store := errors.AsType[*StoreError](err)
			switch {
			case n >= max || !itemvec.IsRetryable(err):
				log.Error("task archived", "task", id, "attempts", n+1, "reason", err)
			case store:
				log.Warn("task will run again; this attempt does not count", "task", id, "attempt", n+1, "of", max+1, "reason", err)
			default:
				log.Warn("task will be retried", "task", id, "attempt", n+1, "of", max+1, "reason", err)
			}
		}),
	})
	mux := asynq.NewServeMux()
	mux.Handle(TypeEmbed, h)
	return srv, mux
}

// serverIsFailure is asynq's IsFailure: whether an error uses up an
// attempt of the task.
func serverIsFailure(err error) bool {
	_, store := errors.AsType[*StoreError](err)
	return !store
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
