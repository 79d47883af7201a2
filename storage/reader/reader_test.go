package reader_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/reader"
	"github.com/itemvec/itemvec/storage/redistest"
)

func publish(t *testing.T, s *storage.VectorStore, space string, ids ...string) {
	t.Helper()
	var items []storage.ItemVector
	for i, id := range ids {
		a := float32(i) / 10
		items = append(items, storage.ItemVector{ID: id, Vector: []float32{1 - a, a}, SpecID: "s", SpecHash: "h", ContentHash: id})
	}
	if err := s.Publish(t.Context(), space, items); err != nil {
		t.Fatal(err)
	}
}

// TestSimilarSource: a list of at least K entries is what Similar
// returns; a shorter one, or Exact, gives a scan; an unknown item is
// KindNotFound.
func TestSimilarSource(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	rdb := redistest.Start(t).Client()
	ctx := t.Context()
	s := storage.NewVectorStore(rdb, storage.StoreConfig{})
	publish(t, s, "sp", "a", "b", "c", "d")
	// A deliberately wrong list, to tell list from scan.
	if err := s.PublishNeighbors(ctx, "sp", []storage.NeighborList{{ID: "a", Neighbors: []storage.Neighbor{{ID: "d", Score: 0.9}, {ID: "c", Score: 0.8}}}}); err != nil {
		t.Fatal(err)
	}
	rd := reader.New(rdb)
	for _, tc := range []struct {
		name string
		o    reader.SimilarOptions
		want string
	}{
		{"list long enough", reader.SimilarOptions{K: 2}, "[d c]"},
		{"list too short", reader.SimilarOptions{K: 3}, "[b c d]"},
		{"exact", reader.SimilarOptions{K: 2, Exact: true}, "[b c]"},
	} {
		got, err := rd.Similar(ctx, "sp", "a", tc.o)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range got {
			ids = append(ids, r.ID)
		}
		if fmt.Sprint(ids) != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, ids, tc.want)
		}
	}
	if _, err := rd.Similar(ctx, "sp", "zz", reader.SimilarOptions{K: 2, Exact: true}); itemvec.KindOf(err) != itemvec.KindNotFound {
		t.Errorf("an unknown item: %v", err)
	}
	if _, _, err := rd.Recommend(ctx, "sp", "nobody", reader.RecommendOptions{}); itemvec.KindOf(err) != itemvec.KindNotFound {
		t.Errorf("an unknown user: %v", err)
	}
}

// TestFollow: "$" sees only what is published after the call; promotions
// and user updates arrive with their fields.
func TestFollow(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	rdb := redistest.Start(t).Client()
	s := storage.NewVectorStore(rdb, storage.StoreConfig{})
	rd := reader.New(rdb)
	publish(t, s, "sp", "old")
	if err := s.RegisterSpace(t.Context(), storage.SpaceMeta{Space: "sp", SpecID: "s", SpecHash: "h", Dim: 2}); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	updates := make(chan string, 10)
	promos := make(chan reader.Promotion, 10)
	users := make(chan reader.UserUpdate, 10)
	done := make(chan error, 3)
	go func() {
		done <- rd.FollowUpdates(ctx, "sp", "$", func(u storage.Update) error { updates <- u.ID; return nil })
	}()
	go func() {
		done <- rd.FollowPromotions(ctx, "$", func(p reader.Promotion) error { promos <- p; return nil })
	}()
	go func() {
		done <- rd.FollowUsers(ctx, "sp", "0", func(u reader.UserUpdate) error { users <- u; return nil })
	}()
	time.Sleep(200 * time.Millisecond) // let the followers resolve "$"
	publish(t, s, "sp", "new-1", "new-2")
	if _, err := s.Promote(ctx, "sp", storage.PromoteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.PublishUsers(ctx, "sp", []storage.UserVector{{User: "u1", Vector: []float32{1, 0}, Sum: []float32{2, 0}, Events: 3}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"new-1", "new-2"} {
		select {
		case got := <-updates:
			if got != want {
				t.Errorf("update %s, want %s (old entries must not be replayed)", got, want)
			}
		case <-ctx.Done():
			t.Fatal("no update")
		}
	}
	select {
	case p := <-promos:
		if p.Space != "sp" || p.Items != 3 || p.At.IsZero() {
			t.Errorf("promotion %+v", p)
		}
	case <-ctx.Done():
		t.Fatal("no promotion")
	}
	select {
	case u := <-users:
		if u.User != "u1" || u.Events != 3 {
			t.Errorf("user update %+v", u)
		}
	case <-ctx.Done():
		t.Fatal("no user update")
	}
	cancel()
	for range 3 {
		if err := <-done; err != nil {
			t.Errorf("a follower ended with %v, want nil on cancel", err)
		}
	}
}
