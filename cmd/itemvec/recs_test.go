package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
)

// TestRecommenderCommands runs similar, neighbors build, users build and
// recommend against a real redis-server holding a small space whose
// answers are known: items on a circle, so similarity is angle.
func TestRecommenderCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	srv := redistest.Start(t)
	ctx := t.Context()
	store := storage.NewVectorStore(srv.Client(), storage.StoreConfig{})
	var items []storage.ItemVector
	for i := range 12 {
		a := float64(i) * math.Pi / 12 // 15° apart, half a circle
		items = append(items, storage.ItemVector{ID: fmt.Sprintf("sku-%02d", i), Vector: []float32{float32(math.Cos(a)), float32(math.Sin(a))},
			SpecID: "s", SpecHash: "h", ContentHash: fmt.Sprint(i),
			Item: []byte(fmt.Sprintf(`{"id":"sku-%02d","text":{"title":"Title %d"},"behavior":{"devices":{"mobile":{"views":%d},"pc":{"views":%d}}}}`, i, i, 10+i*10, 120-i*10))})
	}
	if err := store.Publish(ctx, "circle", items); err != nil {
		t.Fatal(err)
	}
	if err := store.SetCurrent(ctx, "circle"); err != nil {
		t.Fatal(err)
	}
	redis := "--redis=" + srv.URL()

	// similar: an exact scan before any build.
	out, errOut, err := run(t, "similar", redis, "--exact", "--k", "3", "--json", "sku-05")
	if err != nil {
		t.Fatalf("similar: %v\n%s", err, errOut)
	}
	var res struct {
		Source  string `json:"source"`
		Results []struct {
			ID    string  `json:"id"`
			Score float64 `json:"score"`
			Title string  `json:"title"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("similar --json: %v: %s", err, out)
	}
	if res.Source != "exact" || len(res.Results) != 3 || res.Results[2].ID != "sku-03" && res.Results[2].ID != "sku-07" ||
		!(res.Results[0].ID == "sku-04" || res.Results[0].ID == "sku-06") || res.Results[0].Title == "" || !strings.Contains(errOut, "items/s") {
		t.Errorf("similar sku-05: %+v (%s)", res, errOut)
	}

	// neighbors build, then similar reads the lists.
	if out, errOut, err := run(t, "neighbors", "build", redis, "--k", "4"); err != nil || !strings.Contains(out, "full exact build of 12 items: 12 lists published") {
		t.Fatalf("neighbors build: %v\n%s%s", err, out, errOut)
	}
	out, _, err = run(t, "similar", redis, "--k", "2", "sku-00")
	if err != nil || !strings.Contains(out, "neighbors") || !strings.Contains(out, "sku-01") || !strings.Contains(out, "Title 2") {
		t.Errorf("similar from the lists: %v\n%s", err, out)
	}
	if out, _, err := run(t, "neighbors", "build", redis, "--k", "4"); err != nil || !strings.Contains(out, "incremental") || !strings.Contains(out, "0 lists published") {
		t.Errorf("a second build without changes: %v\n%s", err, out)
	}

	// users build from a file with a bad line, then recommend.
	events := filepath.Join(t.TempDir(), "events.jsonl")
	lines := []string{
		`{"user":"u1","device":"mobile","item":"sku-00","action":"view","ts":1764000000000}`,
		`{"user":"u1","device":"pc","item":"sku-01","action":"order","ts":1764000001000}`,
		`{"user":"u1","device":"pc","item":"sku-02","action":"click","ts":1764000002000}`,
		`{"user":"u1","device":"tablet","item":"sku-99","action":"view","ts":1764000003000}`,
		`{"user":"u1","device":"pc","action":"view","ts":1}`,
	}
	if err := os.WriteFile(events, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err = run(t, "users", "build", redis, "--events", events)
	if err != nil || !strings.Contains(out, "1 user vectors from 3 events") || !strings.Contains(out, "1 lines skipped, 1 items without a vector") ||
		!strings.Contains(errOut, "line 5") {
		t.Fatalf("users build: %v\n%s%s", err, out, errOut)
	}
	out, _, err = run(t, "recommend", redis, "--k", "3", "--json", "u1")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res.Results {
		got = append(got, r.ID)
	}
	if strings.Join(got, ",") != "sku-02,sku-00,sku-03" && strings.Join(got, ",") != "sku-00,sku-02,sku-03" {
		t.Errorf("recommend u1 = %v; want the items near sku-00..02 without the ordered sku-01", got)
	}
	for _, id := range got {
		if id == "sku-01" {
			t.Error("recommend returned the ordered item")
		}
	}
	// --device only reranks: the same candidates, the ordered item still
	// left out.
	out, _, err = run(t, "recommend", redis, "--k", "11", "--device", "mobile", "u1")
	if err != nil || strings.Contains(out, "sku-01 ") || !strings.Contains(out, "device prior mobile") || strings.Count(out, "Title ") != 11 {
		t.Errorf("recommend --device mobile: %v\n%s", err, out)
	}
	out, _, err = run(t, "users", "get", redis, "u1")
	if err != nil || !strings.Contains(out, `"excluded":["sku-01"]`) || !strings.Contains(out, `"events":3`) {
		t.Errorf("users get: %v\n%s", err, out)
	}
	if _, _, err := run(t, "recommend", redis, "nobody"); exitCode(err) == 0 {
		t.Error("recommend for a user without a vector succeeded")
	}
	out, _, err = run(t, "users", "eval", redis, "--users", "40", "--k", "3")
	if err != nil || !strings.Contains(out, "split") || !strings.Contains(out, "HIT-RATE@3") {
		t.Errorf("users eval: %v\n%s", err, out)
	}
}
