package redistest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec/internal/testdeps"
)

// Cluster is a Redis Cluster of throw-away redis-server masters (no
// replicas) on loopback ports, owned by one test.
type Cluster struct {
	tb    testing.TB
	addrs []string
}

// clusterWait is how long the cluster may take to agree on its slots.
const clusterWait = 30 * time.Second

// StartCluster runs masters redis-server processes with cluster mode on
// (persistence off, data in tb.TempDir()), joins them with redis-cli
// --cluster create (slots spread evenly, no replicas), waits until every
// node reports cluster_state:ok, and stops them in tb.Cleanup. Without
// redis-server or redis-cli on PATH it skips the test, or fails it when
// ITEMVEC_REQUIRE_DEPS=1.
func StartCluster(tb testing.TB, masters int) *Cluster {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		testdeps.Missing(tb, "redis-server not found on PATH: install redis-server or run make setup-test")
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		testdeps.Missing(tb, "redis-cli not found on PATH: install redis-tools or run make setup-test")
	}
	c := &Cluster{tb: tb}
	for range masters {
		c.addrs = append(c.addrs, startClusterNode(tb, bin))
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterWait)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, addr := range c.addrs {
		if err := waitClusterOK(ctx, addr); err != nil {
			tb.Fatalf("redistest: cluster node %s: %v", addr, err)
		}
	}
	return c
}

// startClusterNode starts one cluster-enabled redis-server on a port whose
// cluster bus port (port + 10000) is free too, and returns its address.
func startClusterNode(tb testing.TB, bin string) string {
	tb.Helper()
	var lastErr error
	for range 10 {
		port := 20000 + rand.IntN(25000)
		if !portFree(port) || !portFree(port+10000) {
			continue
		}
		dir := tb.TempDir()
		logPath := filepath.Join(dir, "redis.log")
		cmd := exec.Command(bin,
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes.conf"),
			"--cluster-node-timeout", "5000",
			"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", logPath,
		)
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			tb.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		stop := func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		}
		addr := loopback(port)
		ctx, cancel := context.WithTimeout(context.Background(), readyWait)
		err := waitPing(ctx, addr, exited)
		cancel()
		if err == nil {
			tb.Cleanup(stop)
			return addr
		}
		stop()
		logText, _ := os.ReadFile(logPath)
		lastErr = fmt.Errorf("%w\nlog:\n%s", err, logText)
	}
	tb.Fatalf("redistest: starting a cluster node: %v", lastErr)
	return ""
}

func portFree(port int) bool {
	ln, err := net.Listen("tcp", loopback(port))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

func waitPing(ctx context.Context, addr string, exited <-chan struct{}) error {
	for {
		if err := ping(addr)(ctx); err == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("redis-server exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitClusterOK polls CLUSTER INFO on addr until it says cluster_state:ok.
func waitClusterOK(ctx context.Context, addr string) error {
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	for {
		info, err := rdb.ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster not ok: %v (last: %v %q)", ctx.Err(), err, info)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Addrs are the masters' host:port addresses.
func (c *Cluster) Addrs() []string { return c.addrs }

// URL is the --redis value for the cluster: the masters' redis:// URLs
// joined by commas.
func (c *Cluster) URL() string {
	urls := make([]string, len(c.addrs))
	for i, a := range c.addrs {
		urls[i] = "redis://" + a
	}
	return strings.Join(urls, ",")
}

// Client returns a new cluster client seeded with every master, closed in
// the test's cleanup.
func (c *Cluster) Client() *redis.ClusterClient {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.addrs})
	c.tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}
