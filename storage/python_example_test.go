package storage_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
)

// python is Debian's python3 with redis-py (make setup-test installs
// python3-redis), or a skip (a failure under ITEMVEC_REQUIRE_DEPS=1).
func python(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import redis").Run(); err != nil {
		testdeps.Missing(t, "%s cannot import redis (%v): run make setup-test (apt python3-redis)", py, err)
	}
	return py
}

// TestPythonReaderExample runs docs/examples/reader.py — redis-py and
// struct only — against a real redis-server holding what the Go side
// wrote, and requires its answers to equal Go's: decoded float32 and
// float16 vectors, precomputed and scanned similar items, a user vector,
// recommendations without the excluded items, and the update and
// promotion streams. If the example drifts from the contract, this fails.
func TestPythonReaderExample(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server")
	}
	py := python(t)
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := t.Context()
	script := filepath.Join(testdeps.Root(t), "docs", "examples", "reader.py")
	runPy := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(py, append([]string{"-B", script, "--redis", srv.URL()}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("reader.py %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	decodeJSON := func(s string, v any) {
		t.Helper()
		if err := json.Unmarshal([]byte(s), v); err != nil {
			t.Fatalf("%v: %s", err, s)
		}
	}

	vecs := map[string][]float32{}
	for _, enc := range []string{storage.EncodingFloat32, storage.EncodingFloat16} {
		s := storage.NewVectorStore(rdb, storage.StoreConfig{Encoding: enc})
		space := "py-" + enc
		if err := s.RegisterSpace(ctx, storage.SpaceMeta{Space: space, SpecID: "spec", SpecHash: "h", Spec: json.RawMessage(`{}`), Dim: 3,
			Blocks: []storage.SpaceBlock{{Name: "image", Offset: 0, Dim: 3, Model: "m@1"}}, ImageModel: "m@1", TextModel: "none", Encoding: enc}); err != nil {
			t.Fatal(err)
		}
		var items []storage.ItemVector
		for i := range 30 {
			a, b := float64(i)*0.1, float64(i%7)*0.3
			v := []float32{float32(math.Cos(a) * math.Cos(b)), float32(math.Sin(a) * math.Cos(b)), float32(math.Sin(b))}
			id := fmt.Sprintf("sku-%02d", i)
			if enc == storage.EncodingFloat32 {
				vecs[id] = v
			}
			it := storage.ItemVector{ID: id, Vector: v, SpecID: "spec", SpecHash: "h", ContentHash: id}
			if i%2 == 0 {
				it.Item = []byte(fmt.Sprintf(`{"id":%q,"text":{"title":"Product %d"}}`, id, i))
			}
			items = append(items, it)
		}
		if err := s.Publish(ctx, space, items); err != nil {
			t.Fatal(err)
		}
	}
	s := storage.NewVectorStore(rdb, storage.StoreConfig{})
	if _, err := s.Promote(ctx, "py-float32", storage.PromoteOptions{}); err != nil {
		t.Fatal(err)
	}

	// current
	var cur struct {
		Space string `json:"space"`
		Meta  struct {
			Dim      int    `json:"dim"`
			Encoding string `json:"encoding"`
		} `json:"meta"`
	}
	decodeJSON(runPy("current"), &cur)
	if cur.Space != "py-float32" || cur.Meta.Dim != 3 || cur.Meta.Encoding != "float32" {
		t.Errorf("current: %+v", cur)
	}

	// get, in both encodings: Go's decoding, exactly.
	for _, space := range []string{"py-float32", "py-float16"} {
		var got map[string]*struct {
			Dim   int       `json:"dim"`
			Norm  float64   `json:"norm"`
			First []float64 `json:"first"`
			Title *string   `json:"title"`
		}
		decodeJSON(runPy("--space", space, "get", "sku-03", "sku-04", "nope"), &got)
		want, err := s.Get(ctx, space, "sku-03", "sku-04")
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			g := got[w.ID]
			if g == nil || g.Dim != 3 || len(g.First) != 3 {
				t.Fatalf("%s %s: %+v", space, w.ID, g)
			}
			for j := range w.Vector {
				if g.First[j] != float64(w.Vector[j]) {
					t.Errorf("%s %s[%d]: python %v, Go %v", space, w.ID, j, g.First[j], w.Vector[j])
				}
			}
		}
		if got["nope"] != nil || got["sku-04"].Title == nil || *got["sku-04"].Title != "Product 4" || got["sku-03"].Title != nil {
			t.Errorf("%s: missing item or titles wrong: %+v", space, got)
		}
	}

	// similar: the precomputed list as written, then an exact scan.
	lists := []storage.NeighborList{{ID: "sku-00", Neighbors: []storage.Neighbor{{ID: "sku-29", Score: 0.5}, {ID: "sku-01", Score: 0.25}}}}
	if err := s.PublishNeighbors(ctx, "py-float32", lists); err != nil {
		t.Fatal(err)
	}
	var sim [][]any
	decodeJSON(runPy("similar", "sku-00", "--k", "2"), &sim)
	if fmt.Sprint(sim) != "[[sku-29 0.5] [sku-01 0.25]]" {
		t.Errorf("similar from the list: %v", sim)
	}
	decodeJSON(runPy("similar", "sku-00", "--k", "5", "--exact"), &sim)
	if want := bruteTop(vecs, vecs["sku-00"], 5, map[string]bool{"sku-00": true}); fmt.Sprint(ids(sim)) != fmt.Sprint(want) {
		t.Errorf("similar --exact: %v, want %v", ids(sim), want)
	}

	// user and recommend.
	uvec := []float32{0.6, 0.8, 0}
	if err := s.PublishUsers(ctx, "py-float32", []storage.UserVector{{User: "u1", Vector: uvec, Sum: []float32{3, 4, 0}, SpecID: "itemvec-users-v1",
		SpecHash: "x", Events: 4, Devices: map[string]int{"pc": 1, "mobile": 3}, Excluded: []string{"sku-09"}}}); err != nil {
		t.Fatal(err)
	}
	var u struct {
		Dim      int            `json:"dim"`
		Norm     float64        `json:"norm"`
		Events   int            `json:"events"`
		Devices  map[string]int `json:"devices"`
		Excluded []string       `json:"excluded"`
		Spec     string         `json:"spec"`
	}
	decodeJSON(runPy("user", "u1"), &u)
	if u.Dim != 3 || math.Abs(u.Norm-1) > 1e-6 || u.Events != 4 || u.Devices["mobile"] != 3 || fmt.Sprint(u.Excluded) != "[sku-09]" || u.Spec != "itemvec-users-v1" {
		t.Errorf("user: %+v", u)
	}
	decodeJSON(runPy("recommend", "u1", "--k", "6"), &sim)
	if want := bruteTop(vecs, uvec, 6, map[string]bool{"sku-09": true}); fmt.Sprint(ids(sim)) != fmt.Sprint(want) {
		t.Errorf("recommend: %v, want %v", ids(sim), want)
	}

	// follow: the update stream's 30 entries, then the promotion.
	lines := strings.Split(strings.TrimSpace(runPy("follow", "--count", "40", "--block", "200")), "\n")
	if len(lines) != 30 || !strings.Contains(lines[0], `"id": "sku-00"`) || !strings.Contains(lines[29], `"op": "upsert"`) {
		t.Errorf("follow: %d entries: %v", len(lines), lines[:min(2, len(lines))])
	}
	if out := runPy("follow", "--promotions", "--count", "5", "--block", "200"); !strings.Contains(out, `"space": "py-float32"`) {
		t.Errorf("follow --promotions: %s", out)
	}
}

func ids(rows [][]any) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r[0].(string))
	}
	return out
}

func bruteTop(vecs map[string][]float32, q []float32, k int, skip map[string]bool) []string {
	type sc struct {
		id string
		s  float64
	}
	var all []sc
	for id, v := range vecs {
		if skip[id] {
			continue
		}
		var s float64
		for j := range v {
			s += float64(v[j]) * float64(q[j])
		}
		all = append(all, sc{id, s})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].s != all[j].s {
			return all[i].s > all[j].s
		}
		return all[i].id < all[j].id
	})
	var out []string
	for _, x := range all[:k] {
		out = append(out, x.id)
	}
	return out
}
