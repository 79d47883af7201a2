package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec/internal/testdeps"
)

// Persistent is a redis-server with the append-only file on (appendfsync
// always) that a test can stop and start again on the same port and data,
// for restart and crash tests.
type Persistent struct {
	bin  string
	dir  string
	port int
	args []string
	cmd  *exec.Cmd
	done chan struct{}
}

// StartPersistent runs a Persistent server on 127.0.0.1 and a free port,
// its data in tb.TempDir(), and kills it in tb.Cleanup. keyLoadDelay is
// redis' hidden key-load-delay setting, in microseconds per key: with
// enough keys (Fill) it keeps a restarted server answering LOADING for a
// measurable time. Without redis-server on PATH it skips the test, or fails
// it when ITEMVEC_REQUIRE_DEPS=1.
func StartPersistent(tb testing.TB, keyLoadDelay int) *Persistent {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		testdeps.Missing(tb, "redis-server not found on PATH: install redis-server or run make setup-test")
	}
	var lastErr error
	for range 3 { // the free port can be taken before redis binds it
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		p := &Persistent{bin: bin, dir: tb.TempDir(), port: port}
		p.args = []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", p.dir,
			"--appendonly", "yes", "--appendfsync", "always", "--save", "",
			"--key-load-delay", strconv.Itoa(keyLoadDelay), "--logfile", filepath.Join(p.dir, "redis.log")}
		if lastErr = p.Start(); lastErr == nil {
			tb.Cleanup(p.Kill)
			return p
		}
	}
	tb.Fatalf("redistest: %v", lastErr)
	return nil
}

// Addr is the server's host:port.
func (p *Persistent) Addr() string { return loopback(p.port) }

// URL is a redis:// URL for database 0 of the server.
func (p *Persistent) URL() string { return "redis://" + p.Addr() + "/0" }

// Start runs the server and returns once it accepts connections; it may
// still be LOADING its data (WaitLoaded).
func (p *Persistent) Start() error {
	p.cmd = exec.Command(p.bin, p.args...)
	p.cmd.Dir = p.dir
	if err := p.cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	p.done = done
	go func() { _ = p.cmd.Wait(); close(done) }()
	probe := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, DialTimeout: time.Second})
	defer probe.Close()
	deadline := time.Now().Add(readyWait)
	for time.Now().Before(deadline) {
		if err := probe.Ping(context.Background()).Err(); err == nil || isLoading(err) {
			return nil
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(p.dir, "redis.log"))
			return fmt.Errorf("redis-server exited: %s", log)
		case <-time.After(20 * time.Millisecond):
		}
	}
	p.Kill()
	return fmt.Errorf("redis-server did not listen on %s within %s", p.Addr(), readyWait)
}

// Stop shuts the server down with SHUTDOWN (the append-only file is
// complete) and waits until the process is gone.
func (p *Persistent) Stop(ctx context.Context) error {
	c := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1})
	_ = c.Shutdown(ctx).Err() // the connection drops: there is no reply
	c.Close()
	select {
	case <-p.done:
		return nil
	case <-time.After(20 * time.Second):
		return errors.New("redis-server did not stop within 20s")
	}
}

// WaitLoaded polls until the server stops answering LOADING and returns how
// long that took.
func (p *Persistent) WaitLoaded(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	probe := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1})
	defer probe.Close()
	for {
		err := probe.Ping(ctx).Err()
		if err == nil {
			return time.Since(start), nil
		}
		if !isLoading(err) {
			return 0, err
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Restart stops the server, starts it again and returns how long it then
// answered LOADING.
func (p *Persistent) Restart(ctx context.Context) (time.Duration, error) {
	if err := p.Stop(ctx); err != nil {
		return 0, err
	}
	if err := p.Start(); err != nil {
		return 0, err
	}
	return p.WaitLoaded(ctx)
}

// Kill stops the server with SIGKILL, if it runs.
func (p *Persistent) Kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Fill writes n filler keys ("redistest:fill:<i>"), so that loading them
// after a restart takes about n × keyLoadDelay.
func Fill(ctx context.Context, rdb redis.UniversalClient, n int) error {
	for i := 0; i < n; i += 1000 {
		if _, err := rdb.Pipelined(ctx, func(pl redis.Pipeliner) error {
			for j := i; j < min(i+1000, n); j++ {
				pl.Set(ctx, "redistest:fill:"+strconv.Itoa(j), "x", 0)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

func isLoading(err error) bool { return strings.HasPrefix(err.Error(), "LOADING") }
