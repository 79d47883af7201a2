package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The recommender side of a space: precomputed neighbour lists and user
// vectors. docs/contract.md documents each key.

// SimilarKey is the ZSET of an item's precomputed nearest items in a
// space: members are item ids, scores their dot product with the item
// (cosine: vectors are unit). The id is a hash tag, as in ItemKey, so the
// list lives in its item's slot.
func SimilarKey(space, id string) string { return "itemvec:" + space + ":similar:{" + id + "}" }

// NeighborsKey is the HASH describing the last neighbour build of a space
// (see NeighborsState).
func NeighborsKey(space string) string { return "itemvec:" + space + ":neighbors" }

// UserKey is the HASH holding one user's vector in a space (see
// UserVector); the user id is a hash tag.
func UserKey(space, user string) string { return "itemvec:" + space + ":user:{" + user + "}" }

// UserIndexKey is the ZSET of the users of a space with a vector, scored by
// their last publish (unix ms).
func UserIndexKey(space string) string { return "itemvec:" + space + ":users" }

// UserStreamKey is the STREAM with one entry (fields user, updated_at,
// events) per user vector publish.
func UserStreamKey(space string) string { return "itemvec:" + space + ":user-updates" }

// UsersStateKey is the HASH of the event sources user vectors of a space
// were built from: field "stream:<key>" holds the last entry id read from
// that Redis stream.
func UsersStateKey(space string) string { return "itemvec:" + space + ":users:state" }

// VectorBatch is one batch of ScanVectors: parallel slices, valid only
// during the callback (the next batch reuses them).
type VectorBatch struct {
	IDs     []string
	Vectors [][]float32
	// Data holds the vectors back to back when they all have length Dim
	// (Dim 0: they do not), so that Vectors[i] is Data[i*Dim:(i+1)*Dim].
	Data []float32
	Dim  int
	// Items holds the manifest line of each item (nil where absent), only
	// with ScanVectorsOptions.WithItems.
	Items []json.RawMessage
}

// ScanVectorsOptions control ScanVectors.
type ScanVectorsOptions struct {
	// Batch is the number of items per round trip and per callback; 0
	// means 512.
	Batch int
	// WithItems also reads each item's manifest line (titles, counters).
	WithItems bool
}

// ScanVectors streams the vectors of every item of space, in batches:
// ZSCAN over the space's id index and one pipelined HMGET per batch. It
// holds one batch in memory, whatever the size of the space. Items
// published during the scan may or may not be seen; none is seen twice.
// An error of fn stops the scan and is returned as is.
func (s *VectorStore) ScanVectors(ctx context.Context, space string, o ScanVectorsOptions, fn func(*VectorBatch) error) error {
	const op = "storage.VectorStore.ScanVectors"
	if err := checkSpace(op, space); err != nil {
		return err
	}
	if o.Batch <= 0 {
		o.Batch = 512
	}
	fields := []string{fieldVec, fieldEncoding}
	if o.WithItems {
		fields = append(fields, fieldItem)
	}
	var (
		seen  = make(map[string]struct{})
		pend  []string
		b     VectorBatch
		flat  []float32
		cmds  = make([]*redis.SliceCmd, 0, o.Batch)
		index = IndexKey(space)
	)
	flush := func() error {
		if len(pend) == 0 {
			return nil
		}
		cmds = cmds[:0]
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, id := range pend {
				cmds = append(cmds, p.HMGet(ctx, ItemKey(space, id), fields...))
			}
			return nil
		}); err != nil {
			return redisError(op, index, err)
		}
		b.IDs, b.Vectors, b.Items = b.IDs[:0], b.Vectors[:0], b.Items[:0]
		flat = flat[:0]
		var offsets []int
		for i, cmd := range cmds {
			vals := cmd.Val()
			raw, ok := vals[0].(string)
			if !ok {
				continue // deleted since the index named it
			}
			enc, _ := vals[1].(string)
			n, err := appendDecoded(&flat, raw, enc)
			if err != nil {
				return newError(op, ItemKey(space, pend[i]), CodeCorruptRecord, fmt.Errorf("field vec: %w", err))
			}
			offsets = append(offsets, len(flat)-n)
			b.IDs = append(b.IDs, pend[i])
			if o.WithItems {
				var line json.RawMessage
				if s, ok := vals[2].(string); ok && s != "" {
					line = json.RawMessage(s)
				}
				b.Items = append(b.Items, line)
			}
		}
		for i, off := range offsets {
			end := len(flat)
			if i+1 < len(offsets) {
				end = offsets[i+1]
			}
			b.Vectors = append(b.Vectors, flat[off:end:end])
		}
		b.Data, b.Dim = flat, 0
		if len(b.Vectors) > 0 && len(flat) == len(b.Vectors)*len(b.Vectors[0]) {
			b.Dim = len(b.Vectors[0])
			for _, v := range b.Vectors {
				if len(v) != b.Dim {
					b.Dim = 0
					break
				}
			}
		}
		pend = pend[:0]
		if len(b.IDs) == 0 {
			return nil
		}
		return fn(&b)
	}
	var cursor uint64
	for {
		page, err := s.ScanIndex(ctx, space, cursor, int64(o.Batch))
		if err != nil {
			return err
		}
		for _, id := range page.IDs {
			if _, dup := seen[id]; dup {
				continue
			}
			seen[id] = struct{}{}
			pend = append(pend, id)
			if len(pend) >= o.Batch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if cursor = page.Next; cursor == 0 {
			break
		}
	}
	return flush()
}

// appendDecoded appends the floats of an encoded vector to *flat, without
// an intermediate slice, and returns how many.
func appendDecoded(flat *[]float32, raw, encoding string) (int, error) {
	size := 4
	switch encoding {
	case "", EncodingFloat32:
	case EncodingFloat16:
		size = 2
	default:
		return 0, fmt.Errorf("unknown vector encoding %q", encoding)
	}
	if len(raw)%size != 0 {
		return 0, fmt.Errorf("%d bytes is not a whole number of %s values", len(raw), encoding)
	}
	n := len(raw) / size
	v := *flat
	for i := 0; i < n; i++ {
		if size == 4 {
			b := raw[4*i : 4*i+4]
			v = append(v, math.Float32frombits(uint32(b[0])|uint32(b[1])<<8|uint32(b[2])<<16|uint32(b[3])<<24))
		} else {
			b := raw[2*i : 2*i+2]
			v = append(v, Float16Value(uint16(b[0])|uint16(b[1])<<8))
		}
	}
	*flat = v
	return n, nil
}

// replaceZSetLua replaces the ZSET KEYS[1] with the score/member pairs of
// ARGV (none: deletes it).
const replaceZSetLua = `redis.call('DEL', KEYS[1])
for i = 1, #ARGV, 2 do redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i+1]) end
return #ARGV / 2`

// replaceHashLua replaces the HASH KEYS[1] with the field/value pairs of
// ARGV.
const replaceHashLua = `redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`

// pipelined runs fn's commands in one MULTI/EXEC on a single server and in
// one plain pipeline on a cluster, where no transaction spans two slots:
// each command (or script) is then atomic on its own.
func (s *VectorStore) pipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error) {
	if _, ok := s.rdb.(*redis.ClusterClient); ok {
		return s.rdb.Pipelined(ctx, fn)
	}
	return s.rdb.TxPipelined(ctx, fn)
}

// Neighbor is one entry of a neighbour list: an item id and its dot
// product with the list's item.
type Neighbor struct {
	ID    string
	Score float64
}

// NeighborList is the precomputed list of one item.
type NeighborList struct {
	ID        string
	Neighbors []Neighbor
}

// PublishNeighbors replaces the neighbour list (SimilarKey) of each item,
// each atomically (one script in its item's slot), all in one pipeline:
// one MULTI/EXEC on a single server. An empty list deletes the key.
func (s *VectorStore) PublishNeighbors(ctx context.Context, space string, lists []NeighborList) error {
	const op = "storage.VectorStore.PublishNeighbors"
	if err := checkSpace(op, space); err != nil {
		return err
	}
	for _, l := range lists {
		if l.ID == "" {
			return newError(op, "itemvec:"+space, CodeInvalidInput, errors.New("neighbour list without an item id"))
		}
	}
	_, err := s.pipelined(ctx, func(p redis.Pipeliner) error {
		for _, l := range lists {
			args := make([]any, 0, 2*len(l.Neighbors))
			for _, n := range l.Neighbors {
				args = append(args, n.Score, n.ID)
			}
			p.Eval(ctx, replaceZSetLua, []string{SimilarKey(space, l.ID)}, args...)
		}
		return nil
	})
	if err != nil {
		return redisError(op, "itemvec:"+space+":similar", err)
	}
	return nil
}

// Neighbors returns up to k entries of the precomputed list of each id,
// best first, in one round trip: nil for an id without a list. k <= 0
// means the whole list.
func (s *VectorStore) Neighbors(ctx context.Context, space string, k int, ids ...string) ([][]Neighbor, error) {
	const op = "storage.VectorStore.Neighbors"
	if err := checkSpace(op, space); err != nil {
		return nil, err
	}
	stop := int64(k) - 1
	if k <= 0 {
		stop = -1
	}
	cmds := make([]*redis.ZSliceCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.ZRevRangeWithScores(ctx, SimilarKey(space, id), 0, stop)
		}
		return nil
	}); err != nil {
		return nil, redisError(op, "itemvec:"+space+":similar", err)
	}
	out := make([][]Neighbor, len(ids))
	for i, cmd := range cmds {
		for _, z := range cmd.Val() {
			id, _ := z.Member.(string)
			out[i] = append(out[i], Neighbor{ID: id, Score: z.Score})
		}
	}
	return out, nil
}

// NeighborsState is what the last neighbour build of a space covered.
type NeighborsState struct {
	// K is the list length the build asked for.
	K int
	// Method is "exact" or "hnsw".
	Method string
	// StreamID is the last update-stream entry the lists account for: an
	// incremental build reads the stream after it.
	StreamID string
	// Items is the number of items with a list after the build.
	Items int
	// Recall is the measured recall@10 of an HNSW build against exact
	// search on a sample of its items; 0 for an exact build.
	Recall  float64
	BuiltAt time.Time
}

// NeighborsState returns the last neighbour build of space, nil if none.
func (s *VectorStore) NeighborsState(ctx context.Context, space string) (*NeighborsState, error) {
	const op = "storage.VectorStore.NeighborsState"
	if err := checkSpace(op, space); err != nil {
		return nil, err
	}
	h, err := s.rdb.HGetAll(ctx, NeighborsKey(space)).Result()
	if err != nil {
		return nil, redisError(op, NeighborsKey(space), err)
	}
	if len(h) == 0 {
		return nil, nil
	}
	st := &NeighborsState{Method: h["method"], StreamID: h["stream_id"]}
	var ms int64
	for _, f := range []struct {
		name string
		dst  any
	}{{"k", &st.K}, {"items", &st.Items}, {"recall", &st.Recall}, {"built_at", &ms}} {
		if err := parseField(h[f.name], f.dst); err != nil {
			return nil, newError(op, NeighborsKey(space), CodeCorruptRecord, fmt.Errorf("field %s: %w", f.name, err))
		}
	}
	st.BuiltAt = time.UnixMilli(ms)
	return st, nil
}

// SaveNeighborsState records a neighbour build of space.
func (s *VectorStore) SaveNeighborsState(ctx context.Context, space string, st NeighborsState) error {
	const op = "storage.VectorStore.SaveNeighborsState"
	if err := checkSpace(op, space); err != nil {
		return err
	}
	if err := s.rdb.HSet(ctx, NeighborsKey(space),
		"k", st.K, "method", st.Method, "stream_id", st.StreamID, "items", st.Items,
		"recall", strconv.FormatFloat(st.Recall, 'f', -1, 64), "built_at", st.BuiltAt.UnixMilli()).Err(); err != nil {
		return redisError(op, NeighborsKey(space), err)
	}
	return nil
}

func parseField(s string, dst any) error {
	if s == "" {
		return nil
	}
	var err error
	switch d := dst.(type) {
	case *int:
		*d, err = strconv.Atoi(s)
	case *int64:
		*d, err = strconv.ParseInt(s, 10, 64)
	case *float64:
		*d, err = strconv.ParseFloat(s, 64)
	}
	return err
}

// Update is one entry of a space's update stream.
type Update struct {
	// StreamID is the entry's id in the stream.
	StreamID    string
	ID          string
	Op          string
	ContentHash string
	UpdatedAt   time.Time
}

// UpdatesAfter returns up to count entries of the update stream of space
// after the entry id after ("" or "0": from the start), oldest first, and
// whether the stream was trimmed past after (the first kept entry is
// newer than after, so entries were lost to MAXLEN and the caller must
// re-read the whole space).
func (s *VectorStore) UpdatesAfter(ctx context.Context, space, after string, count int64) (ups []Update, trimmed bool, err error) {
	const op = "storage.VectorStore.UpdatesAfter"
	if err := checkSpace(op, space); err != nil {
		return nil, false, err
	}
	key := StreamKey(space)
	if after == "" {
		after = "0"
	}
	if after != "0" {
		first, err := s.rdb.XRangeN(ctx, key, "-", "+", 1).Result()
		if err != nil {
			return nil, false, redisError(op, key, err)
		}
		if len(first) == 1 && StreamIDLess(after, first[0].ID) {
			// after itself was trimmed: what followed it may have been too.
			trimmed = true
		}
	}
	msgs, err := s.rdb.XRangeN(ctx, key, "("+after, "+", count).Result()
	if err != nil {
		return nil, false, redisError(op, key, err)
	}
	for _, m := range msgs {
		u := Update{StreamID: m.ID}
		u.ID, _ = m.Values["id"].(string)
		u.Op, _ = m.Values["op"].(string)
		u.ContentHash, _ = m.Values["content_hash"].(string)
		if at, ok := m.Values["updated_at"].(string); ok {
			if ms, err := strconv.ParseInt(at, 10, 64); err == nil {
				u.UpdatedAt = time.UnixMilli(ms)
			}
		}
		ups = append(ups, u)
	}
	return ups, trimmed, nil
}

// LastUpdate returns the id of the newest entry of the update stream of
// space, "0" when it is empty.
func (s *VectorStore) LastUpdate(ctx context.Context, space string) (string, error) {
	const op = "storage.VectorStore.LastUpdate"
	if err := checkSpace(op, space); err != nil {
		return "", err
	}
	msgs, err := s.rdb.XRevRangeN(ctx, StreamKey(space), "+", "-", 1).Result()
	if err != nil {
		return "", redisError(op, StreamKey(space), err)
	}
	if len(msgs) == 0 {
		return "0", nil
	}
	return msgs[0].ID, nil
}

// StreamIDLess reports whether stream entry id a ("<ms>-<seq>") is older
// than b.
func StreamIDLess(a, b string) bool {
	am, as := splitStreamID(a)
	bm, bs := splitStreamID(b)
	if am != bm {
		return am < bm
	}
	return as < bs
}

func splitStreamID(id string) (ms, seq uint64) {
	for i := 0; i < len(id); i++ {
		if id[i] == '-' {
			ms, _ = strconv.ParseUint(id[:i], 10, 64)
			seq, _ = strconv.ParseUint(id[i+1:], 10, 64)
			return ms, seq
		}
	}
	ms, _ = strconv.ParseUint(id, 10, 64)
	return ms, 0
}
