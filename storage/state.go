package storage

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// SweptKey is the ZSET of the ids of archived tasks whose items a worker
// has accounted for (published, or given a failure record), scored by when,
// in unix milliseconds. Entries older than SweptRetention are trimmed.
func SweptKey(space string) string { return "itemvec:" + space + ":swept" }

// SweptRetention is how long a swept task id is remembered; asynq keeps
// archived tasks for 90 days.
const SweptRetention = 91 * 24 * time.Hour

// ItemState is what Redis holds about one item of a space.
type ItemState struct {
	// ContentHash is the content hash of the published vector; "" when the
	// item has none.
	ContentHash string
	// MediaHash is the media hash of the published vector; "" when it has
	// none.
	MediaHash string
	// Failed reports whether the item has a failure record.
	Failed bool
}

// States returns the state of each id in space, in order, in one round
// trip: the content hash of its vector and whether it has a failure record.
func (s *VectorStore) States(ctx context.Context, space string, ids ...string) ([]ItemState, error) {
	const op = "storage.VectorStore.States"
	if err := checkSpace(op, space); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	hashes := make([]*redis.SliceCmd, len(ids))
	failed := make([]*redis.IntCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			hashes[i] = p.HMGet(ctx, ItemKey(space, id), fieldContentHash, fieldMediaHash)
			failed[i] = p.Exists(ctx, FailedKey(space, id))
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return nil, redisError(op, "itemvec:"+space, err)
	}
	out := make([]ItemState, len(ids))
	for i := range ids {
		out[i] = ItemState{Failed: failed[i].Val() > 0}
		if v := hashes[i].Val(); len(v) == 2 {
			out[i].ContentHash, _ = v[0].(string)
			out[i].MediaHash, _ = v[1].(string)
		}
	}
	return out, nil
}

// Swept reports, for each task id, whether MarkSwept recorded it.
func (s *VectorStore) Swept(ctx context.Context, space string, taskIDs ...string) ([]bool, error) {
	const op = "storage.VectorStore.Swept"
	if err := checkSpace(op, space); err != nil {
		return nil, err
	}
	if len(taskIDs) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.FloatCmd, len(taskIDs))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range taskIDs {
			cmds[i] = p.ZScore(ctx, SweptKey(space), id)
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return nil, redisError(op, SweptKey(space), err)
	}
	out := make([]bool, len(taskIDs))
	for i, c := range cmds {
		out[i] = c.Err() == nil
	}
	return out, nil
}

// MarkSwept records that the items of the archived tasks taskIDs are
// accounted for, and forgets marks older than SweptRetention.
func (s *VectorStore) MarkSwept(ctx context.Context, space string, at time.Time, taskIDs ...string) error {
	const op = "storage.VectorStore.MarkSwept"
	if err := checkSpace(op, space); err != nil {
		return err
	}
	if len(taskIDs) == 0 {
		return nil
	}
	ms := at.UnixMilli()
	zs := make([]redis.Z, len(taskIDs))
	for i, id := range taskIDs {
		zs[i] = redis.Z{Score: float64(ms), Member: id}
	}
	cmds, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, SweptKey(space), zs...)
		p.ZRemRangeByScore(ctx, SweptKey(space), "-inf", "("+strconv.FormatInt(at.Add(-SweptRetention).UnixMilli(), 10))
		return nil
	})
	if err != nil {
		return txError(op, SweptKey(space), err, cmds)
	}
	return nil
}
