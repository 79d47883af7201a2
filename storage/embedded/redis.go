package embedded

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/internal/localserver"
)

// Redis is a Redis server for itemvec run and bench, with a client for it:
// an in-process miniredis ([StartRedis]) or a redis-server process
// ([StartRedisServer]).
type Redis struct {
	mini   *miniredis.Miniredis // in-process, or
	proc   *localserver.Server  // a redis-server process
	dir    string               // proc's working directory, removed on Close
	addr   string
	client *redis.Client
}

// StartRedis starts an empty in-process server (miniredis) on 127.0.0.1
// and a free port. Stop it with Close.
func StartRedis() (*Redis, error) {
	mr, err := miniredis.Run()
	if err != nil {
		return nil, itemvec.E(itemvec.KindUnavailable, "embedded.StartRedis", err)
	}
	return &Redis{mini: mr, addr: mr.Addr(), client: redis.NewClient(&redis.Options{Addr: mr.Addr()})}, nil
}

// redisReadyWait is how long a redis-server may take to answer PING.
const redisReadyWait = 10 * time.Second

// StartRedisServer runs the redis-server binary bin (Debian's, for
// example) as a throw-away server: 127.0.0.1 and a free port, persistence
// off, eviction off (noeviction, as itemvec wants), its files in a
// temporary directory. It waits until the server answers PING. Close stops
// it and removes the directory.
func StartRedisServer(ctx context.Context, bin string) (*Redis, error) {
	const op = "embedded.StartRedisServer"
	dir, err := os.MkdirTemp("", "itemvec-redis-")
	if err != nil {
		return nil, itemvec.E(itemvec.KindConfig, op, err)
	}
	try := 0
	proc, err := localserver.Start(ctx, "redis-server", redisReadyWait,
		func() (string, error) {
			try++
			d := filepath.Join(dir, strconv.Itoa(try))
			return d, os.Mkdir(d, 0o700)
		},
		func(port int, d string) (*localserver.Process, error) {
			logPath := filepath.Join(d, "redis.log")
			cmd := exec.Command(bin,
				"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
				"--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction",
				"--dir", d, "--logfile", logPath)
			cmd.Dir = d
			return &localserver.Process{Cmd: cmd, Log: logPath, Ready: pingRedis(loopback(port))}, nil
		})
	if err != nil {
		os.RemoveAll(dir)
		return nil, itemvec.E(itemvec.KindConfig, op, err)
	}
	addr := loopback(proc.Port)
	return &Redis{proc: proc, dir: dir, addr: addr, client: redis.NewClient(&redis.Options{Addr: addr})}, nil
}

// loopback is 127.0.0.1:port.
func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// pingRedis probes the server at addr with PING.
func pingRedis(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
		defer rdb.Close()
		return rdb.Ping(ctx).Err()
	}
}

// Addr is the server's host:port.
func (r *Redis) Addr() string { return r.addr }

// URL is a redis:// URL for database 0 of the server.
func (r *Redis) URL() string { return "redis://" + r.addr + "/0" }

// Client is a client for database 0; Close closes it.
func (r *Redis) Client() *redis.Client { return r.client }

// Name says which server this is: "miniredis (in-process)" or
// "redis-server (pid N)".
func (r *Redis) Name() string {
	if r.proc != nil {
		return "redis-server (pid " + strconv.Itoa(r.proc.Pid()) + ")"
	}
	return "miniredis (in-process)"
}

// ServerCPU is the CPU time a redis-server process has used so far; ok is
// false for miniredis (its time is the calling process's own) and where
// the process's CPU time cannot be read.
func (r *Redis) ServerCPU() (cpu time.Duration, ok bool) {
	if r.proc == nil {
		return 0, false
	}
	cpu, err := r.proc.CPU()
	return cpu, err == nil
}

// Close closes the client and stops the server. Data is lost.
func (r *Redis) Close() error {
	err := r.client.Close()
	if r.mini != nil {
		r.mini.Close()
	}
	if r.proc != nil {
		r.proc.Stop()
		if rerr := os.RemoveAll(r.dir); err == nil {
			err = rerr
		}
	}
	return err
}
