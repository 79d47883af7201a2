package workers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/hibiken/asynqmon"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec"
)

// DefaultHTTPAddr is the command line's default --http-addr: loopback, so
// that nothing is exposed unless the operator says so.
const DefaultHTTPAddr = "127.0.0.1:9464"

// readyTimeout bounds the Redis PING behind /readyz.
const readyTimeout = time.Second

// startHTTP serves /metrics, /healthz and /readyz on Config.HTTPAddr.
func (w *Worker) startHTTP() error {
	ln, err := net.Listen("tcp", w.cfg.HTTPAddr)
	if err != nil {
		return itemvec.Errorf(itemvec.KindConfig, "workers.Worker.Start", "listen on --http-addr %s: %w", w.cfg.HTTPAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(w.pipe.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(rw, "ok")
	})
	mux.HandleFunc("GET /readyz", func(rw http.ResponseWriter, r *http.Request) {
		if err := w.Ready(r.Context()); err != nil {
			rw.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(rw, "not ready:", err)
			return
		}
		fmt.Fprintln(rw, "ready")
	})
	if w.cfg.UI {
		// asynqmon shares the worker's Redis client; its Close (which would
		// close that client) is never called.
		mux.Handle("/ui/", asynqmon.New(asynqmon.Options{
			RootPath: "/ui", RedisConnOpt: sharedClient{w.cfg.Redis}, ReadOnly: !w.cfg.UIWritable,
		}))
	}
	w.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	w.httpAddr = ln.Addr().String()
	go func() {
		if err := w.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			w.cfg.Logger.Error("the HTTP listener stopped", "addr", w.httpAddr, "err", err)
		}
	}()
	w.cfg.Logger.Info("serving /metrics, /healthz and /readyz", "addr", w.httpAddr, "ui", w.cfg.UI, "ui_writable", w.cfg.UIWritable)
	return nil
}

// sharedClient is an asynq.RedisConnOpt that hands out an existing client.
type sharedClient struct{ c redis.UniversalClient }

func (s sharedClient) MakeRedisClient() any { return s.c }

// HTTPAddr is the address the worker's HTTP listener is bound to ("" when
// it has none): Config.HTTPAddr with the port the kernel chose for ":0".
func (w *Worker) HTTPAddr() string { return w.httpAddr }

// Ready reports whether the worker can take tasks, what /readyz answers:
// it is started, not shutting down, its models are loaded (New loaded
// them) and Redis answers PING within a second. It turns unready while
// Redis is away or still loading its data, and ready again when it is back.
func (w *Worker) Ready(ctx context.Context) error {
	w.mu.Lock()
	started, stopped := w.started, w.stopped
	w.mu.Unlock()
	switch {
	case !started:
		return errors.New("not started")
	case stopped:
		return errors.New("shutting down")
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := w.cfg.Redis.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}
