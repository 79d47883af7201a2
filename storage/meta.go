package storage

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec"
)

// SpaceMeta describes a space: what its vectors mean and how they are
// stored. Workers write it (RegisterSpace) when they start; readers find
// the layout of vec in it.
type SpaceMeta struct {
	Space            string
	SpecID, SpecHash string
	// Spec is the fusion spec as the worker loaded it (JSON).
	Spec json.RawMessage
	Dim  int
	// Blocks are the blocks of vec, in order.
	Blocks           []SpaceBlock
	BehaviorFeatures []string
	// ImageModel and TextModel are the models' spec ids; "none" when absent.
	ImageModel, TextModel string
	// Encoding is EncodingFloat32 or EncodingFloat16.
	Encoding string
	// BlockCopies says whether items carry vec:<modality> fields.
	BlockCopies bool
	// CreatedAt is when the first worker registered the space.
	CreatedAt time.Time
}

// SpaceBlock is one block of a space's vec: Values[Offset : Offset+Dim].
type SpaceBlock struct {
	Name        string `json:"name"`
	Offset, Dim int
	Model       string `json:"model,omitempty"`
}

// spaceBlockJSON fixes the JSON names of SpaceBlock's fields.
type spaceBlockJSON struct {
	Name   string `json:"name"`
	Offset int    `json:"offset"`
	Dim    int    `json:"dim"`
	Model  string `json:"model,omitempty"`
}

// Meta hash fields.
const (
	metaSpec        = "spec"
	metaSpecID      = "spec_id"
	metaSpecHash    = "spec_hash"
	metaDim         = "dim"
	metaBlocks      = "blocks"
	metaFeatures    = "behavior_features"
	metaImageModel  = "image_model"
	metaTextModel   = "text_model"
	metaEncoding    = "encoding"
	metaBlockCopies = "block_copies"
	metaCreatedAt   = "created_at"
)

// RegisterSpace writes the meta of m.Space, keeping the creation time of
// an earlier registration. A space registered before with another spec hash,
// encoding or block-copies setting is a KindConfig error that names the
// difference: a space's storage options are fixed once it exists.
func (s *VectorStore) RegisterSpace(ctx context.Context, m SpaceMeta) error {
	const op = "storage.VectorStore.RegisterSpace"
	if err := checkSpace(op, m.Space); err != nil {
		return err
	}
	m.Encoding = cmp.Or(m.Encoding, EncodingFloat32)
	old, err := s.Space(ctx, m.Space)
	if err != nil {
		return err
	}
	if old != nil {
		for _, d := range []struct{ what, was, now, fix string }{
			{"spec hash", old.SpecHash, m.SpecHash, "two different specs hash to one space name: rename the spec (id)"},
			{"vector encoding", old.Encoding, m.Encoding, "start the worker with --vector-encoding " + old.Encoding + ", or write a new space"},
			{"block copies", strconv.FormatBool(old.BlockCopies), strconv.FormatBool(m.BlockCopies),
				"start the worker with --block-copies=" + strconv.FormatBool(old.BlockCopies)},
		} {
			if d.was != "" && d.was != d.now {
				return itemvec.Errorf(itemvec.KindConfig, op, "space %s was created with %s %s, this worker has %s: %s",
					m.Space, d.what, d.was, d.now, d.fix)
			}
		}
	}
	blocks := make([]spaceBlockJSON, len(m.Blocks))
	for i, b := range m.Blocks {
		blocks[i] = spaceBlockJSON(b)
	}
	bj, _ := json.Marshal(blocks)             // plain fields
	fj, _ := json.Marshal(m.BehaviorFeatures) // strings
	key := MetaKey(m.Space)
	cmds, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSetNX(ctx, key, metaCreatedAt, strconv.FormatInt(time.Now().UnixMilli(), 10))
		p.HSet(ctx, key,
			metaSpec, string(m.Spec), metaSpecID, m.SpecID, metaSpecHash, m.SpecHash, metaDim, strconv.Itoa(m.Dim),
			metaBlocks, string(bj), metaFeatures, string(fj), metaImageModel, m.ImageModel, metaTextModel, m.TextModel,
			metaEncoding, m.Encoding, metaBlockCopies, strconv.FormatBool(m.BlockCopies))
		return nil
	})
	if err != nil {
		return txError(op, key, err, cmds)
	}
	s.metas.Delete(m.Space)
	return nil
}

// Space returns the meta of space, or nil when it has none.
func (s *VectorStore) Space(ctx context.Context, space string) (*SpaceMeta, error) {
	const op = "storage.VectorStore.Space"
	if err := checkSpace(op, space); err != nil {
		return nil, err
	}
	h, err := s.rdb.HGetAll(ctx, MetaKey(space)).Result()
	if err != nil {
		return nil, redisError(op, MetaKey(space), err)
	}
	if len(h) == 0 {
		return nil, nil
	}
	m, err := decodeMeta(space, h)
	if err != nil {
		return nil, newError(op, MetaKey(space), CodeCorruptRecord, err)
	}
	return m, nil
}

func decodeMeta(space string, h map[string]string) (*SpaceMeta, error) {
	m := &SpaceMeta{Space: space, SpecID: h[metaSpecID], SpecHash: h[metaSpecHash], Spec: json.RawMessage(h[metaSpec]),
		ImageModel: h[metaImageModel], TextModel: h[metaTextModel], Encoding: h[metaEncoding], BlockCopies: h[metaBlockCopies] == "true"}
	var err error
	if m.Dim, err = strconv.Atoi(h[metaDim]); err != nil {
		return nil, fmt.Errorf("field %s: %w", metaDim, err)
	}
	var blocks []spaceBlockJSON
	if err := json.Unmarshal([]byte(h[metaBlocks]), &blocks); err != nil {
		return nil, fmt.Errorf("field %s: %w", metaBlocks, err)
	}
	for _, b := range blocks {
		if b.Offset < 0 || b.Dim < 0 || b.Offset+b.Dim > m.Dim {
			return nil, fmt.Errorf("field %s: block %s [%d, %d) outside dim %d", metaBlocks, b.Name, b.Offset, b.Offset+b.Dim, m.Dim)
		}
		m.Blocks = append(m.Blocks, SpaceBlock(b))
	}
	if f := h[metaFeatures]; f != "" {
		if err := json.Unmarshal([]byte(f), &m.BehaviorFeatures); err != nil {
			return nil, fmt.Errorf("field %s: %w", metaFeatures, err)
		}
	}
	if ms, err := strconv.ParseInt(h[metaCreatedAt], 10, 64); err == nil {
		m.CreatedAt = time.UnixMilli(ms)
	}
	return m, nil
}

// layout is the meta of space, from the store's cache once it has been
// read; nil when the space has none (or Redis cannot say).
func (s *VectorStore) layout(ctx context.Context, space string) *SpaceMeta {
	if v, ok := s.metas.Load(space); ok {
		return v.(*SpaceMeta)
	}
	m, err := s.Space(ctx, space)
	if err != nil || m == nil {
		return nil
	}
	s.metas.Store(space, m)
	return m
}

// cutBlocks sets it.Blocks to the slices of it.Vector the layout m gives
// for its modalities, when m is of its length.
func cutBlocks(m *SpaceMeta, it *ItemVector) {
	if m == nil || m.Dim != len(it.Vector) {
		return
	}
	for _, b := range m.Blocks {
		if !slices.Contains(it.Modalities, b.Name) || b.Dim == 0 {
			continue
		}
		if it.Blocks == nil {
			it.Blocks = make(map[string][]float32, len(m.Blocks))
		}
		it.Blocks[b.Name] = it.Vector[b.Offset : b.Offset+b.Dim : b.Offset+b.Dim]
	}
}

// SpaceInfo is one space as itemvec spaces lists it.
type SpaceInfo struct {
	Name string
	// Meta is nil for a space with items but no meta (written before
	// spaces had one).
	Meta *SpaceMeta
	// Items, Failed and Warnings count the space's published items, failure
	// records and items published with warnings.
	Items, Failed, Warnings int64
	Current                 bool
}

// Spaces lists every space with a meta, and the current space, oldest
// first.
func (s *VectorStore) Spaces(ctx context.Context) ([]SpaceInfo, error) {
	const op = "storage.VectorStore.Spaces"
	cur, err := s.Current(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	if err := s.scanKeys(ctx, "itemvec:*:meta", func(key string) error {
		names = append(names, strings.TrimSuffix(strings.TrimPrefix(key, "itemvec:"), ":meta"))
		return nil
	}); err != nil {
		return nil, err
	}
	if cur != "" && !slices.Contains(names, cur) {
		names = append(names, cur)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	out := make([]SpaceInfo, 0, len(names))
	for _, name := range names {
		if checkSpace(op, name) != nil {
			continue // a foreign key that only looks like a meta
		}
		m, err := s.Space(ctx, name)
		if err != nil {
			return nil, err
		}
		info := SpaceInfo{Name: name, Meta: m, Current: name == cur}
		var cards [3]*redis.IntCmd
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			cards[0] = p.ZCard(ctx, IndexKey(name))
			cards[1] = p.ZCard(ctx, FailedIndexKey(name))
			cards[2] = p.ZCard(ctx, WarningsKey(name))
			return nil
		}); err != nil {
			return nil, redisError(op, IndexKey(name), err)
		}
		info.Items, info.Failed, info.Warnings = cards[0].Val(), cards[1].Val(), cards[2].Val()
		out = append(out, info)
	}
	slices.SortStableFunc(out, func(a, b SpaceInfo) int {
		var ta, tb time.Time
		if a.Meta != nil {
			ta = a.Meta.CreatedAt
		}
		if b.Meta != nil {
			tb = b.Meta.CreatedAt
		}
		return ta.Compare(tb)
	})
	return out, nil
}

// scanKeys calls fn for each key matching pattern, on every master of a
// cluster (one master at a time). An error of fn stops the scan and is
// returned as is; a SCAN that fails is a Redis error.
func (s *VectorStore) scanKeys(ctx context.Context, pattern string, fn func(string) error) error {
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		var masters []*redis.Client
		var mu sync.Mutex
		if err := cc.ForEachMaster(ctx, func(_ context.Context, c *redis.Client) error {
			mu.Lock()
			masters = append(masters, c)
			mu.Unlock()
			return nil
		}); err != nil {
			return redisError("storage.scan", pattern, err)
		}
		for _, c := range masters {
			if err := scanOne(ctx, c, pattern, fn); err != nil {
				return err
			}
		}
		return nil
	}
	return scanOne(ctx, s.rdb, pattern, fn)
}

func scanOne(ctx context.Context, c redis.Cmdable, pattern string, fn func(string) error) error {
	iter := c.Scan(ctx, 0, pattern, 512).Iterator()
	for iter.Next(ctx) {
		if err := fn(iter.Val()); err != nil {
			return err
		}
	}
	if err := iter.Err(); err != nil {
		return redisError("storage.scan", pattern, err)
	}
	return nil
}

// PromoteOptions control Promote.
type PromoteOptions struct {
	// Force promotes a space with fewer items than the current one.
	Force bool
}

// PromoteResult says what Promote did.
type PromoteResult struct {
	Space, Previous      string
	Items, PreviousItems int64
}

// Promote makes space the current one and announces it on PromotionsKey
// (fields space, previous, items, at). It refuses a space without meta
// (KindNotFound: no worker ever wrote it) and, unless o.Force, one with
// fewer items than the current space (KindConfig: its backfill is not
// done). Promoting the current space is a no-op.
func (s *VectorStore) Promote(ctx context.Context, space string, o PromoteOptions) (PromoteResult, error) {
	const op = "storage.VectorStore.Promote"
	res := PromoteResult{Space: space}
	m, err := s.Space(ctx, space)
	if err != nil {
		return res, err
	}
	if m == nil {
		return res, itemvec.Errorf(itemvec.KindNotFound, op,
			"space %q does not exist: no worker has registered it (itemvec spaces lists the spaces)", space)
	}
	if res.Previous, err = s.Current(ctx); err != nil {
		return res, err
	}
	cards, err := s.cards(ctx, op, space, res.Previous)
	if err != nil {
		return res, err
	}
	res.Items, res.PreviousItems = cards[0], cards[1]
	if res.Previous == space {
		return res, nil
	}
	if res.Previous != "" && res.Items < res.PreviousItems && !o.Force {
		return res, itemvec.Errorf(itemvec.KindConfig, op,
			"space %s holds %d items, the current space %s holds %d: finish its backfill (itemvec backfill --to %s), or pass --force",
			space, res.Items, res.Previous, res.PreviousItems, space)
	}
	if err := s.SetCurrent(ctx, space); err != nil {
		return res, err
	}
	if err := s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: PromotionsKey, MaxLen: 1000, Approx: true, Values: []any{
		"space", space, "previous", res.Previous, "items", strconv.FormatInt(res.Items, 10),
		"at", strconv.FormatInt(time.Now().UnixMilli(), 10),
	}}).Err(); err != nil {
		return res, redisError(op, PromotionsKey, fmt.Errorf("itemvec:current now names %s, but the announcement failed (run the promotion again): %w", space, err))
	}
	return res, nil
}

func (s *VectorStore) cards(ctx context.Context, op string, spaces ...string) ([]int64, error) {
	out := make([]int64, len(spaces))
	for i, sp := range spaces {
		if sp == "" {
			continue
		}
		n, err := s.rdb.ZCard(ctx, IndexKey(sp)).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, redisError(op, IndexKey(sp), err)
		}
		out[i] = n
	}
	return out, nil
}

// IndexPage is one page of a space's item index (ScanIndex).
type IndexPage struct {
	// IDs are the items of the page.
	IDs []string
	// Next is the cursor of the next page; 0 when the walk is done.
	Next uint64
}

// ScanIndex returns the page of the space's item index at cursor (0
// starts a walk), about count ids, with ZSCAN: a walk that runs to Next == 0
// returns every item that was in the index for the whole walk, possibly
// some twice. The cursor can be stored to resume a walk.
func (s *VectorStore) ScanIndex(ctx context.Context, space string, cursor uint64, count int64) (IndexPage, error) {
	const op = "storage.VectorStore.ScanIndex"
	if err := checkSpace(op, space); err != nil {
		return IndexPage{}, err
	}
	kv, next, err := s.rdb.ZScan(ctx, IndexKey(space), cursor, "", count).Result()
	if err != nil {
		return IndexPage{}, redisError(op, IndexKey(space), err)
	}
	page := IndexPage{Next: next}
	for i := 0; i < len(kv); i += 2 { // member, score, member, score…
		page.IDs = append(page.IDs, kv[i])
	}
	return page, nil
}

// ItemLines returns the manifest line each item of space was published
// from (nil where the item is gone or was published without one), in one
// round trip.
func (s *VectorStore) ItemLines(ctx context.Context, space string, ids ...string) ([]json.RawMessage, error) {
	const op = "storage.VectorStore.ItemLines"
	if err := checkSpace(op, space); err != nil {
		return nil, err
	}
	cmds := make([]*redis.StringCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGet(ctx, ItemKey(space, id), fieldItem)
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return nil, redisError(op, "itemvec:"+space, err)
	}
	out := make([]json.RawMessage, len(ids))
	for i, c := range cmds {
		if v := c.Val(); v != "" {
			out[i] = json.RawMessage(v)
		}
	}
	return out, nil
}

// BackfillKey is the HASH holding the progress of a backfill of space to
// from space from.
func BackfillKey(to, from string) string { return "itemvec:" + to + ":backfill:" + from }

// BackfillState is how far a backfill has come.
type BackfillState struct {
	// Cursor is the ZSCAN cursor of the source index to go on from.
	Cursor uint64
	// Scanned ids, Enqueued items and NoLine items (published without
	// their manifest line, so not enqueued) so far.
	Scanned, Enqueued, NoLine int64
	// Done is set once the walk reached its end.
	Done bool
	// Started is when the backfill began.
	Started time.Time
}

// Backfill returns the state of the backfill of to from from; the zero
// state when none was saved.
func (s *VectorStore) Backfill(ctx context.Context, to, from string) (BackfillState, error) {
	const op = "storage.VectorStore.Backfill"
	if err := errors.Join(checkSpace(op, to), checkSpace(op, from)); err != nil {
		return BackfillState{}, err
	}
	h, err := s.rdb.HGetAll(ctx, BackfillKey(to, from)).Result()
	if err != nil {
		return BackfillState{}, redisError(op, BackfillKey(to, from), err)
	}
	var st BackfillState
	st.Cursor, _ = strconv.ParseUint(h["cursor"], 10, 64)
	st.Scanned, _ = strconv.ParseInt(h["scanned"], 10, 64)
	st.Enqueued, _ = strconv.ParseInt(h["enqueued"], 10, 64)
	st.NoLine, _ = strconv.ParseInt(h["no_line"], 10, 64)
	st.Done = h["done"] == "1"
	if ms, err := strconv.ParseInt(h["started"], 10, 64); err == nil {
		st.Started = time.UnixMilli(ms)
	}
	return st, nil
}

// SaveBackfill records st as the state of the backfill of to from from.
func (s *VectorStore) SaveBackfill(ctx context.Context, to, from string, st BackfillState) error {
	const op = "storage.VectorStore.SaveBackfill"
	done := "0"
	if st.Done {
		done = "1"
	}
	key := BackfillKey(to, from)
	if err := s.rdb.HSet(ctx, key, "cursor", strconv.FormatUint(st.Cursor, 10), "scanned", strconv.FormatInt(st.Scanned, 10),
		"enqueued", strconv.FormatInt(st.Enqueued, 10), "no_line", strconv.FormatInt(st.NoLine, 10), "done", done,
		"started", strconv.FormatInt(st.Started.UnixMilli(), 10)).Err(); err != nil {
		return redisError(op, key, err)
	}
	return nil
}

// DropOptions control DropSpace.
type DropOptions struct {
	// Batch is how many keys one round deletes (default 500).
	Batch int
	// Progress, when set, is called after each round with the keys
	// deleted so far.
	Progress func(deleted int64)
	// DryRun deletes nothing: DropSpace returns how many keys the drop
	// would delete (by SCAN: the same count, barring writes in between and
	// the rare key a SCAN returns twice while Redis rehashes).
	DryRun bool
}

// DropSpace deletes every key of space in rounds of o.Batch keys (UNLINK,
// so Redis frees the memory in the background and no round blocks it for
// long): the items by the index, then whatever else SCAN finds under
// itemvec:<space>: (items from before the index, failure records, streams),
// the meta last, so an interrupted drop can be run again. It refuses the
// current space. It returns how many keys it deleted (with o.DryRun, would
// delete).
func (s *VectorStore) DropSpace(ctx context.Context, space string, o DropOptions) (int64, error) {
	const op = "storage.VectorStore.DropSpace"
	if err := checkSpace(op, space); err != nil {
		return 0, err
	}
	cur, err := s.Current(ctx)
	if err != nil {
		return 0, err
	}
	if cur == space {
		return 0, itemvec.Errorf(itemvec.KindConfig, op, "space %s is current: promote another space first (itemvec spaces promote)", space)
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.DryRun {
		return s.countSpaceKeys(ctx, space)
	}
	var deleted int64
	unlink := func(keys []string) error {
		if len(keys) == 0 {
			return nil
		}
		// One key per command: on a cluster the keys of a round live in
		// different slots.
		cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range keys {
				p.Unlink(ctx, k)
			}
			return nil
		})
		if err != nil {
			return redisError(op, "itemvec:"+space, err)
		}
		for _, c := range cmds {
			deleted += c.(*redis.IntCmd).Val()
		}
		if o.Progress != nil {
			o.Progress(deleted)
		}
		return nil
	}
	// Items by the index: each round removes its ids from the index after
	// their keys, so a re-run starts where this one stopped.
	for {
		ids, err := s.rdb.ZRange(ctx, IndexKey(space), 0, int64(o.Batch)-1).Result()
		if err != nil {
			return deleted, redisError(op, IndexKey(space), err)
		}
		if len(ids) == 0 {
			break
		}
		keys := make([]string, 0, 2*len(ids))
		members := make([]any, len(ids))
		for i, id := range ids {
			keys = append(keys, ItemKey(space, id), FailedKey(space, id))
			members[i] = id
		}
		if err := unlink(keys); err != nil {
			return deleted, err
		}
		if err := s.rdb.ZRem(ctx, IndexKey(space), members...).Err(); err != nil {
			return deleted, redisError(op, IndexKey(space), err)
		}
	}
	// The rest, the meta last.
	var rest []string
	if err := s.scanKeys(ctx, "itemvec:"+space+":*", func(k string) error {
		if k != MetaKey(space) {
			rest = append(rest, k)
		}
		return nil
	}); err != nil {
		return deleted, err
	}
	for i := 0; i < len(rest); i += o.Batch {
		if err := unlink(rest[i:min(i+o.Batch, len(rest))]); err != nil {
			return deleted, err
		}
	}
	s.metas.Delete(space)
	return deleted, unlink([]string{MetaKey(space)})
}

// countSpaceKeys counts the keys DropSpace would delete: every key under
// itemvec:<space>: but the item index, which the drop empties (and so
// removes) rather than deletes.
func (s *VectorStore) countSpaceKeys(ctx context.Context, space string) (int64, error) {
	var n int64
	err := s.scanKeys(ctx, "itemvec:"+space+":*", func(k string) error {
		if k != IndexKey(space) {
			n++
		}
		return nil
	})
	return n, err
}
