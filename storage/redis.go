package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// CurrentKey is the STRING holding the active space name.
const CurrentKey = "itemvec:current"

// DefaultStreamMaxLen is the approximate length the update stream of a
// space is trimmed to when StoreConfig.StreamMaxLen is zero.
const DefaultStreamMaxLen = 100_000

// Modality names: the per-modality block fields are "vec:<modality>".
const (
	ModalityImage    = "image"
	ModalityText     = "text"
	ModalityBehavior = "behavior"
)

// modalities lists every modality in the order the contract writes them.
var modalities = []string{ModalityImage, ModalityText, ModalityBehavior}

// Item hash fields.
const (
	fieldVec         = "vec"
	fieldBlockPrefix = "vec:"
	fieldDim         = "dim"
	fieldSpec        = "spec"
	fieldSpecHash    = "spec_hash"
	fieldContentHash = "content_hash"
	fieldUpdatedAt   = "updated_at"
	fieldModalities  = "modalities"
	fieldMediaHash   = "media_hash"
	fieldWarnings    = "warnings"
	fieldEncoding    = "encoding"
	fieldItem        = "item"
)

// ItemKey is the HASH holding one item's vector in a space. The id is a
// Redis Cluster hash tag ({id}), so an item's hash and its failure record
// (FailedKey) live in one slot and are written in one transaction on a
// cluster too.
func ItemKey(space, id string) string { return itemPrefix(space) + "{" + id + "}" }

// itemPrefix is what every item key of space starts with.
func itemPrefix(space string) string { return "itemvec:" + space + ":item:" }

// itemID is the id of the item key key of space: the hash tag's content,
// or for an untagged key of the layout before tags (MigrateKeys renames
// those) what follows the prefix.
func itemID(space, key string) string {
	id := strings.TrimPrefix(key, itemPrefix(space))
	if strings.HasPrefix(id, "{") && strings.HasSuffix(id, "}") {
		return id[1 : len(id)-1]
	}
	return id
}

// StreamKey is the STREAM announcing every publish in a space.
func StreamKey(space string) string { return "itemvec:" + space + ":updates" }

// FailedKey is the HASH describing why an item of a space failed; it has
// the item key's hash tag.
func FailedKey(space, id string) string { return "itemvec:" + space + ":failed:{" + id + "}" }

// FailedIndexKey is the ZSET of failed item ids of a space, scored by the
// failure time in unix milliseconds.
func FailedIndexKey(space string) string { return "itemvec:" + space + ":failed" }

// ItemVector is one item's published vector and what it was made from.
type ItemVector struct {
	// ID is the item's catalog id; it must not be empty.
	ID string
	// Vector is the fused vector; it must not be empty.
	Vector []float32
	// Blocks holds the per-modality blocks, keyed by Modality* name. A
	// modality without a (non-empty) block is absent.
	Blocks map[string][]float32
	// SpecID and SpecHash identify the fusion spec that made Vector.
	SpecID, SpecHash string
	// ContentHash is the hex hash of the inputs Vector was computed from.
	ContentHash string
	// MediaHash is the hex hash of what the image and text blocks were
	// computed from (image versions, text, models); empty when unknown. An
	// item whose media hash is unchanged can be re-fused from Vector when
	// only its behaviour counters change.
	MediaHash string
	// Warnings are sentences about the input a person may want to act on,
	// e.g. counters of a device the spec does not know that were left out.
	Warnings []string
	// Item is the manifest line the vector was made from (field item), so
	// that a backfill can enqueue the item for another space; empty for
	// items published before the field existed.
	Item json.RawMessage
	// Modalities lists the modalities present in the item. When nil,
	// Publish writes the modalities of Blocks in contract order.
	Modalities []string
	// UpdatedAt is stored with millisecond precision; Publish uses the
	// current time when it is zero.
	UpdatedAt time.Time
}

// Failure records why an item could not be embedded.
type Failure struct {
	// ID is the item's catalog id; it must not be empty.
	ID string
	// Kind is a short code, e.g. "image_corrupt" or "object_missing".
	Kind string
	// Reason is for a human: what happened and what to do about it.
	Reason string
	// URI is the object that caused the failure, if any.
	URI string
	// Task is the id of the task that gave up.
	Task string
	// Attempt is how many times the task ran.
	Attempt int
	// Item is the item as the failed attempt read it (a manifest line), so
	// that it can be enqueued again (itemvec failures retry); empty in
	// records written before records kept it.
	Item json.RawMessage
	// At is stored with millisecond precision; RecordFailures uses the
	// current time when it is zero.
	At time.Time
}

// StoreConfig configures a VectorStore.
type StoreConfig struct {
	// StreamMaxLen caps each update stream with XADD MAXLEN ~ StreamMaxLen:
	// Redis trims whole stream nodes, so a stream may be somewhat longer.
	// Zero means DefaultStreamMaxLen.
	StreamMaxLen int64
	// Encoding is how Publish stores vec: EncodingFloat32 ("" too) or
	// EncodingFloat16.
	Encoding string
	// BlockCopies makes Publish store each block as its own vec:<modality>
	// field too. Without it Get still returns Blocks, cut out of vec by the
	// space's layout (its meta).
	BlockCopies bool
	// Logger receives debug and warning records; nil means slog.Default().
	Logger *slog.Logger
}

// VectorStore reads and writes item vectors, update streams, failure
// records and the current-space pointer in Redis, following the contract in
// the package documentation. It is safe for concurrent use.
//
// It works with a single Redis server, a sentinel-managed one, or a Redis
// Cluster (*redis.ClusterClient: see publishCluster for what is atomic
// there; scans visit every master).
type VectorStore struct {
	rdb          redis.UniversalClient
	streamMaxLen int64
	encoding     string
	blockCopies  bool
	log          *slog.Logger
	metas        sync.Map // space -> *SpaceMeta, read once per space by Get
}

// NewRedisClient returns a client for a redis:// or rediss:// (TLS) URL,
// e.g. "rediss://:password@host:6380/0"; the password and database number
// come from the URL. It does not connect: the first command does. A URL it
// cannot use is a CodeInvalidInput error of kind itemvec.KindConfig whose
// message never contains the password.
//
// Several URLs separated by commas are the seed nodes of a Redis Cluster
// (e.g. "redis://:pw@10.0.0.1:6379,redis://10.0.0.2:6379"): the result is a
// *redis.ClusterClient, with the password of the first URL that has one.
// Cluster URLs name no database (a cluster has only 0).
func NewRedisClient(rawURL string) (redis.UniversalClient, error) {
	if strings.Contains(rawURL, ",") {
		return newClusterClient(rawURL)
	}
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		// url.Error quotes the whole URL, password included.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return nil, configError("storage.NewRedisClient", redactURL(rawURL), err)
	}
	return redis.NewClient(opts), nil
}

func newClusterClient(rawURLs string) (redis.UniversalClient, error) {
	const op = "storage.NewRedisClient"
	var copts redis.ClusterOptions
	for _, raw := range strings.Split(rawURLs, ",") {
		raw = strings.TrimSpace(raw)
		opts, err := redis.ParseURL(raw)
		if err != nil {
			if ue, ok := errors.AsType[*url.Error](err); ok {
				err = ue.Err
			}
			return nil, configError(op, redactURL(raw), err)
		}
		if opts.DB != 0 {
			return nil, configError(op, redactURL(raw), fmt.Errorf("database %d: a Redis Cluster has only database 0", opts.DB))
		}
		copts.Addrs = append(copts.Addrs, opts.Addr)
		if copts.Password == "" {
			copts.Username, copts.Password = opts.Username, opts.Password
		}
		if copts.TLSConfig == nil {
			copts.TLSConfig = opts.TLSConfig
		}
	}
	return redis.NewClusterClient(&copts), nil
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable Redis URL)"
	}
	return u.Redacted()
}

// NewVectorStore returns a store writing through rdb. The caller keeps
// ownership of rdb and closes it.
func NewVectorStore(rdb redis.UniversalClient, cfg StoreConfig) *VectorStore {
	s := &VectorStore{rdb: rdb, streamMaxLen: cfg.StreamMaxLen, log: cfg.Logger,
		encoding: cfg.Encoding, blockCopies: cfg.BlockCopies}
	if s.encoding == EncodingFloat32 {
		s.encoding = ""
	}
	if s.streamMaxLen <= 0 {
		s.streamMaxLen = DefaultStreamMaxLen
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// SetCurrent makes space the active one.
func (s *VectorStore) SetCurrent(ctx context.Context, space string) error {
	const op = "storage.VectorStore.SetCurrent"
	if err := checkSpace(op, space); err != nil {
		return err
	}
	if err := s.rdb.Set(ctx, CurrentKey, space, 0).Err(); err != nil {
		return redisError(op, CurrentKey, err)
	}
	return nil
}

// Current returns the active space, or "" when none was set.
func (s *VectorStore) Current(ctx context.Context) (string, error) {
	space, err := s.rdb.Get(ctx, CurrentKey).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", redisError("storage.VectorStore.Current", CurrentKey, err)
	}
	return space, nil
}

// Publish writes items to space in one MULTI/EXEC round trip: for each item
// its hash (deleting the blocks of absent modalities), an "upsert" entry on
// the update stream, and the removal of any failure record. The batch is
// validated first; an invalid item fails the whole batch with
// CodeInvalidInput (kind itemvec.KindBadInput) and nothing is written.
// When Redis refuses the whole transaction (EXECABORT: LOADING, OOM,
// READONLY…), nothing is written and the error is classified by the reply
// that caused it. When it runs the transaction but refuses the commands of
// some items (WRONGTYPE on a foreign key), the others are written and the
// error is a *PartialError naming the refused items.
func (s *VectorStore) Publish(ctx context.Context, space string, items []ItemVector) error {
	const op = "storage.VectorStore.Publish"
	if err := checkSpace(op, space); err != nil {
		return err
	}
	writes := make([]itemWrite, 0, len(items))
	now := time.Now()
	for i := range items {
		it := &items[i]
		if err := checkItem(it); err != nil {
			return newError(op, "itemvec:"+space, CodeInvalidInput, fmt.Errorf("item %d (id %q): %w", i, it.ID, err))
		}
		at := it.UpdatedAt
		if at.IsZero() {
			at = now
		}
		ms := strconv.FormatInt(at.UnixMilli(), 10)
		present := it.Modalities
		fields := []any{
			fieldVec, EncodeVectorEncoding(it.Vector, s.encoding),
			fieldDim, strconv.Itoa(len(it.Vector)),
			fieldSpec, it.SpecID,
			fieldSpecHash, it.SpecHash,
			fieldContentHash, it.ContentHash,
			fieldUpdatedAt, ms,
		}
		var absent []string
		for _, m := range modalities {
			if b := it.Blocks[m]; len(b) > 0 {
				if s.blockCopies {
					fields = append(fields, fieldBlockPrefix+m, EncodeVectorEncoding(b, s.encoding))
				} else {
					absent = append(absent, fieldBlockPrefix+m)
				}
				if it.Modalities == nil {
					present = append(present, m)
				}
			} else {
				absent = append(absent, fieldBlockPrefix+m)
			}
		}
		fields = append(fields, fieldModalities, strings.Join(present, ","))
		for _, opt := range []struct{ field, value string }{
			{fieldMediaHash, it.MediaHash}, {fieldWarnings, strings.Join(it.Warnings, "\n")}, {fieldEncoding, s.encoding},
			{fieldItem, string(it.Item)},
		} {
			if opt.value != "" {
				fields = append(fields, opt.field, opt.value)
			} else {
				absent = append(absent, opt.field)
			}
		}
		writes = append(writes, itemWrite{
			id: it.ID, key: ItemKey(space, it.ID), fields: fields, absent: absent,
			stream: []any{"id", it.ID, "op", "upsert", "content_hash", it.ContentHash, "updated_at", ms},
			ms:     float64(at.UnixMilli()), warned: len(it.Warnings) > 0,
		})
	}
	if len(writes) == 0 {
		return nil
	}
	if _, cluster := s.rdb.(*redis.ClusterClient); cluster {
		return s.publishCluster(ctx, op, space, writes)
	}
	spans := make([][2]int, len(writes)) // the cmds of writes[i] are cmds[spans[i][0]:spans[i][1]]
	cmds, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n := 0
		for i, w := range writes {
			start := n
			p.HSet(ctx, w.key, w.fields...)
			n++
			if len(w.absent) > 0 {
				p.HDel(ctx, w.key, w.absent...)
				n++
			}
			p.XAdd(ctx, &redis.XAddArgs{Stream: StreamKey(space), MaxLen: s.streamMaxLen, Approx: true, Values: w.stream})
			p.Del(ctx, FailedKey(space, w.id))
			p.ZRem(ctx, FailedIndexKey(space), w.id)
			p.ZAdd(ctx, IndexKey(space), redis.Z{Score: w.ms, Member: w.id})
			if w.warned {
				p.ZAdd(ctx, WarningsKey(space), redis.Z{Score: w.ms, Member: w.id})
			} else {
				p.ZRem(ctx, WarningsKey(space), w.id)
			}
			n += 5
			spans[i] = [2]int{start, n}
		}
		return nil
	})
	if err != nil {
		if partial := s.refused(ctx, op, space, writes, spans, cmds, err); partial != nil {
			return partial
		}
		return txError(op, "itemvec:"+space, err, cmds)
	}
	s.log.DebugContext(ctx, "published item vectors", "space", space, "items", len(writes))
	return nil
}

// PartialError is what Publish returns when Redis ran the transaction but
// refused the commands of some items, e.g. WRONGTYPE because another
// program wrote a key under itemvec's prefix: every item not in Items was
// written. (The refused item's update-stream entry may have been written:
// MULTI/EXEC does not roll back.)
type PartialError struct {
	// Items are the items not written, in batch order, each with its
	// *itemvec.Error.
	Items []ItemWriteError
}

// ItemWriteError is one item Publish could not write.
type ItemWriteError struct {
	ID  string
	Err error
}

func (e *PartialError) Error() string {
	msg := fmt.Sprintf("Redis refused the writes of %d item(s)", len(e.Items))
	for i, it := range e.Items {
		if i == 3 {
			return msg + "; …"
		}
		msg += "; " + it.ID + ": " + it.Err.Error()
	}
	return msg
}

// itemWrite is what Publish writes for one item.
type itemWrite struct {
	id, key string
	fields  []any
	absent  []string
	stream  []any
	ms      float64
	warned  bool
}

// refused is the *PartialError of a publish of writes whose commands cmds
// (writes[i]'s are cmds[spans[i][0]:spans[i][1]]) Redis ran with some
// refused, logged; nil when the whole publish failed.
func (s *VectorStore) refused(ctx context.Context, op, space string, writes []itemWrite, spans [][2]int, cmds []redis.Cmder, err error) *PartialError {
	ids := make([]string, len(writes))
	for i, w := range writes {
		ids[i] = w.id
	}
	partial := partialPublish(op, space, ids, spans, cmds, err)
	if partial != nil {
		s.log.WarnContext(ctx, "Redis refused some item writes", "space", space, "items", len(writes), "refused", len(partial.Items))
	}
	return partial
}

// partialPublish returns the per-item errors of a transaction that EXEC
// ran with some commands refused, or nil when the whole transaction failed
// (EXECABORT, a network error, a refused MULTI).
func partialPublish(op, space string, ids []string, spans [][2]int, cmds []redis.Cmder, err error) *PartialError {
	if !isReply(err) || redis.IsExecAbortError(err) || len(cmds) != spanEnd(spans) {
		return nil
	}
	// A refused MULTI gives every command the same error; EXEC that ran
	// has at least one command that succeeded.
	ran := false
	for _, c := range cmds {
		ran = ran || c.Err() == nil
	}
	if !ran {
		return nil
	}
	var out []ItemWriteError
	for i, sp := range spans {
		for _, c := range cmds[sp[0]:sp[1]] {
			if cerr := c.Err(); cerr != nil {
				key := ItemKey(space, ids[i])
				if args := c.Args(); len(args) > 1 {
					key = fmt.Sprint(args[1])
				}
				out = append(out, ItemWriteError{ID: ids[i], Err: redisError(op, key, cerr)})
				break
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return &PartialError{Items: out}
}

func spanEnd(spans [][2]int) int {
	if len(spans) == 0 {
		return 0
	}
	return spans[len(spans)-1][1]
}

func checkItem(it *ItemVector) error {
	if it.ID == "" {
		return errors.New("empty id")
	}
	if len(it.Vector) == 0 {
		return errors.New("empty vector")
	}
	for m := range it.Blocks {
		if !slices.Contains(modalities, m) {
			return fmt.Errorf("block of unknown modality %q, want one of %s", m, strings.Join(modalities, ", "))
		}
	}
	for _, m := range it.Modalities {
		if !slices.Contains(modalities, m) {
			return fmt.Errorf("unknown modality %q, want one of %s", m, strings.Join(modalities, ", "))
		}
	}
	return nil
}

// RecordFailures writes a failure record per item and indexes it by time,
// in one MULTI/EXEC round trip. A record replaces the item's previous one.
// A failure without an id is a CodeInvalidInput error (kind
// itemvec.KindBadInput) and nothing is written.
func (s *VectorStore) RecordFailures(ctx context.Context, space string, fails []Failure) error {
	const op = "storage.VectorStore.RecordFailures"
	if err := checkSpace(op, space); err != nil {
		return err
	}
	for i, f := range fails {
		if f.ID == "" {
			return newError(op, FailedIndexKey(space), CodeInvalidInput, fmt.Errorf("failure %d: empty item id", i))
		}
	}
	if len(fails) == 0 {
		return nil
	}
	now := time.Now()
	// On a cluster each record and the index are in different slots: one
	// pipeline, not a transaction (a record without its index entry is
	// still found by its item; the index is rewritten by the next try).
	run := s.rdb.TxPipelined
	if _, cluster := s.rdb.(*redis.ClusterClient); cluster {
		run = s.rdb.Pipelined
	}
	cmds, err := run(ctx, func(p redis.Pipeliner) error {
		for _, f := range fails {
			at := f.At
			if at.IsZero() {
				at = now
			}
			ms := at.UnixMilli()
			fields := []any{
				"reason", f.Reason,
				"kind", f.Kind,
				"uri", f.URI,
				"task", f.Task,
				"attempt", strconv.Itoa(f.Attempt),
				"at", strconv.FormatInt(ms, 10),
			}
			if len(f.Item) > 0 {
				fields = append(fields, "item", string(f.Item))
			} else {
				p.HDel(ctx, FailedKey(space, f.ID), "item")
			}
			p.HSet(ctx, FailedKey(space, f.ID), fields...)
			p.ZAdd(ctx, FailedIndexKey(space), redis.Z{Score: float64(ms), Member: f.ID})
		}
		return nil
	})
	if err != nil {
		return txError(op, FailedIndexKey(space), err, cmds)
	}
	return nil
}

// Failures returns up to limit failure records of space, newest first;
// limit <= 0 means all of them. A record that does not follow the contract
// is a CodeCorruptRecord error.
func (s *VectorStore) Failures(ctx context.Context, space string, limit int) ([]Failure, error) {
	const op = "storage.VectorStore.Failures"
	if err := checkSpace(op, space); err != nil {
		return nil, err
	}
	index := FailedIndexKey(space)
	stop := int64(-1)
	if limit > 0 {
		stop = int64(limit) - 1
	}
	ids, err := s.rdb.ZRevRange(ctx, index, 0, stop).Result()
	if err != nil {
		return nil, redisError(op, index, err)
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, FailedKey(space, id))
		}
		return nil
	}); err != nil {
		return nil, redisError(op, index, err)
	}
	fails := make([]Failure, 0, len(ids))
	for i, id := range ids {
		m := cmds[i].Val()
		if len(m) == 0 {
			s.log.WarnContext(ctx, "failure index entry without a record", "key", index, "id", id)
			continue
		}
		f, err := decodeFailure(id, m)
		if err != nil {
			return nil, newError(op, FailedKey(space, id), CodeCorruptRecord, err)
		}
		fails = append(fails, f)
	}
	return fails, nil
}

func decodeFailure(id string, m map[string]string) (Failure, error) {
	f := Failure{ID: id, Kind: m["kind"], Reason: m["reason"], URI: m["uri"], Task: m["task"]}
	if item := m["item"]; item != "" {
		f.Item = json.RawMessage(item)
	}
	var err error
	if f.Attempt, err = strconv.Atoi(m["attempt"]); err != nil {
		return f, fmt.Errorf("field attempt: %w", err)
	}
	ms, err := strconv.ParseInt(m["at"], 10, 64)
	if err != nil {
		return f, fmt.Errorf("field at: %w", err)
	}
	f.At = time.UnixMilli(ms)
	return f, nil
}

// Get returns the items of space with the given ids, in order, with a nil
// entry for an id that has no vector. One round trip. A hash that does not
// follow the contract is a CodeCorruptRecord error.
func (s *VectorStore) Get(ctx context.Context, space string, ids ...string) ([]*ItemVector, error) {
	const op = "storage.VectorStore.Get"
	if err := checkSpace(op, space); err != nil {
		return nil, err
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = ItemKey(space, id)
	}
	return s.getKeys(ctx, op, space, ids, keys)
}

// getKeys fetches and decodes the item hashes at keys; ids[i] is the id of
// keys[i]. Missing hashes give nil entries.
func (s *VectorStore) getKeys(ctx context.Context, op, space string, ids, keys []string) ([]*ItemVector, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.MapStringStringCmd, len(keys))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, key := range keys {
			cmds[i] = p.HGetAll(ctx, key)
		}
		return nil
	}); err != nil {
		return nil, redisError(op, "itemvec:"+space, err)
	}
	// The space's layout, for items stored without block copies: read at
	// most once per call (and once per store while the space has a meta).
	var (
		meta   *SpaceMeta
		looked bool
	)
	items := make([]*ItemVector, len(keys))
	for i, cmd := range cmds {
		m := cmd.Val()
		if len(m) == 0 {
			continue
		}
		it, err := decodeItem(ids[i], m)
		if err != nil {
			return nil, newError(op, keys[i], CodeCorruptRecord, err)
		}
		if it.Blocks == nil && len(it.Modalities) > 0 {
			if !looked {
				meta, looked = s.layout(ctx, space), true
			}
			cutBlocks(meta, it)
		}
		items[i] = it
	}
	return items, nil
}

func decodeItem(id string, m map[string]string) (*ItemVector, error) {
	raw, ok := m[fieldVec]
	if !ok {
		return nil, errors.New("no vec field")
	}
	encoding := m[fieldEncoding]
	vec, err := decodeEncoded([]byte(raw), encoding)
	if err != nil {
		return nil, fmt.Errorf("field vec: %w", err)
	}
	dim, err := strconv.Atoi(m[fieldDim])
	if err != nil {
		return nil, fmt.Errorf("field dim: %w", err)
	}
	if dim != len(vec) {
		return nil, fmt.Errorf("field dim is %d but vec holds %d floats", dim, len(vec))
	}
	ms, err := strconv.ParseInt(m[fieldUpdatedAt], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("field updated_at: %w", err)
	}
	it := &ItemVector{
		ID:          id,
		Vector:      vec,
		SpecID:      m[fieldSpec],
		SpecHash:    m[fieldSpecHash],
		ContentHash: m[fieldContentHash],
		MediaHash:   m[fieldMediaHash],
		UpdatedAt:   time.UnixMilli(ms),
	}
	if w := m[fieldWarnings]; w != "" {
		it.Warnings = strings.Split(w, "\n")
	}
	if item := m[fieldItem]; item != "" {
		it.Item = json.RawMessage(item)
	}
	if list := m[fieldModalities]; list != "" {
		it.Modalities = strings.Split(list, ",")
	}
	for _, mod := range modalities {
		raw, ok := m[fieldBlockPrefix+mod]
		if !ok {
			continue
		}
		block, err := decodeEncoded([]byte(raw), encoding)
		if err != nil {
			return nil, fmt.Errorf("field %s%s: %w", fieldBlockPrefix, mod, err)
		}
		if it.Blocks == nil {
			it.Blocks = make(map[string][]float32, len(modalities))
		}
		it.Blocks[mod] = block
	}
	return it, nil
}

// ScanItems calls fn for every item of space, in no particular order, each
// item once, fetching them with SCAN MATCH and pipelined HGETALLs. Items
// published during the scan may or may not be seen. An error from fn stops
// the scan and is returned as is.
func (s *VectorStore) ScanItems(ctx context.Context, space string, fn func(*ItemVector) error) error {
	const op = "storage.VectorStore.ScanItems"
	if err := checkSpace(op, space); err != nil {
		return err
	}
	seen := make(map[string]struct{})
	var keys, ids []string
	flush := func() error {
		items, err := s.getKeys(ctx, op, space, ids, keys)
		keys, ids = keys[:0], ids[:0]
		if err != nil {
			return err
		}
		for _, it := range items {
			if it == nil {
				continue // deleted since SCAN returned it
			}
			if err := fn(it); err != nil {
				return err
			}
		}
		return nil
	}
	pattern := itemPrefix(space) + "*"
	err := s.scanKeys(ctx, pattern, func(key string) error {
		if _, dup := seen[key]; dup {
			return nil
		}
		seen[key] = struct{}{}
		keys, ids = append(keys, key), append(ids, itemID(space, key))
		if len(keys) < 256 {
			return nil
		}
		return flush()
	})
	if err == nil {
		err = flush()
	}
	return err
}

// checkSpace rejects space names that would break the key layout or the
// SCAN pattern: a space is 1 to 128 letters, digits, '.', '_' or '-'.
func checkSpace(op, space string) error {
	ok := space != "" && len(space) <= 128
	for _, r := range space {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			ok = false
			break
		}
	}
	if ok {
		return nil
	}
	return newError(op, "itemvec:"+space, CodeInvalidInput,
		fmt.Errorf("space name %q: want 1 to 128 letters, digits, '.', '_' or '-'", space))
}
