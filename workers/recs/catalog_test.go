package recs_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/fusion/users"
	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/reader"
	"github.com/itemvec/itemvec/storage/redistest"
	"github.com/itemvec/itemvec/storage/s3test"
	"github.com/itemvec/itemvec/workers"
	"github.com/itemvec/itemvec/workers/demo"
	"github.com/itemvec/itemvec/workers/demo/catalog"
	"github.com/itemvec/itemvec/workers/recs"
)

// TestSampleCatalog runs the recommender side on the sample catalog as
// make run embeds it (real MobileNetV2 + USE Lite on ONNX Runtime, real
// redis-server and versitygw): neighbour lists equal the exact top K with
// near-duplicates first; reader.Similar agrees with them and with an exact
// scan; user vectors built from a file and from a Redis stream (in two
// increments) equal a reference computed here from the same events;
// recommend leaves ordered items out and, with a device, only reranks;
// and the unified vector beats per-device vectors on split users.
func TestSampleCatalog(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs ONNX Runtime, the models and the sample catalog")
	}
	testdeps.Require(t, "ort/libonnxruntime.so.1", "models/mobilenetv2_nsfwjs_gap.onnx", "models/use_lite.onnx", "catalog/manifest.jsonl")
	cat, err := catalog.Load(filepath.Join(testdeps.Dir(t), "catalog"))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redistest.Start(t).Client()
	s3 := s3test.StartVersity(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	store := storage.NewVectorStore(rdb, storage.StoreConfig{})
	const k = 10

	// The image-only space (v1): near-duplicates come first in the lists.
	v1, v1vecs := embedCatalog(t, ctx, rdb, s3, cat, workers.TextModelNone)
	if _, err := recs.BuildNeighbors(ctx, store, recs.NeighborsConfig{Space: v1, K: k}); err != nil {
		t.Fatal(err)
	}
	checkLists(t, store, v1, v1vecs, k)
	pairs := cat.NearDuplicatePairs()
	if len(pairs) == 0 {
		t.Fatal("the sample catalog has no near-duplicate pairs")
	}
	for _, p := range pairs {
		for _, id := range p {
			lists, _ := store.Neighbors(ctx, v1, 1, id)
			if len(lists[0]) != 1 || !cat.SameGroup(id, lists[0][0].ID) {
				t.Errorf("%s: first neighbour %v is not from the same photo", id, lists[0])
			}
		}
	}

	// The default space (v2, image + USE Lite text + behaviour): the rest.
	space, vecs := embedCatalog(t, ctx, rdb, s3, cat, "")
	if !strings.HasPrefix(space, "itemvec-fusion-v2-") {
		t.Fatalf("default space %q", space)
	}
	nrep, err := recs.BuildNeighbors(ctx, store, recs.NeighborsConfig{Space: space, K: k})
	if err != nil || nrep.Method != recs.MethodExact || nrep.Published != len(vecs) {
		t.Fatalf("neighbours: %+v, %v", nrep, err)
	}
	checkLists(t, store, space, vecs, k)

	// reader: the precomputed list, and an exact scan, agree.
	rd := reader.New(rdb)
	q := pairs[0][0]
	fromList, err := rd.Similar(ctx, space, q, reader.SimilarOptions{K: 5, Titles: true})
	if err != nil {
		t.Fatal(err)
	}
	exact, st, err := rd.SimilarExact(ctx, space, []string{q}, reader.SimilarOptions{K: 5, Titles: true})
	if err != nil || st.Items != len(vecs) {
		t.Fatalf("exact scan of %d items: %v", st.Items, err)
	}
	if len(fromList) != 5 || len(exact) != 1 || len(exact[0]) != 5 {
		t.Fatalf("K=5: %d from the list, %d from the scan (%d queries); want 5 each", len(fromList), len(exact[0]), len(exact))
	}
	for i := range fromList {
		if fromList[i].ID != exact[0][i].ID || math.Abs(fromList[i].Score-exact[0][i].Score) > 1e-5 || fromList[i].Title == "" {
			t.Errorf("rank %d: list %+v, scan %+v", i, fromList[i], exact[0][i])
		}
	}

	// Users from a file of events.
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range vecs {
			if !yield(id) {
				return
			}
		}
	})
	rows := make([][]float32, len(ids))
	for i, id := range ids {
		rows[i] = vecs[id]
	}
	sim := users.Simulate(users.SimConfig{Seed: 1, Users: 60}, ids, rows)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(f)
	for _, e := range sim.Train {
		_ = enc.Encode(e)
	}
	f.WriteString("{\"user\":\"broken\"}\n")
	f.WriteString(`{"user":"u-x","device":"pc","item":"not-in-the-catalog","action":"view","ts":1}` + "\n")
	f.Close()
	f, _ = os.Open(path)
	urep, err := recs.BuildUsers(ctx, store, recs.UsersConfig{Space: space, Events: f})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if urep.Users != 60 || urep.Events != len(sim.Train) || len(urep.BadLines) != 1 || urep.UnknownItems["not-in-the-catalog"] != 1 {
		t.Fatalf("users build: %d users, %d events, bad %v, unknown %v", urep.Users, urep.Events, urep.BadLines, urep.UnknownItems)
	}
	byUser := map[string][]users.Event{}
	for _, e := range sim.Train {
		byUser[e.User] = append(byUser[e.User], e)
	}
	spec := users.DefaultSpec()
	behavior := map[string]*fusion.Behavior{}
	for _, it := range cat.Items {
		behavior[it.ID] = it.Behavior
	}
	checked := 0
	for uid, events := range byUser {
		u, err := rd.User(ctx, space, uid)
		if err != nil || u == nil {
			t.Fatalf("user %s: %v, %v", uid, u, err)
		}
		want := referenceUser(spec, events, vecs)
		if d := maxDiff(u.Vector, want); d > 1e-5 {
			t.Errorf("%s: user vector differs from the reference by %g", uid, d)
		}
		ordered := map[string]bool{}
		for _, e := range events {
			if e.Action == users.ActionOrder {
				ordered[e.Item] = true
			}
		}
		if !sameSet(u.Excluded, ordered) || u.SpecHash != spec.Hash() || u.Events != len(events) {
			t.Errorf("%s: excluded %v (ordered %v), spec %s, events %d", uid, u.Excluded, ordered, u.SpecHash, u.Events)
		}
		// recommend: every item but the ordered ones, in brute-force order.
		recsAll, _, err := rd.Recommend(ctx, space, uid, reader.RecommendOptions{K: len(ids)})
		if err != nil {
			t.Fatal(err)
		}
		if len(recsAll) != len(ids)-len(ordered) {
			t.Errorf("%s: %d recommendations, want %d items minus %d ordered", uid, len(recsAll), len(ids), len(ordered))
		}
		bf := users.Recommend(u.Vector, ids, rows, 10, ordered, nil)
		for i, r := range recsAll {
			if ordered[r.ID] {
				t.Errorf("%s: recommended %s, which the user ordered", uid, r.ID)
			}
			if i < len(bf) && (math.Abs(r.Score-bf[i].Score) > 1e-5) {
				t.Errorf("%s rank %d: %+v, brute force %+v", uid, i, r, bf[i])
			}
		}
		// A device reranks by the prior; the vector is the one user vector.
		mobile, _, err := rd.Recommend(ctx, space, uid, reader.RecommendOptions{K: 10, Device: "mobile"})
		if err != nil {
			t.Fatal(err)
		}
		lines := map[int]float64{}
		for i, id := range ids {
			lines[i] = spec.Prior(behavior[id], "mobile")
		}
		bfm := users.Recommend(u.Vector, ids, rows, 10, ordered, func(i int) float64 { return lines[i] })
		if len(mobile) != len(bfm) {
			t.Fatalf("%s mobile: %d recommendations, brute force %d", uid, len(mobile), len(bfm))
		}
		for i := range bfm {
			// Every rank's score must match; its id too, unless the brute
			// force has another item with the same score (a tie either
			// order may break).
			if math.Abs(mobile[i].Score-bfm[i].Score) > 1e-6 || (mobile[i].ID != bfm[i].ID && !tied(bfm, i, 1e-6)) {
				t.Errorf("%s mobile rank %d: %+v, brute force %+v", uid, i, mobile[i], bfm[i])
			}
		}
		checked++
	}
	if checked != 60 {
		t.Errorf("checked %d users", checked)
	}

	// The same events as a Redis stream, in two increments, under other
	// user ids: the vectors equal the file build's.
	const stream = "test:events"
	half := len(sim.Train) / 2
	add := func(events []users.Event) {
		for _, e := range events {
			e.User = "s-" + e.User
			if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: e.Fields()}).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	add(sim.Train[:half])
	if r, err := recs.BuildUsers(ctx, store, recs.UsersConfig{Space: space, Stream: stream}); err != nil || r.Events != half {
		t.Fatalf("first stream build: %+v, %v", r, err)
	}
	add(sim.Train[half:])
	if r, err := recs.BuildUsers(ctx, store, recs.UsersConfig{Space: space, Stream: stream}); err != nil || r.Events != len(sim.Train)-half {
		t.Fatalf("second stream build: %+v, %v", r, err)
	}
	for uid := range byUser {
		a, _ := rd.User(ctx, space, uid)
		b, _ := rd.User(ctx, space, "s-"+uid)
		if b == nil || maxDiff(b.Vector, toF64(a.Vector)) > 1e-5 || b.Events != a.Events || !slices.Equal(a.Excluded, b.Excluded) {
			t.Errorf("%s: stream-built vector differs from the file build (%+v)", uid, b)
		}
	}

	// Why it matters: unified vs per-device on split users.
	rep, _, err := recs.Evaluate(ctx, store, space, spec, users.SimConfig{Seed: 1, Users: 400}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	_ = rep.Print(&b)
	t.Logf("sample catalog, %d items:\n%s", len(ids), b.String())
	if s := rep.Populations[users.PopulationSplit]; s.HitUnified <= s.HitDevice {
		t.Errorf("split users: unified hit-rate %.3f is not above the device's own %.3f", s.HitUnified, s.HitDevice)
	}
}

// embedCatalog runs the sample catalog through a real worker with the
// given text model and returns its space and vectors.
func embedCatalog(t *testing.T, ctx context.Context, rdb redis.UniversalClient, s3 *s3test.Server, cat *catalog.Catalog, textModel string) (string, map[string][]float32) {
	t.Helper()
	w, err := workers.New(ctx, workers.Config{
		Redis: rdb, S3: s3.ReaderConfig(), Concurrency: 3, PollInterval: 100 * time.Millisecond,
		Models: workers.ModelConfig{Device: onnx.DeviceCPU, MaxBatch: 8, MaxWait: 2 * time.Millisecond, Text: textModel},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	job, err := demo.RunJob(ctx, w, demo.Job{Catalog: cat, Uploader: s3, Batch: 8, MaxRetry: 1})
	if err != nil {
		t.Fatal(err)
	}
	vecs := map[string][]float32{}
	for id, v := range job.Vectors {
		vecs[id] = v.Vector
	}
	if len(vecs) != len(cat.Items) {
		t.Fatalf("%d vectors for %d products", len(vecs), len(cat.Items))
	}
	return w.Space(), vecs
}

func referenceUser(spec *users.Spec, events []users.Event, vecs map[string][]float32) []float64 {
	asOf := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var sum []float64
	for _, e := range events {
		v := vecs[e.Item]
		if sum == nil {
			sum = make([]float64, len(v))
		}
		w := spec.Actions[e.Action] * math.Pow(0.5, asOf.Sub(e.Time).Hours()/spec.HalfLifeHours)
		for i, x := range v {
			sum[i] += w * float64(x)
		}
	}
	var n float64
	for _, x := range sum {
		n += x * x
	}
	for i := range sum {
		sum[i] /= math.Sqrt(n)
	}
	return sum
}

func maxDiff(a []float32, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-b[i]))
	}
	return d
}

func toF64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func sameSet(list []string, set map[string]bool) bool {
	if len(list) != len(set) {
		return false
	}
	for _, x := range list {
		if !set[x] {
			return false
		}
	}
	return true
}

// tied reports whether another entry of recs scores within tol of recs[i].
func tied(recs []users.Scored, i int, tol float64) bool {
	for j, r := range recs {
		if j != i && math.Abs(r.Score-recs[i].Score) <= tol {
			return true
		}
	}
	return false
}
