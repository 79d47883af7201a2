package redistest

import (
	"context"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestStartCluster: three masters that share the slots, so keys spread
// over every node.
func TestStartCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	c := StartCluster(t, 3)
	rdb := c.Client()
	ctx := t.Context()
	for i := range 60 {
		k := string(rune('a'+i%26)) + string(rune('a'+i/26))
		if err := rdb.Set(ctx, k, k, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu    sync.Mutex
		sizes []int64
	)
	if err := rdb.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		n, err := m.DBSize(ctx).Result()
		mu.Lock()
		sizes = append(sizes, n)
		mu.Unlock()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	for _, n := range sizes {
		if n == 0 {
			t.Errorf("a master holds no key: %v", sizes)
		}
		total += n
	}
	if len(sizes) != 3 || total != 60 {
		t.Fatalf("masters hold %v keys, want 3 masters with 60 in all", sizes)
	}
}
