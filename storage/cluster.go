package storage

import (
	"context"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec"
)

// publishItemLua writes one item's hash and removes its failure record,
// atomically: KEYS share the item's hash tag, so they are in one slot.
// ARGV: the number of field/value pairs, the pairs, then the fields to
// delete.
var publishItemLua = `
local n = tonumber(ARGV[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2, 1 + 2 * n))
if #ARGV > 1 + 2 * n then
  redis.call('HDEL', KEYS[1], unpack(ARGV, 2 + 2 * n, #ARGV))
end
redis.call('DEL', KEYS[2])
return 1
`

// publishCluster is Publish on a Redis Cluster. No transaction spans two
// slots: each item's hash and failure record are written by one script in
// the item's slot, and the update stream, the item index, the failure index
// and the warnings index (each a key of its own slot) by plain commands in
// the same pipeline, after the item's script. A failure part way can leave
// an item written whose stream entry is not; the retry (see the package
// documentation) writes it again with its announcement.
func (s *VectorStore) publishCluster(ctx context.Context, op, space string, writes []itemWrite) error {
	spans := make([][2]int, len(writes))
	cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		n := 0
		for i, w := range writes {
			args := make([]any, 0, 1+len(w.fields)+len(w.absent))
			args = append(args, strconv.Itoa(len(w.fields)/2))
			args = append(args, w.fields...)
			for _, f := range w.absent {
				args = append(args, f)
			}
			p.Eval(ctx, publishItemLua, []string{w.key, FailedKey(space, w.id)}, args...)
			p.XAdd(ctx, &redis.XAddArgs{Stream: StreamKey(space), MaxLen: s.streamMaxLen, Approx: true, Values: w.stream})
			p.ZRem(ctx, FailedIndexKey(space), w.id)
			p.ZAdd(ctx, IndexKey(space), redis.Z{Score: w.ms, Member: w.id})
			if w.warned {
				p.ZAdd(ctx, WarningsKey(space), redis.Z{Score: w.ms, Member: w.id})
			} else {
				p.ZRem(ctx, WarningsKey(space), w.id)
			}
			spans[i] = [2]int{n, n + 5}
			n += 5
		}
		return nil
	})
	if err == nil {
		s.log.DebugContext(ctx, "published item vectors", "space", space, "items", len(writes))
		return nil
	}
	// Redis away, loading, failing over: the whole batch is tried again.
	for _, c := range cmds {
		if cerr := c.Err(); cerr != nil {
			if e := redisError(op, "itemvec:"+space, cerr); itemvec.IsRetryable(e) {
				return e
			}
		}
	}
	if partial := s.refused(ctx, op, space, writes, spans, cmds, err); partial != nil {
		return partial
	}
	return redisError(op, "itemvec:"+space, err)
}

// MigrateKeys brings a space written before keys had hash tags (item
// itemvec:<space>:item:<id>, failure record itemvec:<space>:failed:<id>) to
// today's layout: each such key is renamed to its tagged name (a tagged key
// that exists already wins and the old one is deleted), and each item is
// added to the space's item index with its updated_at. It is idempotent and
// returns the keys it moved. Run it once per space, with the space's
// workers stopped, on the single Redis the old layout lived on.
func (s *VectorStore) MigrateKeys(ctx context.Context, space string) (int64, error) {
	const op = "storage.VectorStore.MigrateKeys"
	if err := checkSpace(op, space); err != nil {
		return 0, err
	}
	var moved int64
	for _, kind := range []struct {
		prefix string
		key    func(space, id string) string
	}{{itemPrefix(space), ItemKey}, {"itemvec:" + space + ":failed:", FailedKey}} {
		var old []string
		if err := s.scanKeys(ctx, kind.prefix+"*", func(k string) error {
			if id := k[len(kind.prefix):]; !(len(id) > 1 && id[0] == '{' && id[len(id)-1] == '}') {
				old = append(old, k)
			}
			return nil
		}); err != nil {
			return moved, err
		}
		for _, k := range old {
			id := k[len(kind.prefix):]
			to := kind.key(space, id)
			ok, err := s.rdb.RenameNX(ctx, k, to).Result()
			if err != nil {
				return moved, redisError(op, k, err)
			}
			if !ok {
				if err := s.rdb.Del(ctx, k).Err(); err != nil {
					return moved, redisError(op, k, err)
				}
				continue
			}
			moved++
			if kind.prefix != itemPrefix(space) {
				continue
			}
			ms, err := s.rdb.HGet(ctx, to, fieldUpdatedAt).Int64()
			if err != nil {
				ms = 0
			}
			if err := s.rdb.ZAddNX(ctx, IndexKey(space), redis.Z{Score: float64(ms), Member: id}).Err(); err != nil {
				return moved, redisError(op, IndexKey(space), err)
			}
		}
	}
	return moved, nil
}
