package storage_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
)

// TestMigrateKeys: items and failure records of the layout before hash
// tags are renamed to tagged keys, indexed, readable, and a second run
// moves nothing.
func TestMigrateKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	rdb := redistest.Start(t).Client()
	ctx := t.Context()
	s := storage.NewVectorStore(rdb, storage.StoreConfig{})
	vec := string(storage.EncodeVector([]float32{1, 0}))
	for _, id := range []string{"a", "b"} {
		if err := rdb.HSet(ctx, "itemvec:old:item:"+id, "vec", vec, "dim", "2", "spec", "s", "spec_hash", "h",
			"content_hash", "c", "updated_at", "1700000000000", "modalities", "image").Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.HSet(ctx, "itemvec:old:failed:z", "reason", "r", "kind", "decode_corrupt", "attempt", "1", "at", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.ZAdd(ctx, storage.FailedIndexKey("old"), redisZ("z")).Err(); err != nil {
		t.Fatal(err)
	}
	n, err := s.MigrateKeys(ctx, "old")
	if err != nil || n != 3 {
		t.Fatalf("moved %d keys, %v; want 3", n, err)
	}
	got, err := s.Get(ctx, "old", "a", "b")
	if err != nil || got[0] == nil || got[1] == nil {
		t.Fatalf("after the migration: %+v, %v", got, err)
	}
	if c, _ := rdb.ZCard(ctx, storage.IndexKey("old")).Result(); c != 2 {
		t.Errorf("index holds %d items, want 2", c)
	}
	if f, err := s.Failures(ctx, "old", 0); err != nil || len(f) != 1 || f[0].ID != "z" {
		t.Errorf("failures %+v, %v", f, err)
	}
	if n, err := s.MigrateKeys(ctx, "old"); err != nil || n != 0 {
		t.Errorf("second run moved %d, %v", n, err)
	}
}

func redisZ(member string) redis.Z { return redis.Z{Score: 1, Member: member} }
