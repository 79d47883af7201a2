package storage_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
)

// The Redis conformance suite runs against miniredis and a real redis-server.
func TestVectorStore_Miniredis(t *testing.T) {
	runVectorStoreSuite(t, func(t *testing.T) redis.UniversalClient {
		mr := miniredis.RunT(t)
		rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		t.Cleanup(func() { rdb.Close() })
		return rdb
	})
}

func TestVectorStore_RedisServer(t *testing.T) {
	srv := redistest.Start(t)
	runVectorStoreSuite(t, func(t *testing.T) redis.UniversalClient {
		rdb, err := storage.NewRedisClient(srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rdb.Close() })
		if err := rdb.FlushDB(t.Context()).Err(); err != nil {
			t.Fatal(err)
		}
		return rdb
	})
}

// runVectorStoreSuite is the one Redis conformance suite. newClient returns
// a client of an empty database.
func runVectorStoreSuite(t *testing.T, newClient func(t *testing.T) redis.UniversalClient) {
	tests := []struct {
		name string
		run  func(t *testing.T, rdb redis.UniversalClient)
	}{
		{"round trip is bit exact", testRoundTrip},
		{"hash fields follow the contract", testContractFields},
		{"absent modality deletes its old block", testAbsentModality},
		{"explicit modalities are written as given", testExplicitModalities},
		{"stream gets an entry per item and is capped", testStream},
		{"publish clears the failure record", testPublishClearsFailure},
		{"failures come newest first", testFailuresOrder},
		{"current space pointer", testCurrent},
		{"scan visits every item of the space once", testScan},
		{"get returns nil for a missing id", testGetMissing},
		{"invalid input is rejected before writing", testInvalidInput},
		{"corrupt record is reported", testCorrupt},
		{"canceled context is retryable", testCanceled},
		{"scan vectors streams every item once in batches", testScanVectors},
		{"neighbour lists round trip and replace", testNeighbors},
		{"update stream reads after an id and reports trimming", testUpdatesAfter},
		{"user vectors round trip", testUsers},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newClient(t)) })
	}
}

var t0 = time.UnixMilli(1_700_000_000_123)

func newStore(rdb redis.UniversalClient) *storage.VectorStore {
	return storage.NewVectorStore(rdb, storage.StoreConfig{BlockCopies: true})
}

func item(id string, vec ...float32) storage.ItemVector {
	return storage.ItemVector{ID: id, Vector: vec, SpecID: "fusion-v1", SpecHash: "5pec", ContentHash: "c0ffee-" + id, UpdatedAt: t0}
}

func mustPublish(t *testing.T, s *storage.VectorStore, space string, items ...storage.ItemVector) {
	t.Helper()
	if err := s.Publish(t.Context(), space, items); err != nil {
		t.Fatal(err)
	}
}

func mustGet(t *testing.T, s *storage.VectorStore, space, id string) *storage.ItemVector {
	t.Helper()
	got, err := s.Get(t.Context(), space, id)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] == nil {
		t.Fatalf("item %q not found", id)
	}
	return got[0]
}

func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

func testRoundTrip(t *testing.T, rdb redis.UniversalClient) {
	s := newStore(rdb)
	vec := []float32{
		1, -2, 0.5, 0.1, float32(math.Copysign(0, -1)),
		float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(0x7fc00001), // NaN with a payload
		math.Float32frombits(1),          // smallest subnormal
		math.MaxFloat32,
	}
	in := item("sku-1", vec...)
	in.Blocks = map[string][]float32{
		storage.ModalityImage:    vec[:4],
		storage.ModalityBehavior: {0.25, -0.75},
	}
	mustPublish(t, s, "v1", in)

	got := mustGet(t, s, "v1", "sku-1")
	if !sameBits(got.Vector, vec) {
		t.Errorf("Vector = %v, want %v", got.Vector, vec)
	}
	if len(got.Blocks) != 2 || !sameBits(got.Blocks["image"], vec[:4]) || !sameBits(got.Blocks["behavior"], []float32{0.25, -0.75}) {
		t.Errorf("Blocks = %v, want image and behavior blocks", got.Blocks)
	}
	if got.ID != in.ID || got.SpecID != in.SpecID || got.SpecHash != in.SpecHash || got.ContentHash != in.ContentHash {
		t.Errorf("got %+v, want %+v", got, in)
	}
	if !got.UpdatedAt.Equal(t0) {
		t.Errorf("UpdatedAt = %v, want %v", got.UpdatedAt, t0)
	}
	if want := []string{"image", "behavior"}; !slices.Equal(got.Modalities, want) {
		t.Errorf("Modalities = %q, want %q (derived from Blocks, contract order)", got.Modalities, want)
	}
}

func testContractFields(t *testing.T, rdb redis.UniversalClient) {
	s := newStore(rdb)
	in := item("sku-1", 1, -2, 0.5)
	in.Blocks = map[string][]float32{storage.ModalityBehavior: {0.25}}
	mustPublish(t, s, "v1", in)

	got, err := rdb.HGetAll(t.Context(), storage.ItemKey("v1", "sku-1")).Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"vec":          "\x00\x00\x80\x3f\x00\x00\x00\xc0\x00\x00\x00\x3f", // 1, -2, 0.5 as LE float32
		"vec:behavior": "\x00\x00\x80\x3e",                                 // 0.25
		"dim":          "3",
		"spec":         "fusion-v1",
		"spec_hash":    "5pec",
		"content_hash": "c0ffee-sku-1",
		"updated_at":   "1700000000123",
		"modalities":   "behavior",
	}
	if !mapsEqual(got, want) {
		t.Errorf("HGETALL item sku-1 =\n%q\nwant\n%q", got, want)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func testAbsentModality(t *testing.T, rdb redis.UniversalClient) {
	s := newStore(rdb)
	first := item("sku-1", 1, 2, 3)
	first.Blocks = map[string][]float32{"image": {1}, "text": {2}, "behavior": {3}}
	mustPublish(t, s, "v1", first)
	second := item("sku-1", 4, 5)
	second.Blocks = map[string][]float32{"image": {4, 5}}
	mustPublish(t, s, "v1", second)

	for _, field := range []string{"vec:text", "vec:behavior"} {
		if n, err := rdb.HExists(t.Context(), storage.ItemKey("v1", "sku-1"), field).Result(); err != nil || n {
			t.Errorf("HEXISTS %s = %v, %v; want false", field, n, err)
		}
	}
	got := mustGet(t, s, "v1", "sku-1")
	if len(got.Blocks) != 1 || !sameBits(got.Blocks["image"], []float32{4, 5}) {
		t.Errorf("Blocks = %v, want only image [4 5]", got.Blocks)
	}
	if !slices.Equal(got.Modalities, []string{"image"}) || !sameBits(got.Vector, []float32{4, 5}) {
		t.Errorf("got %+v, want the second publish", got)
	}
}

func testExplicitModalities(t *testing.T, rdb redis.UniversalClient) {
	s := newStore(rdb)
	in := item("sku-1", 1)
	in.Blocks = map[string][]float32{"image": {1}}
	in.Modalities = []string{"image", "text"} // text present, its block not computed yet
	mustPublish(t, s, "v1", in)
	if got, _ := rdb.HGet(t.Context(), storage.ItemKey("v1", "sku-1"), "modalities").Result(); got != "image,text" {
		t.Errorf("modalities = %q, want %q", got, "image,text")
	}
}

func testStream(t *testing.T, rdb redis.UniversalClient) {
	ctx := t.Context()
	const maxLen = 10
	s := storage.NewVectorStore(rdb, storage.StoreConfig{StreamMaxLen: maxLen})
	mustPublish(t, s, "v1", item("a", 1), item("b", 2))

	entries, err := rdb.XRange(ctx, "itemvec:v1:updates", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("stream has %d entries, want 2", len(entries))
	}
	want := map[string]any{"id": "b", "op": "upsert", "content_hash": "c0ffee-b", "updated_at": "1700000000123"}
	if fmt.Sprint(entries[1].Values) != fmt.Sprint(want) {
		t.Errorf("last entry = %v, want %v", entries[1].Values, want)
	}

	// Trimming is approximate (MAXLEN ~): Redis drops whole stream nodes
	// of at most 100 entries (stream-node-max-entries), so the stream may
	// exceed the cap by less than one node.
	const total = 300
	for batch := range total / 50 {
		items := make([]storage.ItemVector, 50)
		for i := range items {
			items[i] = item(fmt.Sprintf("sku-%d", batch*50+i), float32(i))
		}
		mustPublish(t, s, "v1", items...)
	}
	n, err := rdb.XLen(ctx, "itemvec:v1:updates").Result()
	if err != nil {
		t.Fatal(err)
	}
	if n < maxLen || n >= maxLen+100 {
		t.Errorf("XLEN = %d after %d publishes, want within [%d, %d)", n, total+2, maxLen, maxLen+100)
	}
	last, err := rdb.XRevRangeN(ctx, "itemvec:v1:updates", "+", "-", 1).Result()
	if err != nil || len(last) != 1 || last[0].Values["id"] != fmt.Sprintf("sku-%d", total-1) {
		t.Errorf("newest entry = %v, %v; want id sku-%d", last, err, total-1)
	}
}

func testPublishClearsFailure(t *testing.T, rdb redis.UniversalClient) {
	ctx := t.Context()
	s := newStore(rdb)
	fails := []storage.Failure{
		{ID: "a", Kind: "object_missing", Reason: "s3://b/a.jpg: object not found", URI: "s3://b/a.jpg", Task: "t1", Attempt: 3, At: t0},
		{ID: "b", Kind: "image_corrupt", Reason: "not an image", URI: "s3://b/b.jpg", Task: "t2", Attempt: 1, At: t0},
	}
	if err := s.RecordFailures(ctx, "v1", fails); err != nil {
		t.Fatal(err)
	}
	mustPublish(t, s, "v1", item("a", 1))

	got, err := s.Failures(ctx, "v1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "b" {
		t.Errorf("Failures = %+v, want only b", got)
	}
	if n, err := rdb.Exists(ctx, storage.FailedKey("v1", "a")).Result(); err != nil {
		t.Errorf("EXISTS %s: %v, want no error", storage.FailedKey("v1", "a"), err)
	} else if n != 0 {
		t.Error("failure hash of a survived its publish, want it deleted")
	}
	if err := rdb.ZScore(ctx, "itemvec:v1:failed", "a").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("ZSCORE itemvec:v1:failed a: %v, want redis.Nil", err)
	}
}

func testFailuresOrder(t *testing.T, rdb redis.UniversalClient) {
	ctx := t.Context()
	s := newStore(rdb)
	record := func(fails ...storage.Failure) {
		t.Helper()
		if err := s.RecordFailures(ctx, "v1", fails); err != nil {
			t.Fatal(err)
		}
	}
	a := storage.Failure{ID: "a", Kind: "object_missing", Reason: "gone", URI: "s3://b/a", Task: "t-a", Attempt: 1, At: t0}
	b := storage.Failure{ID: "b", Kind: "image_corrupt", Reason: "bad jpeg", URI: "s3://b/b", Task: "t-b", Attempt: 2, At: t0.Add(time.Second)}
	c := storage.Failure{ID: "c", Kind: "text_invalid", Reason: "empty", Task: "t-c", Attempt: 5, At: t0.Add(2 * time.Second)}
	record(a, c)
	record(b)

	ids := func(fails []storage.Failure) string {
		var s []string
		for _, f := range fails {
			s = append(s, f.ID)
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		limit int
		want  string
	}{{0, "c,b,a"}, {-1, "c,b,a"}, {2, "c,b"}, {1, "c"}, {10, "c,b,a"}}
	for _, tc := range tests {
		got, err := s.Failures(ctx, "v1", tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if ids(got) != tc.want {
			t.Errorf("Failures(limit %d) = %s, want %s", tc.limit, ids(got), tc.want)
		}
	}

	got, _ := s.Failures(ctx, "v1", 0)
	for i, want := range []storage.Failure{c, b, a} {
		if g := got[i]; g.ID != want.ID || g.Kind != want.Kind || g.Reason != want.Reason || g.URI != want.URI ||
			g.Task != want.Task || g.Attempt != want.Attempt || !g.At.Equal(want.At) {
			t.Errorf("failure %d = %+v, want %+v", i, g, want)
		}
	}

	a.At = t0.Add(time.Hour)
	a.Attempt = 2
	record(a)
	got, _ = s.Failures(ctx, "v1", 1)
	if len(got) != 1 || got[0].ID != "a" || got[0].Attempt != 2 {
		t.Errorf("after re-recording a: Failures(1) = %+v, want a, attempt 2", got)
	}
}

func testCurrent(t *testing.T, rdb redis.UniversalClient) {
	ctx := t.Context()
	s := newStore(rdb)
	if got, err := s.Current(ctx); got != "" || err != nil {
		t.Fatalf("Current() before any SetCurrent = %q, %v; want \"\", nil", got, err)
	}
	for _, space := range []string{"clip-v1", "clip-v2.2024_06"} {
		if err := s.SetCurrent(ctx, space); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Current(ctx); got != space || err != nil {
			t.Fatalf("Current() = %q, %v; want %q", got, err, space)
		}
	}
	if raw, _ := rdb.Get(ctx, "itemvec:current").Result(); raw != "clip-v2.2024_06" {
		t.Errorf("itemvec:current = %q", raw)
	}
	checkError(t, s.SetCurrent(ctx, "bad:space"), itemvec.KindBadInput, storage.CodeInvalidInput)
}

func testScan(t *testing.T, rdb redis.UniversalClient) {
	ctx := t.Context()
	s := newStore(rdb)
	const n = 600 // several SCAN pages
	items := make([]storage.ItemVector, n)
	for i := range items {
		items[i] = item(fmt.Sprintf("sku:%d", i), float32(i), -float32(i))
	}
	mustPublish(t, s, "v1", items...)
	mustPublish(t, s, "v2", item("other", 1))
	if err := s.RecordFailures(ctx, "v1", []storage.Failure{{ID: "failed-only", Kind: "x"}}); err != nil {
		t.Fatal(err)
	}

	seen := make(map[string]int)
	err := s.ScanItems(ctx, "v1", func(it *storage.ItemVector) error {
		seen[it.ID]++
		var i int
		if _, err := fmt.Sscanf(it.ID, "sku:%d", &i); err != nil {
			return fmt.Errorf("unexpected item %q", it.ID)
		}
		if !sameBits(it.Vector, []float32{float32(i), -float32(i)}) {
			return fmt.Errorf("item %q has vector %v", it.ID, it.Vector)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Errorf("ScanItems saw %d items, want %d", len(seen), n)
	}
	for id, count := range seen {
		if count != 1 {
			t.Errorf("ScanItems saw %q %d times", id, count)
		}
	}

	stop := errors.New("stop")
	calls := 0
	err = s.ScanItems(ctx, "v1", func(*storage.ItemVector) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("ScanItems with a failing fn: %v after %d calls, want stop after 1", err, calls)
	}
}

func testGetMissing(t *testing.T, rdb redis.UniversalClient) {
	s := newStore(rdb)
	mustPublish(t, s, "v1", item("a", 1), item("b", 2))
	got, err := s.Get(t.Context(), "v1", "a", "missing", "b")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] == nil || got[0].ID != "a" || got[1] != nil || got[2] == nil || got[2].ID != "b" {
		t.Errorf("Get(a, missing, b) = %v, want [a nil b]", got)
	}
	if got, err := s.Get(t.Context(), "v1"); len(got) != 0 || err != nil {
		t.Errorf("Get() = %v, %v; want nothing", got, err)
	}
}

func testInvalidInput(t *testing.T, rdb redis.UniversalClient) {
	ctx := t.Context()
	s := newStore(rdb)
	withBlocks := func(blocks map[string][]float32) storage.ItemVector {
		it := item("x", 1)
		it.Blocks = blocks
		return it
	}
	withModalities := func(m ...string) storage.ItemVector {
		it := item("x", 1)
		it.Modalities = m
		return it
	}
	tests := []struct {
		name  string
		space string
		items []storage.ItemVector
	}{
		{"empty id", "v1", []storage.ItemVector{item("ok", 1), item("", 1)}},
		{"empty vector", "v1", []storage.ItemVector{item("ok", 1), item("x")}},
		{"unknown block", "v1", []storage.ItemVector{withBlocks(map[string][]float32{"audio": {1}})}},
		{"unknown modality", "v1", []storage.ItemVector{withModalities("image", "smell")}},
		{"empty space", "", []storage.ItemVector{item("ok", 1)}},
		{"space with colon", "a:b", []storage.ItemVector{item("ok", 1)}},
		{"space with glob", "v*", []storage.ItemVector{item("ok", 1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkError(t, s.Publish(ctx, tc.space, tc.items), itemvec.KindBadInput, storage.CodeInvalidInput)
		})
	}
	checkError(t, s.RecordFailures(ctx, "v1", []storage.Failure{{Kind: "x"}}), itemvec.KindBadInput, storage.CodeInvalidInput)
	if n, err := rdb.DBSize(ctx).Result(); n != 0 || err != nil {
		t.Errorf("DBSIZE = %d, %v after rejected writes, want 0", n, err)
	}
}

func testCorrupt(t *testing.T, rdb redis.UniversalClient) {
	ctx := t.Context()
	s := newStore(rdb)
	tests := []struct {
		name   string
		fields []any
	}{
		{"partial float", []any{"vec", "\x00\x00\x80", "dim", "0", "updated_at", "1"}},
		{"dim mismatch", []any{"vec", "\x00\x00\x80\x3f", "dim", "2", "updated_at", "1"}},
		{"no vec", []any{"dim", "1", "updated_at", "1"}},
		{"bad updated_at", []any{"vec", "\x00\x00\x80\x3f", "dim", "1", "updated_at", "yesterday"}},
		{"bad block", []any{"vec", "\x00\x00\x80\x3f", "dim", "1", "updated_at", "1", "vec:text", "\x01"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := rdb.HSet(ctx, storage.ItemKey("v1", "bad"), tc.fields...).Err(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rdb.Del(context.Background(), storage.ItemKey("v1", "bad")) })
			_, err := s.Get(ctx, "v1", "bad")
			checkError(t, err, itemvec.KindConfig, storage.CodeCorruptRecord)
		})
	}
}

func testCanceled(t *testing.T, rdb redis.UniversalClient) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := newStore(rdb).Publish(ctx, "v1", []storage.ItemVector{item("a", 1)})
	checkError(t, err, itemvec.KindCanceled, storage.CodeCanceled)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("errors.Is(%v, context.Canceled) = false", err)
	}
}

func TestVectorStore_ConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	// max_retries=-1: one attempt per command, the caller decides on retries.
	rdb, err := storage.NewRedisClient("redis://" + addr + "/0?max_retries=-1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	s := newStore(rdb)
	checkError(t, s.Publish(t.Context(), "v1", []storage.ItemVector{item("a", 1)}), itemvec.KindUnavailable, storage.CodeUnavailable)
	_, err = s.Current(t.Context())
	checkError(t, err, itemvec.KindUnavailable, storage.CodeUnavailable)
}

func TestNewRedisClient(t *testing.T) {
	tests := []struct {
		url      string
		addr     string
		password string
		db       int
		tls      bool
	}{
		{url: "redis://127.0.0.1:6380/2", addr: "127.0.0.1:6380", db: 2},
		{url: "redis://:s3cret@cache.internal:6379/0", addr: "cache.internal:6379", password: "s3cret"},
		{url: "redis://localhost", addr: "localhost:6379"},
		{url: "rediss://:s3cret@cache.example.com:6380/1", addr: "cache.example.com:6380", password: "s3cret", db: 1, tls: true},
		{url: "rediss://cache.example.com", addr: "cache.example.com:6379", tls: true},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			rdb, err := storage.NewRedisClient(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rdb.Close() })
			opts := rdb.(*redis.Client).Options()
			if opts.Addr != tc.addr || opts.Password != tc.password || opts.DB != tc.db {
				t.Errorf("addr, password, db = %q, %q, %d; want %q, %q, %d", opts.Addr, opts.Password, opts.DB, tc.addr, tc.password, tc.db)
			}
			if gotTLS := opts.TLSConfig != nil; gotTLS != tc.tls {
				t.Fatalf("TLS = %v, want %v", gotTLS, tc.tls)
			}
			if tc.tls && opts.TLSConfig.ServerName != strings.Split(tc.addr, ":")[0] {
				t.Errorf("TLS ServerName = %q", opts.TLSConfig.ServerName)
			}
		})
	}
}

func TestNewRedisClient_RejectsBadURLWithoutLeakingPassword(t *testing.T) {
	for _, url := range []string{
		"http://:s3cret@host:6379",
		"redis://:s3cret@host:6379/not-a-db",
		"redis://:s3cret@host:6379/0?dial_timeout=soon",
		"redis://:s3cret@host:port/0",
		"redis://:s3cret@%zz/0",
	} {
		t.Run(url, func(t *testing.T) {
			_, err := storage.NewRedisClient(url)
			checkError(t, err, itemvec.KindConfig, storage.CodeInvalidInput)
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

// TestVectorStore_Cluster runs the conformance suite on a real 3-master
// Redis Cluster through a cluster client made from comma-separated URLs.
func TestVectorStore_Cluster(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	c := redistest.StartCluster(t, 3)
	runVectorStoreSuite(t, func(t *testing.T) redis.UniversalClient {
		rdb, err := storage.NewRedisClient(c.URL())
		if err != nil {
			t.Fatal(err)
		}
		cc, ok := rdb.(*redis.ClusterClient)
		if !ok {
			t.Fatalf("NewRedisClient(%q) is a %T, want a cluster client", c.URL(), rdb)
		}
		t.Cleanup(func() { rdb.Close() })
		if err := cc.ForEachMaster(t.Context(), func(ctx context.Context, m *redis.Client) error {
			return m.FlushDB(ctx).Err()
		}); err != nil {
			t.Fatal(err)
		}
		return rdb
	})
}
