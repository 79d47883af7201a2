package reader

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/fusion/knn"
	"github.com/itemvec/itemvec/fusion/users"
	"github.com/itemvec/itemvec/storage"
)

// Reader reads one Redis (a server or a cluster). It is safe for
// concurrent use.
type Reader struct {
	store *storage.VectorStore
}

// New returns a Reader of rdb, e.g. storage.NewRedisClient's.
func New(rdb redis.UniversalClient) *Reader {
	return &Reader{store: storage.NewVectorStore(rdb, storage.StoreConfig{})}
}

// Store is the store the reader reads through, for what Reader does not
// wrap (failures, warnings, spaces).
func (r *Reader) Store() *storage.VectorStore { return r.store }

// Current returns the current space: the one to read unless told
// otherwise. An empty Redis has none (KindNotFound).
func (r *Reader) Current(ctx context.Context) (string, error) {
	return r.store.Current(ctx)
}

// Space returns the meta of space (nil when it has none).
func (r *Reader) Space(ctx context.Context, space string) (*storage.SpaceMeta, error) {
	return r.store.Space(ctx, space)
}

// Items returns the items with the given ids, nil where an id has none.
func (r *Reader) Items(ctx context.Context, space string, ids ...string) ([]*storage.ItemVector, error) {
	return r.store.Get(ctx, space, ids...)
}

// Result is one ranked item.
type Result struct {
	ID string `json:"id"`
	// Score ranks the results: the dot product (cosine) with the query,
	// plus the device prior for Recommend with a device.
	Score float64 `json:"score"`
	// Cosine is the dot product alone.
	Cosine float64 `json:"cosine"`
	// Title is the product's title when the space holds its manifest line
	// and it has one.
	Title string `json:"title,omitempty"`
}

// SimilarOptions control Similar.
type SimilarOptions struct {
	// K is the number of results; 0 means 10.
	K int
	// Exact scans the space even where a precomputed list exists.
	Exact bool
	// Titles fills Result.Title (one more round trip, for the results).
	Titles bool
}

// ScanStats says what an exact scan read.
type ScanStats struct {
	Items   int
	Elapsed time.Duration
}

// ItemsPerSecond is the scan rate.
func (s ScanStats) ItemsPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Items) / s.Elapsed.Seconds()
}

// Similar returns the items most similar to the item id, best first,
// itself excluded: its precomputed list when it holds at least K entries
// and o.Exact is false, else an exact scan. An id without a vector is a
// KindNotFound error.
func (r *Reader) Similar(ctx context.Context, space, id string, o SimilarOptions) ([]Result, error) {
	if o.K <= 0 {
		o.K = 10
	}
	if !o.Exact {
		lists, err := r.store.Neighbors(ctx, space, o.K, id)
		if err != nil {
			return nil, err
		}
		if len(lists[0]) >= o.K {
			out := make([]Result, len(lists[0]))
			for i, n := range lists[0] {
				out[i] = Result{ID: n.ID, Score: n.Score, Cosine: n.Score}
			}
			if o.Titles {
				if err := r.titles(ctx, space, out); err != nil {
					return nil, err
				}
			}
			return out, nil
		}
	}
	res, _, err := r.SimilarExact(ctx, space, []string{id}, o)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// SimilarExact returns the exact top o.K of each id (itself excluded) in
// one scan of the space, and what the scan read.
func (r *Reader) SimilarExact(ctx context.Context, space string, ids []string, o SimilarOptions) ([][]Result, ScanStats, error) {
	const op = "reader.Reader.SimilarExact"
	if o.K <= 0 {
		o.K = 10
	}
	items, err := r.store.Get(ctx, space, ids...)
	if err != nil {
		return nil, ScanStats{}, err
	}
	queries := make([][]float32, len(ids))
	for i, it := range items {
		if it == nil {
			return nil, ScanStats{}, itemvec.Errorf(itemvec.KindNotFound, op, "item %q has no vector in space %s", ids[i], space)
		}
		queries[i] = it.Vector
	}
	sc := knn.NewScanner(queries, ids, o.K)
	stats, err := r.scan(ctx, space, false, func(_ *storage.VectorBatch, m *knn.Matrix) { sc.Scan(m) })
	if err != nil {
		return nil, stats, err
	}
	out := make([][]Result, len(ids))
	for q, ns := range sc.Results() {
		out[q] = make([]Result, len(ns))
		for i, n := range ns {
			out[q][i] = Result{ID: n.ID, Score: float64(n.Score), Cosine: float64(n.Score)}
		}
		if o.Titles {
			if err := r.titles(ctx, space, out[q]); err != nil {
				return nil, stats, err
			}
		}
	}
	return out, stats, nil
}

// titles fills the titles of res from the items' manifest lines.
func (r *Reader) titles(ctx context.Context, space string, res []Result) error {
	ids := make([]string, len(res))
	for i, x := range res {
		ids[i] = x.ID
	}
	lines, err := r.store.ItemLines(ctx, space, ids...)
	if err != nil {
		return err
	}
	for i, l := range lines {
		res[i].Title = title(l)
	}
	return nil
}

// scan streams space through fn as matrices of its batches.
func (r *Reader) scan(ctx context.Context, space string, withItems bool, fn func(*storage.VectorBatch, *knn.Matrix)) (ScanStats, error) {
	start := time.Now()
	var st ScanStats
	var m knn.Matrix
	err := r.store.ScanVectors(ctx, space, storage.ScanVectorsOptions{WithItems: withItems}, func(b *storage.VectorBatch) error {
		if b.Dim == 0 {
			return itemvec.Errorf(itemvec.KindConfig, "reader.scan", "space %s holds vectors of different lengths", space)
		}
		m = knn.Matrix{Dim: b.Dim, IDs: b.IDs, Data: b.Data}
		fn(b, &m)
		st.Items += len(b.IDs)
		return nil
	})
	st.Elapsed = time.Since(start)
	return st, err
}

// User returns the vector of user in space, nil when the user has none.
func (r *Reader) User(ctx context.Context, space, user string) (*storage.UserVector, error) {
	us, err := r.store.Users(ctx, space, user)
	if err != nil {
		return nil, err
	}
	return us[0], nil
}

// RecommendOptions control Recommend.
type RecommendOptions struct {
	// K is the number of results; 0 means 10.
	K int
	// Device, when set, adds the spec's device prior for that device to
	// each score (fusion/users: Spec.Prior).
	Device string
	// Spec is the user spec whose device prior applies; nil means the
	// default spec.
	Spec *users.Spec
	// Titles fills Result.Title.
	Titles bool
}

// Recommend returns the top o.K items of space for user, best first: the
// items with the highest dot product with the user's vector (plus the
// device prior with o.Device), leaving out the items the user's vector
// excludes (ordered ones with the default spec). A user without a vector
// is a KindNotFound error.
func (r *Reader) Recommend(ctx context.Context, space, user string, o RecommendOptions) ([]Result, ScanStats, error) {
	const op = "reader.Reader.Recommend"
	if o.K <= 0 {
		o.K = 10
	}
	u, err := r.User(ctx, space, user)
	if err != nil {
		return nil, ScanStats{}, err
	}
	if u == nil {
		return nil, ScanStats{}, itemvec.Errorf(itemvec.KindNotFound, op, "user %q has no vector in space %s (run itemvec users build)", user, space)
	}
	spec := o.Spec
	if spec == nil {
		spec = users.DefaultSpec()
	}
	excluded := make(map[string]bool, len(u.Excluded))
	for _, id := range u.Excluded {
		excluded[id] = true
	}
	top := knn.NewTopK(o.K)
	cosine := map[string]float64{}
	var line itemLine
	withPrior := o.Device != ""
	stats, err := r.scan(ctx, space, withPrior, func(b *storage.VectorBatch, m *knn.Matrix) {
		for i, id := range b.IDs {
			if excluded[id] {
				continue
			}
			c := knn.Dot(u.Vector, m.Row(i))
			score := float64(c)
			if withPrior {
				line = itemLine{}
				if len(b.Items[i]) > 0 {
					_ = json.Unmarshal(b.Items[i], &line) // a line that does not parse has no prior
				}
				score += spec.Prior(line.Behavior, o.Device)
			}
			if th, full := top.Threshold(); full && float32(score) < th {
				continue
			}
			top.Push(id, float32(score))
			cosine[id] = float64(c)
		}
	})
	if err != nil {
		return nil, stats, err
	}
	ns := top.Sorted()
	out := make([]Result, len(ns))
	for i, n := range ns {
		out[i] = Result{ID: n.ID, Score: float64(n.Score), Cosine: cosine[n.ID]}
	}
	if o.Titles {
		if err := r.titles(ctx, space, out); err != nil {
			return nil, stats, err
		}
	}
	return out, stats, nil
}

// itemLine is what Reader reads of a manifest line.
type itemLine struct {
	Text struct {
		Title string `json:"title"`
	} `json:"text"`
	Behavior *fusion.Behavior `json:"behavior"`
}

func title(line json.RawMessage) string {
	if len(line) == 0 {
		return ""
	}
	var l itemLine
	if json.Unmarshal(line, &l) != nil {
		return ""
	}
	return l.Text.Title
}

// Promotion is one entry of itemvec:promotions.
type Promotion struct {
	StreamID, Space, Previous string
	Items                     int64
	At                        time.Time
}

// FollowPromotions calls fn for each promotion after the entry id from
// ("$": from now on, "0": every one kept), until ctx ends.
func (r *Reader) FollowPromotions(ctx context.Context, from string, fn func(Promotion) error) error {
	return r.store.FollowStream(ctx, storage.PromotionsKey, from, time.Second, func(e storage.StreamEntry) error {
		p := Promotion{StreamID: e.ID, Space: e.Fields["space"], Previous: e.Fields["previous"]}
		p.Items, _ = strconv.ParseInt(e.Fields["items"], 10, 64)
		p.At = unixMilli(e.Fields["at"])
		return fn(p)
	})
}

// FollowUpdates calls fn for each item publish of space after the entry
// id from, until ctx ends: a cache drops or re-reads the item.
func (r *Reader) FollowUpdates(ctx context.Context, space, from string, fn func(storage.Update) error) error {
	return r.store.FollowStream(ctx, storage.StreamKey(space), from, time.Second, func(e storage.StreamEntry) error {
		return fn(storage.Update{StreamID: e.ID, ID: e.Fields["id"], Op: e.Fields["op"],
			ContentHash: e.Fields["content_hash"], UpdatedAt: unixMilli(e.Fields["updated_at"])})
	})
}

// UserUpdate is one entry of a space's user update stream.
type UserUpdate struct {
	StreamID, User string
	Events         int
	UpdatedAt      time.Time
}

// FollowUsers calls fn for each user vector publish of space after the
// entry id from, until ctx ends.
func (r *Reader) FollowUsers(ctx context.Context, space, from string, fn func(UserUpdate) error) error {
	return r.store.FollowStream(ctx, storage.UserStreamKey(space), from, time.Second, func(e storage.StreamEntry) error {
		u := UserUpdate{StreamID: e.ID, User: e.Fields["user"], UpdatedAt: unixMilli(e.Fields["updated_at"])}
		u.Events, _ = strconv.Atoi(e.Fields["events"])
		return fn(u)
	})
}

func unixMilli(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
