package recs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/fusion/knn"
	"github.com/itemvec/itemvec/storage"
)

// Neighbour build methods.
const (
	MethodAuto  = "auto"
	MethodExact = "exact"
	MethodHNSW  = "hnsw"
)

// NeighborsConfig configures BuildNeighbors.
type NeighborsConfig struct {
	// Space is the space whose items get lists; required.
	Space string
	// K is the length of each list; 0 means 20.
	K int
	// Method is MethodExact, MethodHNSW or MethodAuto (""): exact up to
	// ExactLimit items, HNSW above.
	Method string
	// ExactLimit is where MethodAuto switches to HNSW; 0 means 20000.
	ExactLimit int
	// Full rebuilds every list even when an incremental build would do.
	Full bool
	// HNSW configures the index of an HNSW build; zero means
	// knn.DefaultHNSW().
	HNSW knn.HNSWConfig
	// RecallSample is the number of items whose HNSW lists are checked
	// against exact search (NeighborsReport.Recall); 0 means 200.
	RecallSample int
	Logger       *slog.Logger
}

// NeighborsReport says what BuildNeighbors did.
type NeighborsReport struct {
	// Items is the number of items of the space.
	Items int
	// Full is true for a build of every list, false for an incremental one.
	Full bool
	// Method is the method of a full build (exact or hnsw); an incremental
	// build is exact.
	Method string
	// Changed is the number of items published since the last build (an
	// incremental build gives them fresh lists); Updated the number of
	// other items whose lists changed because of them, Rescanned how many
	// of those needed an exact search of their own.
	Changed, Updated, Rescanned int
	// Published is the number of lists written.
	Published int
	// Recall is recall@10 of an HNSW build against exact search on
	// RecallSample items.
	Recall float64
	// Load, Build and Publish are the times of reading the vectors,
	// computing the lists and writing them.
	Load, Build, Publish time.Duration
	// StreamID is the update-stream entry the lists account for.
	StreamID string
}

// BuildNeighbors computes the top-K similar items of every item of a space
// and publishes them as storage.SimilarKey lists, then records the build
// (storage.NeighborsState).
//
// What is guaranteed: after a build, every item published up to the
// update-stream entry it records (read before the vectors) has a list.
// A full exact build gives every item its exact top K (ties by id). An
// incremental build — the default when a previous build with the same K
// exists and its stream position is still in the stream — reads the items
// published since, gives each of them its exact list, and updates every
// other list exactly with respect to them: a changed item enters a list it
// now beats, leaves one it no longer belongs to, and a list that lost a
// member and cannot be completed from what it held is recomputed by exact
// search. After an incremental build on top of an exact one, every list is
// the exact top K. On top of an HNSW build, the lists of unchanged items
// stay as approximate as that build was (with respect to unchanged items).
// A stream trimmed past the recorded entry, another K, or more changed
// items than a tenth of the space, give a full build.
func BuildNeighbors(ctx context.Context, store *storage.VectorStore, cfg NeighborsConfig) (NeighborsReport, error) {
	const op = "recs.BuildNeighbors"
	if cfg.K <= 0 {
		cfg.K = 20
	}
	if cfg.ExactLimit <= 0 {
		cfg.ExactLimit = 20000
	}
	if cfg.RecallSample <= 0 {
		cfg.RecallSample = 200
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	switch cfg.Method {
	case "", MethodAuto, MethodExact, MethodHNSW:
	default:
		return NeighborsReport{}, itemvec.Errorf(itemvec.KindConfig, op, "unknown method %q: use exact, hnsw or auto", cfg.Method)
	}
	var rep NeighborsReport
	last, err := store.LastUpdate(ctx, cfg.Space)
	if err != nil {
		return rep, err
	}
	rep.StreamID = last
	state, err := store.NeighborsState(ctx, cfg.Space)
	if err != nil {
		return rep, err
	}
	changed := map[string]bool{}
	rep.Full = cfg.Full || state == nil || state.K != cfg.K
	if !rep.Full {
		after := state.StreamID
		for {
			ups, trimmed, err := store.UpdatesAfter(ctx, cfg.Space, after, 1000)
			if err != nil {
				return rep, err
			}
			if trimmed {
				cfg.Logger.Info("update stream trimmed past the last neighbour build: rebuilding every list", "space", cfg.Space)
				rep.Full = true
				break
			}
			for _, u := range ups {
				if !storage.StreamIDLess(last, u.StreamID) {
					changed[u.ID] = true
				}
			}
			if len(ups) < 1000 {
				break
			}
			after = ups[len(ups)-1].StreamID
		}
	}

	start := time.Now()
	m, err := LoadMatrix(ctx, store, cfg.Space)
	if err != nil {
		return rep, err
	}
	rep.Load = time.Since(start)
	rep.Items = m.Len()
	if !rep.Full && len(changed) > m.Len()/10 {
		rep.Full = true
	}
	start = time.Now()
	var lists []storage.NeighborList
	if rep.Full {
		rep.Method = cfg.Method
		if rep.Method == "" || rep.Method == MethodAuto {
			rep.Method = MethodExact
			if m.Len() > cfg.ExactLimit {
				rep.Method = MethodHNSW
			}
		}
		all, recall, err := fullBuild(ctx, m, cfg, rep.Method)
		if err != nil {
			return rep, err
		}
		rep.Recall = recall
		lists = make([]storage.NeighborList, m.Len())
		for i := range all {
			lists[i] = storage.NeighborList{ID: m.IDs[i], Neighbors: toStorage(all[i])}
		}
	} else {
		rep.Method = MethodExact
		if state != nil && state.Method == MethodHNSW {
			rep.Method = MethodHNSW // the lists are still mostly the HNSW build's
			rep.Recall = state.Recall
		}
		lists, err = incremental(ctx, store, m, cfg, changed, &rep)
		if err != nil {
			return rep, err
		}
	}
	rep.Build = time.Since(start)
	start = time.Now()
	for i := 0; i < len(lists); i += 500 {
		if err := store.PublishNeighbors(ctx, cfg.Space, lists[i:min(i+500, len(lists))]); err != nil {
			return rep, err
		}
	}
	rep.Published = len(lists)
	rep.Publish = time.Since(start)
	if err := store.SaveNeighborsState(ctx, cfg.Space, storage.NeighborsState{
		K: cfg.K, Method: rep.Method, StreamID: last, Items: m.Len(), Recall: rep.Recall, BuiltAt: time.Now(),
	}); err != nil {
		return rep, err
	}
	cfg.Logger.Info("neighbour lists built", "space", cfg.Space, "items", rep.Items, "full", rep.Full, "method", rep.Method,
		"changed", rep.Changed, "updated", rep.Updated, "rescanned", rep.Rescanned, "published", rep.Published,
		"build", rep.Build.Round(time.Millisecond))
	return rep, nil
}

// LoadMatrix reads every vector of space into one matrix.
func LoadMatrix(ctx context.Context, store *storage.VectorStore, space string) (*knn.Matrix, error) {
	var m *knn.Matrix
	err := store.ScanVectors(ctx, space, storage.ScanVectorsOptions{Batch: 1000}, func(b *storage.VectorBatch) error {
		for i, id := range b.IDs {
			if m == nil {
				m = knn.NewMatrix(len(b.Vectors[i]), 1024)
			}
			if err := m.Add(id, b.Vectors[i]); err != nil {
				return itemvec.Wrap("recs.LoadMatrix", fmt.Errorf("item %s: %w", id, err))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, itemvec.Errorf(itemvec.KindNotFound, "recs.LoadMatrix", "space %s has no items", space)
	}
	return m, nil
}

func fullBuild(ctx context.Context, m *knn.Matrix, cfg NeighborsConfig, method string) ([][]knn.Neighbor, float64, error) {
	if method == MethodExact {
		all, err := knn.ExactAll(ctx, m, cfg.K)
		return all, 0, err
	}
	hc := cfg.HNSW
	if hc == (knn.HNSWConfig{}) {
		hc = knn.DefaultHNSW()
	}
	ix, err := knn.BuildHNSW(ctx, m, hc)
	if err != nil {
		return nil, 0, err
	}
	all, err := ix.All(ctx, cfg.K)
	if err != nil {
		return nil, 0, err
	}
	// Recall@10 on an evenly spread sample.
	n := min(cfg.RecallSample, m.Len())
	sample := make([]int, n)
	for i := range sample {
		sample[i] = i * m.Len() / n
	}
	exact, err := knn.ExactFor(ctx, m, sample, 10)
	if err != nil {
		return nil, 0, err
	}
	approx := make([][]knn.Neighbor, n)
	for i, q := range sample {
		approx[i] = all[q]
	}
	return all, knn.Recall(exact, approx, min(10, cfg.K)), nil
}

// incremental computes the lists an incremental build writes: fresh ones
// for the changed items and the lists of other items that changed because
// of them.
func incremental(ctx context.Context, store *storage.VectorStore, m *knn.Matrix, cfg NeighborsConfig, changed map[string]bool, rep *NeighborsReport) ([]storage.NeighborList, error) {
	var cs []int
	for id := range changed {
		if i, ok := m.Index(id); ok {
			cs = append(cs, i)
		}
	}
	rep.Changed = len(cs)
	if len(cs) == 0 {
		return nil, nil
	}
	fresh, err := knn.ExactFor(ctx, m, cs, cfg.K)
	if err != nil {
		return nil, err
	}
	lists := make([]storage.NeighborList, 0, len(cs))
	for j, c := range cs {
		lists = append(lists, storage.NeighborList{ID: m.IDs[c], Neighbors: toStorage(fresh[j])})
	}
	want := min(cfg.K, m.Len()-1)
	var rescan []int
	for start := 0; start < m.Len(); start += 1000 {
		end := min(start+1000, m.Len())
		old, err := store.Neighbors(ctx, cfg.Space, 0, m.IDs[start:end]...)
		if err != nil {
			return nil, err
		}
		for x := start; x < end; x++ {
			if changed[m.IDs[x]] {
				continue
			}
			list, ok, touched := merge(m, x, old[x-start], cs, changed, cfg.K, want)
			switch {
			case !ok:
				rescan = append(rescan, x)
			case touched:
				lists = append(lists, storage.NeighborList{ID: m.IDs[x], Neighbors: list})
				rep.Updated++
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, itemvec.Wrap("recs.BuildNeighbors", err)
		}
	}
	if len(rescan) > 0 {
		again, err := knn.ExactFor(ctx, m, rescan, cfg.K)
		if err != nil {
			return nil, err
		}
		for j, x := range rescan {
			lists = append(lists, storage.NeighborList{ID: m.IDs[x], Neighbors: toStorage(again[j])})
		}
		rep.Rescanned = len(rescan)
		rep.Updated += len(rescan)
	}
	return lists, nil
}

// merge updates the list old of item x for the changed items cs. It
// returns the new list, whether it is exact (false: x needs an exact
// search of its own) and whether it differs from old.
//
// old holds the best K of x before the change. Its members that did not
// change keep their scores and are the best of the unchanged items; an
// unchanged item outside old scores at most old's lowest score θ. So the
// merge of old's unchanged members with the changed items at their new
// scores is exact as long as it is full and every changed item it keeps
// scores at least θ; otherwise an unchanged item from outside old might
// belong, and x is rescanned.
func merge(m *knn.Matrix, x int, old []storage.Neighbor, cs []int, changed map[string]bool, k, want int) ([]storage.Neighbor, bool, bool) {
	theta := -1e9
	if len(old) >= k {
		theta = old[len(old)-1].Score
	} else if len(old) < want {
		// The list was short (the space has grown): θ is unknown.
		return nil, false, true
	}
	top := knn.NewTopK(k)
	touched := false
	for _, n := range old {
		if changed[n.ID] {
			touched = true
			continue
		}
		top.Push(n.ID, float32(n.Score))
	}
	row := m.Row(x)
	for _, c := range cs {
		s := knn.Dot(row, m.Row(c))
		if th, full := top.Threshold(); full && s < th {
			continue
		}
		top.Push(m.IDs[c], s)
	}
	got := top.Sorted()
	if len(got) < want {
		return nil, false, true
	}
	changedKept := false
	for _, n := range got {
		if changed[n.ID] {
			changedKept = true
			if float64(n.Score) < theta {
				return nil, false, true
			}
		}
	}
	return toStorage(got), true, touched || changedKept
}

func toStorage(ns []knn.Neighbor) []storage.Neighbor {
	out := make([]storage.Neighbor, len(ns))
	for i, n := range ns {
		out[i] = storage.Neighbor{ID: n.ID, Score: float64(n.Score)}
	}
	return out
}
