package reader_test

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/reader"
)

// exampleRedis is an in-process Redis (miniredis) holding a tiny space,
// so that the examples run anywhere; reader_test.go runs the same calls
// against a real redis-server.
func exampleRedis() redis.UniversalClient {
	mr, err := miniredis.Run()
	if err != nil {
		panic(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	store := storage.NewVectorStore(rdb, storage.StoreConfig{})
	ctx := context.Background()
	items := []storage.ItemVector{
		{ID: "mug-red", Vector: []float32{1, 0, 0}, Item: []byte(`{"text":{"title":"Red mug"}}`)},
		{ID: "mug-blue", Vector: []float32{0.96, 0.28, 0}, Item: []byte(`{"text":{"title":"Blue mug"}}`)},
		{ID: "teapot", Vector: []float32{0.6, 0.8, 0}, Item: []byte(`{"text":{"title":"Teapot"}}`)},
		{ID: "sofa", Vector: []float32{0, 0, 1}, Item: []byte(`{"text":{"title":"Sofa"}}`)},
	}
	for i := range items {
		items[i].SpecID, items[i].SpecHash, items[i].ContentHash = "example", "h", items[i].ID
	}
	if err := store.Publish(ctx, "shop", items); err != nil {
		panic(err)
	}
	if err := store.SetCurrent(ctx, "shop"); err != nil {
		panic(err)
	}
	// A shopper who looked at the red mug on a phone and ordered the teapot
	// on a PC (itemvec users build writes this from events).
	if err := store.PublishUsers(ctx, "shop", []storage.UserVector{{User: "ann", Vector: []float32{0.8, 0.6, 0}, Sum: []float32{0.8, 0.6, 0},
		SpecID: "itemvec-users-v1", SpecHash: "h", Events: 2, Devices: map[string]int{"mobile": 1, "pc": 1}, Excluded: []string{"teapot"}}}); err != nil {
		panic(err)
	}
	return rdb
}

func Example() {
	ctx := context.Background()
	rd := reader.New(exampleRedis())
	space, _ := rd.Current(ctx)

	similar, _ := rd.Similar(ctx, space, "mug-red", reader.SimilarOptions{K: 2, Titles: true})
	for _, r := range similar {
		fmt.Printf("like mug-red: %s %q %.2f\n", r.ID, r.Title, r.Score)
	}
	recs, _, _ := rd.Recommend(ctx, space, "ann", reader.RecommendOptions{K: 2, Titles: true})
	for _, r := range recs {
		fmt.Printf("for ann: %s %q %.2f\n", r.ID, r.Title, r.Score)
	}
	// Output:
	// like mug-red: mug-blue "Blue mug" 0.96
	// like mug-red: teapot "Teapot" 0.60
	// for ann: mug-blue "Blue mug" 0.94
	// for ann: mug-red "Red mug" 0.80
}

func ExampleReader_FollowUpdates() {
	rdb := exampleRedis()
	rd := reader.New(rdb)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// From "0": every entry the stream holds; a cache would pass its last
	// seen entry id, or "$" for new entries only.
	n := 0
	_ = rd.FollowUpdates(ctx, "shop", "0", func(u storage.Update) error {
		fmt.Println(u.Op, u.ID)
		if n++; n == 4 {
			cancel()
		}
		return nil
	})
	// Output:
	// upsert mug-red
	// upsert mug-blue
	// upsert teapot
	// upsert sofa
}
