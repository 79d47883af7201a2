package storage_test

import (
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
)

// The replies a real redis-server sends when it cannot take a write, and
// what Publish makes of them.
func TestPublish_RedisServerReplies(t *testing.T) {
	srv := redistest.Start(t)
	ctx := t.Context()
	admin := srv.Client()
	tests := []struct {
		name      string
		setup     func(t *testing.T) redis.UniversalClient // returns the client to publish with
		undo      func(t *testing.T)
		code      string
		retryable bool
		says      string
	}{
		{
			name: "out of memory with noeviction",
			setup: func(t *testing.T) redis.UniversalClient {
				mustDo(t, admin, "CONFIG", "SET", "maxmemory-policy", "noeviction")
				mustDo(t, admin, "CONFIG", "SET", "maxmemory", "1")
				return srv.Client()
			},
			undo:      func(t *testing.T) { mustDo(t, admin, "CONFIG", "SET", "maxmemory", "0") },
			code:      storage.CodeOutOfMemory,
			retryable: false,
			says:      "raise maxmemory",
		},
		{
			name: "read-only replica (failover)",
			setup: func(t *testing.T) redis.UniversalClient {
				mustDo(t, admin, "REPLICAOF", "127.0.0.1", "1") // a primary that never answers
				return srv.Client()
			},
			undo:      func(t *testing.T) { mustDo(t, admin, "REPLICAOF", "NO", "ONE") },
			code:      storage.CodeUnavailable,
			retryable: true,
			says:      "READONLY",
		},
		{
			name: "password required",
			setup: func(t *testing.T) redis.UniversalClient {
				mustDo(t, admin, "CONFIG", "SET", "requirepass", "s3cret")
				return srv.Client()
			},
			undo:      func(t *testing.T) { mustDo(t, admin, "CONFIG", "SET", "requirepass", "") },
			code:      storage.CodeAccessDenied,
			retryable: false,
			says:      "put it in the Redis URL",
		},
		{
			name: "wrong password",
			setup: func(t *testing.T) redis.UniversalClient {
				mustDo(t, admin, "CONFIG", "SET", "requirepass", "s3cret")
				rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: "nope"})
				t.Cleanup(func() { rdb.Close() })
				return rdb
			},
			undo:      func(t *testing.T) { mustDo(t, admin, "CONFIG", "SET", "requirepass", "") },
			code:      storage.CodeAccessDenied,
			retryable: false,
			says:      "WRONGPASS",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mustDo(t, admin, "FLUSHALL")
			rdb := tc.setup(t)
			err := newStore(rdb).Publish(ctx, "v1", []storage.ItemVector{item("a", 1), item("b", 2)})
			tc.undo(t)
			checkError(t, err, kindOf(tc.code), tc.code)
			if got := itemvec.IsRetryable(err); got != tc.retryable {
				t.Errorf("retryable = %v, want %v (%v)", got, tc.retryable, err)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q does not say %q", err, tc.says)
			}
			// undo has restored the server: the check itself must not fail.
			if n, err := admin.Exists(ctx, storage.ItemKey("v1", "a"), storage.ItemKey("v1", "b")).Result(); err != nil {
				t.Errorf("EXISTS of the item hashes after undo: %v, want no error", err)
			} else if n != 0 {
				t.Errorf("%d item hashes written by a refused transaction, want 0", n)
			}
		})
	}
}

func TestPublish_BusyScriptIsTransient(t *testing.T) {
	srv := redistest.Start(t)
	ctx := t.Context()
	admin := srv.Client()
	mustDo(t, admin, "CONFIG", "SET", "busy-reply-threshold", "50")
	script := srv.Client()
	done := make(chan error, 1)
	go func() { done <- script.Eval(ctx, "while true do end", nil).Err() }()
	// Wait until the script holds the server.
	probe := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	t.Cleanup(func() { probe.Close() })
	deadline := time.Now().Add(5 * time.Second)
	for probe.Ping(ctx).Err() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	err := newStore(probe).Publish(ctx, "v1", []storage.ItemVector{item("a", 1)})
	if kerr := probe.Do(ctx, "SCRIPT", "KILL").Err(); kerr != nil {
		t.Fatalf("SCRIPT KILL: %v", kerr)
	}
	<-done
	checkError(t, err, itemvec.KindUnavailable, storage.CodeUnavailable)
	if !strings.Contains(err.Error(), "BUSY") {
		t.Errorf("error %q does not say BUSY", err)
	}
	// The server recovers and the same publish goes through.
	mustPublish(t, newStore(probe), "v1", item("a", 1))
}

func TestPublish_WrongTypeFailsOnlyThatItem(t *testing.T) {
	srv := redistest.Start(t)
	ctx := t.Context()
	rdb := srv.Client()
	if err := rdb.Set(ctx, storage.ItemKey("v1", "b"), "not a hash", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s := newStore(rdb)
	err := s.Publish(ctx, "v1", []storage.ItemVector{item("a", 1), item("b", 2), item("c", 3)})
	partial, ok := err.(*storage.PartialError)
	if !ok {
		t.Fatalf("Publish = %v (%T), want a *storage.PartialError", err, err)
	}
	if len(partial.Items) != 1 || partial.Items[0].ID != "b" {
		t.Fatalf("refused items = %+v, want just b", partial.Items)
	}
	checkError(t, partial.Items[0].Err, itemvec.KindConfig, storage.CodeCorruptRecord)
	if !strings.Contains(partial.Items[0].Err.Error(), storage.ItemKey("v1", "b")) {
		t.Errorf("item error %q does not name the key", partial.Items[0].Err)
	}
	for _, id := range []string{"a", "c"} {
		if got := mustGet(t, s, "v1", id); got == nil {
			t.Errorf("batch-mate %s was not written", id)
		}
	}
}

func TestCheckServer(t *testing.T) {
	srv := redistest.Start(t) // persistence off
	ctx := t.Context()
	rdb := srv.Client()
	tests := []struct {
		policy   string
		refused  bool
		warnings []string
	}{
		{"noeviction", false, []string{"persists nothing"}},
		{"volatile-lru", false, []string{"volatile-lru", "persists nothing"}},
		{"allkeys-lru", true, nil},
		{"allkeys-random", true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.policy, func(t *testing.T) {
			mustDo(t, rdb, "CONFIG", "SET", "maxmemory-policy", tc.policy)
			warnings, err := storage.CheckServer(ctx, rdb)
			if tc.refused {
				checkError(t, err, itemvec.KindConfig, storage.CodeServerConfig)
				if !strings.Contains(err.Error(), "noeviction") {
					t.Errorf("refusal %q does not say what to set", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) != len(tc.warnings) {
				t.Fatalf("warnings = %q, want %d", warnings, len(tc.warnings))
			}
			for i, w := range tc.warnings {
				if !strings.Contains(warnings[i], w) {
					t.Errorf("warning %d = %q, want it to mention %q", i, warnings[i], w)
				}
			}
		})
	}
	mustDo(t, rdb, "CONFIG", "SET", "maxmemory-policy", "noeviction")
	mustDo(t, rdb, "CONFIG", "SET", "appendonly", "yes")
	if warnings, err := storage.CheckServer(ctx, rdb); err != nil || len(warnings) != 0 {
		t.Errorf("noeviction with AOF: warnings %q, err %v; want none", warnings, err)
	}

	mr := miniredis.RunT(t)
	mini := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { mini.Close() })
	warnings, err := storage.CheckServer(ctx, mini)
	if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "not verified") {
		t.Errorf("miniredis (no CONFIG): warnings %q, err %v; want one 'not verified' warning", warnings, err)
	}
}

func mustDo(t *testing.T, rdb redis.UniversalClient, args ...any) {
	t.Helper()
	if err := rdb.Do(t.Context(), args...).Err(); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
}

func kindOf(code string) itemvec.Kind {
	switch code {
	case storage.CodeUnavailable:
		return itemvec.KindUnavailable
	default:
		return itemvec.KindConfig
	}
}

// TestPublish_WhileLoading restarts a real redis-server with enough keys to
// stay in LOADING and publishes at once: the transaction is refused with
// EXECABORT because of LOADING, which is transient, and nothing is written.
// Once loaded, the same publish goes through.
func TestPublish_WhileLoading(t *testing.T) {
	srv := redistest.StartPersistent(t, 50)
	ctx := t.Context()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	if err := redistest.Fill(ctx, rdb, 40_000); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	s := newStore(rdb)
	items := []storage.ItemVector{item("a", 1), item("b", 2)}
	err := s.Publish(ctx, "v1", items)
	checkError(t, err, itemvec.KindUnavailable, storage.CodeUnavailable)
	for _, want := range []string{"LOADING", "EXECABORT", "loading its data after a restart"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	err = s.RecordFailures(ctx, "v1", []storage.Failure{{ID: "c", Kind: "decode_corrupt", Reason: "r"}})
	checkError(t, err, itemvec.KindUnavailable, storage.CodeUnavailable)
	if d, err := srv.WaitLoaded(ctx); err != nil || d < 200*time.Millisecond {
		t.Fatalf("LOADING lasted %v (%v): the test did not publish while loading", d, err)
	}
	mustPublish(t, s, "v1", items...)
	if got := mustGet(t, s, "v1", "b"); got == nil {
		t.Fatal("b not written after loading")
	}
}
