package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
)

// TestSpacesCommand runs itemvec spaces (table and JSON), show, promote
// (through both names) and drop against a real redis-server.
func TestSpacesCommand(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := t.Context()
	url := srv.URL()
	store := storage.NewVectorStore(rdb, storage.StoreConfig{})
	meta := func(space, enc string) storage.SpaceMeta {
		return storage.SpaceMeta{Space: space, SpecID: "spec-" + space, SpecHash: "h-" + space, Spec: json.RawMessage(`{"id":"spec-` + space + `"}`),
			Dim: 3, Blocks: []storage.SpaceBlock{{Name: "image", Offset: 0, Dim: 2, Model: "img@1"}, {Name: "behavior", Offset: 2, Dim: 1}},
			BehaviorFeatures: []string{"log_price"}, ImageModel: "img@1", TextModel: "none", Encoding: enc}
	}
	publish := func(space string, n int, warned bool) {
		t.Helper()
		var items []storage.ItemVector
		for i := range n {
			it := storage.ItemVector{ID: fmt.Sprintf("sku-%d", i), Vector: []float32{0.6, 0, 0.8}, SpecID: "spec-" + space, SpecHash: "h-" + space, ContentHash: "c"}
			if warned && i == 0 {
				it.Warnings = []string{"unknown_device: ios_app"}
			}
			items = append(items, it)
		}
		if err := store.Publish(ctx, space, items); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.RegisterSpace(ctx, meta("old", storage.EncodingFloat32)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // distinct creation times: the listing's order
	if err := store.RegisterSpace(ctx, meta("new", storage.EncodingFloat16)); err != nil {
		t.Fatal(err)
	}
	publish("old", 5, true)
	publish("new", 3, false)
	if err := store.RecordFailures(ctx, "old", []storage.Failure{{ID: "bad-1", Kind: "decode_corrupt", Reason: "r"}}); err != nil {
		t.Fatal(err)
	}

	// Promotion: refusals, then old, then new only with --force.
	for _, tc := range []struct {
		name string
		args []string
		kind itemvec.Kind
		want string
	}{
		{"no such space", []string{"spaces", "promote", "bogus-space"}, itemvec.KindNotFound, "does not exist"},
		{"old name, no such space", []string{"vectors", "promote", "bogus-space"}, itemvec.KindNotFound, "does not exist"},
		{"first promotion", []string{"spaces", "promote", "old"}, 0, `"" (0 items) -> "old" (5 items)`},
		{"fewer items", []string{"spaces", "promote", "new"}, itemvec.KindConfig, "--force"},
		{"fewer items, old name", []string{"vectors", "promote", "new"}, itemvec.KindConfig, "holds 3 items, the current space old holds 5"},
		{"forced", []string{"vectors", "promote", "new", "--force"}, 0, `"old" (5 items) -> "new" (3 items)`},
		{"back, more items", []string{"spaces", "promote", "old"}, 0, `"new" (3 items) -> "old" (5 items)`},
	} {
		out, _, err := run(t, append(tc.args, "--redis", url)...)
		if tc.kind == 0 {
			if err != nil || !strings.Contains(out, tc.want) {
				t.Errorf("%s: %q, %v; want %q", tc.name, out, err, tc.want)
			}
			continue
		}
		if itemvec.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a %v error naming %q", tc.name, err, tc.kind, tc.want)
		}
	}
	if n, err := rdb.XLen(ctx, storage.PromotionsKey).Result(); err != nil || n != 3 {
		t.Errorf("%d promotion entries (%v), want 3", n, err)
	}
	if cur, _ := store.Current(ctx); cur != "old" {
		t.Errorf("current %q, want old", cur)
	}

	out, _, err := run(t, "spaces", "--redis", url)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("table %q", out)
	}
	for i, want := range [][]string{
		{"SPACE", "ITEMS", "FAILED", "WARNINGS", "CREATED", "SPEC", "IMAGE", "TEXT", "ENCODING"},
		{"*", "old", "5", "1", "1", "spec-old", "img@1", "none", "float32"},
		{"new", "3", "0", "0", "spec-new", "img@1", "none", "float16"},
	} {
		got := strings.Fields(lines[i])
		if i > 0 { // the creation time is two fields: date and time
			got = append(got[:len(got)-6:len(got)-6], got[len(got)-4:]...)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("row %d: %q, want %q", i, lines[i], strings.Join(want, " "))
		}
	}

	out, _, err = run(t, "spaces", "--redis", url, "--json")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Space                   string
		Items, Failed, Warnings int64
		Current                 bool
		Spec, Encoding          string
		ImageModel              string `json:"image_model"`
		TextModel               string `json:"text_model"`
		Dim                     int
		CreatedAt               time.Time `json:"created_at"`
	}
	var rows []row
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r row
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("--json line %q: %v", l, err)
		}
		rows = append(rows, r)
	}
	if len(rows) != 2 || rows[0].Space != "old" || !rows[0].Current || rows[0].Items != 5 || rows[0].Failed != 1 || rows[0].Warnings != 1 ||
		rows[1].Space != "new" || rows[1].Current || rows[1].Encoding != "float16" || rows[1].Dim != 3 || rows[1].TextModel != "none" ||
		!rows[0].CreatedAt.Before(rows[1].CreatedAt) {
		t.Errorf("--json rows %+v", rows)
	}

	out, _, err = run(t, "spaces", "show", "new", "--redis", url)
	if err != nil {
		t.Fatal(err)
	}
	var m storage.SpaceMeta
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("show: %q: %v", out, err)
	}
	var spec bytes.Buffer
	if err := json.Compact(&spec, m.Spec); err != nil {
		t.Fatal(err)
	}
	if m.Space != "new" || m.Encoding != "float16" || len(m.Blocks) != 2 || m.Blocks[1] != (storage.SpaceBlock{Name: "behavior", Offset: 2, Dim: 1}) ||
		spec.String() != `{"id":"spec-new"}` || m.BehaviorFeatures[0] != "log_price" {
		t.Errorf("show: %+v", m)
	}
	if _, _, err := run(t, "spaces", "show", "nope", "--redis", url); itemvec.KindOf(err) != itemvec.KindNotFound {
		t.Errorf("show a space without meta: %v", err)
	}

	// Drop: a preview without --yes (exit 1, nothing deleted), the current
	// space refused, then the real thing in batches.
	keys := func(space string) int {
		ks, err := rdb.Keys(ctx, "itemvec:"+space+":*").Result()
		if err != nil {
			t.Fatal(err)
		}
		return len(ks)
	}
	before := keys("new")
	out, _, err = run(t, "spaces", "drop", "new", "--redis", url)
	// 3 items, the update stream, the meta.
	if exitCode(err) != 1 || !strings.Contains(out, "would delete 5 keys of space new (3 indexed items, 0 failure records") {
		t.Errorf("drop without --yes: %q, exit %d (%v)", out, exitCode(err), err)
	}
	if keys("new") != before {
		t.Errorf("the preview deleted keys: %d of %d left", keys("new"), before)
	}
	if _, _, err := run(t, "spaces", "drop", "nothing-here", "--redis", url); itemvec.KindOf(err) != itemvec.KindNotFound {
		t.Errorf("drop preview of an empty space: %v", err)
	}
	if _, _, err := run(t, "spaces", "drop", "old", "--yes", "--redis", url); itemvec.KindOf(err) != itemvec.KindConfig {
		t.Errorf("drop the current space: %v", err)
	}
	out, stderr, err := run(t, "spaces", "drop", "new", "--yes", "--batch", "2", "--redis", url)
	if err != nil || !strings.Contains(out, "dropped space new: 5 keys deleted") || strings.Count(stderr, "dropping new:") < 3 {
		t.Errorf("drop --yes --batch 2: %q, %q, %v", out, stderr, err)
	}
	if n := keys("new"); n != 0 {
		t.Errorf("%d keys of new left", n)
	}
	if n := keys("old"); n == 0 {
		t.Error("dropping new deleted old's keys")
	}
}
