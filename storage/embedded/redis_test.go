package embedded_test

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/storage/embedded"
)

// TestRedis runs both servers through the same calls: a value written is
// read back, Name says which one it is, only the redis-server has a CPU
// time of its own, and Close stops it (the address refuses afterwards).
func TestRedis(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) (*embedded.Redis, error)
		want  string // prefix of Name
		cpu   bool
	}{
		{"miniredis", func(*testing.T) (*embedded.Redis, error) { return embedded.StartRedis() }, "miniredis (in-process)", false},
		{"redis-server", func(t *testing.T) (*embedded.Redis, error) {
			bin, err := exec.LookPath("redis-server")
			if err != nil {
				testdeps.Missing(t, "redis-server not found on PATH: install redis-server or run make setup-test")
			}
			return embedded.StartRedisServer(ctx, bin)
		}, "redis-server (pid ", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.start(t)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(r.Name(), tc.want) {
				t.Errorf("Name %q, want %q…", r.Name(), tc.want)
			}
			if !strings.HasPrefix(r.URL(), "redis://127.0.0.1:") || !strings.HasSuffix(r.URL(), "/0") {
				t.Errorf("URL %q", r.URL())
			}
			rdb := r.Client()
			if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if got, err := rdb.Get(ctx, "k").Result(); err != nil || got != "v" {
				t.Fatalf("get: %q, %v", got, err)
			}
			if _, ok := r.ServerCPU(); ok != tc.cpu {
				t.Errorf("ServerCPU ok %v, want %v", ok, tc.cpu)
			}
			if tc.cpu {
				policy, err := rdb.ConfigGet(ctx, "maxmemory-policy").Result()
				if err != nil || policy["maxmemory-policy"] != "noeviction" {
					t.Errorf("maxmemory-policy %v, %v; want noeviction", policy, err)
				}
			}
			addr := r.Addr()
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if tc.cpu {
				if _, err := os.Stat("/proc"); err == nil {
					if _, ok := r.ServerCPU(); ok {
						t.Error("ServerCPU of a stopped server: ok")
					}
				}
			}
			if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				conn.Close()
				t.Errorf("%s still accepts connections after Close", addr)
			}
		})
	}
}
