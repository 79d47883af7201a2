package redistest

import (
	"context"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/storage/embedded"
)

// readyWait is how long redis-server may take to answer PING.
const readyWait = 10 * time.Second

// Server is a running redis-server owned by one test.
type Server struct {
	tb   testing.TB
	addr string
}

// Start runs redis-server from PATH on 127.0.0.1 and a free port, with
// persistence off and its working directory in a temporary directory
// (embedded.StartRedisServer, the server itemvec bench runs), waits until
// it answers PING, and stops it in tb.Cleanup. Without redis-server on
// PATH it skips the test, or fails it when ITEMVEC_REQUIRE_DEPS=1.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		testdeps.Missing(tb, "redis-server not found on PATH: install redis-server or run make setup-test")
	}
	r, err := embedded.StartRedisServer(context.Background(), bin)
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	return &Server{tb: tb, addr: r.Addr()}
}

// loopback is 127.0.0.1:port.
func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// ping probes the server at addr with PING.
func ping(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
		defer rdb.Close()
		return rdb.Ping(ctx).Err()
	}
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// URL is a redis:// URL for database 0 of the server.
func (s *Server) URL() string { return "redis://" + s.addr + "/0" }

// Client returns a new client for database 0, closed in the test's cleanup.
func (s *Server) Client() *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: s.addr})
	s.tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}
