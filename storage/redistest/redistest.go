package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RequireDepsEnv names the environment variable that, when "1", turns a
// missing redis-server into a test failure instead of a skip. make test
// sets it.
const RequireDepsEnv = "ITEMVEC_REQUIRE_DEPS"

const (
	startAttempts = 3                // ports can be taken between probe and bind
	readyWait     = 10 * time.Second // how long redis-server may take to answer PING
	stopWait      = 5 * time.Second  // how long it may take to exit on SIGTERM
)

// Server is a running redis-server owned by one test.
type Server struct {
	tb   testing.TB
	addr string
}

// Start runs redis-server from PATH on 127.0.0.1 and a free port, with
// persistence off and its working directory in tb.TempDir(), waits until it
// answers PING, and stops it in tb.Cleanup. Without redis-server on PATH it
// skips the test, or fails it when ITEMVEC_REQUIRE_DEPS=1.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "redis-server not found on PATH: install redis-server or run make setup-test"
		if os.Getenv(RequireDepsEnv) == "1" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	var lastErr error
	for range startAttempts {
		addr, err := start(tb, bin)
		if err == nil {
			return &Server{tb: tb, addr: addr}
		}
		lastErr = err
	}
	tb.Fatalf("redistest: starting redis-server: %v", lastErr)
	return nil
}

// start launches one redis-server and waits for it; on failure the process
// is gone and the error says why.
func start(tb testing.TB, bin string) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	dir := tb.TempDir()
	logPath := filepath.Join(dir, "redis.log")
	cmd := exec.Command(bin,
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", dir,
		"--logfile", logPath,
	)
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(stopWait):
			_ = cmd.Process.Kill()
			<-exited
		}
	}

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := waitReady(addr, exited, &waitErr); err != nil {
		stop()
		logText, _ := os.ReadFile(logPath)
		return "", fmt.Errorf("%w\nredis-server log:\n%s", err, logText)
	}
	tb.Cleanup(stop)
	return addr, nil
}

// waitReady polls PING until it answers, the process exits (closing exited
// after setting *waitErr) or readyWait passes.
func waitReady(addr string, exited <-chan struct{}, waitErr *error) error {
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), readyWait)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := rdb.Ping(ctx).Err()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited before answering PING: %v", *waitErr)
		case <-ctx.Done():
			return fmt.Errorf("redis-server on %s did not answer PING within %s: %w", addr, readyWait, err)
		case <-tick.C:
		}
	}
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
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
