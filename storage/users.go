package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// User hash fields (UserKey).
const (
	fieldUserSum      = "sum"
	fieldUserRef      = "ref"
	fieldUserEvents   = "events"
	fieldUserDevices  = "devices"
	fieldUserExcluded = "excluded"
	fieldUserLast     = "last_event_at"
)

// UserVector is one user's vector in a space: the time-decayed,
// action-weighted mean of the vectors of the items the user touched on
// any device (fusion/users computes it).
type UserVector struct {
	// User is the user id; it must not be empty.
	User string
	// Vector is the unit-normalised user vector, float32 like vec; its
	// length is the space's dim.
	Vector []float32
	// Sum is the decayed, unnormalised sum Vector was normalised from,
	// decayed to Ref: an incremental build adds new events to it.
	Sum []float32
	// Ref is the time Sum is decayed to (the newest event added).
	Ref time.Time
	// SpecID and SpecHash identify the user spec (half-life, action
	// weights) that made Vector.
	SpecID, SpecHash string
	// Events counts the events added; Devices counts them per device.
	Events  int
	Devices map[string]int
	// Excluded lists the items recommendations must leave out (those the
	// user ordered, with the default spec).
	Excluded []string
	// Last is the time of the newest event.
	Last time.Time
	// UpdatedAt is when the vector was published (millisecond precision);
	// PublishUsers uses the current time when it is zero.
	UpdatedAt time.Time
}

// PublishUsers replaces the hash of each user (UserKey), indexes the user
// in UserIndexKey and appends an entry to UserStreamKey. On a single
// server one MULTI/EXEC writes everything; on a cluster a script replaces
// each hash atomically and the index and stream commands follow in the
// same pipeline.
func (s *VectorStore) PublishUsers(ctx context.Context, space string, users []UserVector) error {
	const op = "storage.VectorStore.PublishUsers"
	if err := checkSpace(op, space); err != nil {
		return err
	}
	now := time.Now()
	for i, u := range users {
		if u.User == "" || len(u.Vector) == 0 || (len(u.Sum) != 0 && len(u.Sum) != len(u.Vector)) {
			return newError(op, "itemvec:"+space, CodeInvalidInput,
				fmt.Errorf("user %d (%q): a user vector needs an id, a vector and a sum of the same length", i, u.User))
		}
	}
	_, err := s.pipelined(ctx, func(p redis.Pipeliner) error {
		for _, u := range users {
			at := u.UpdatedAt
			if at.IsZero() {
				at = now
			}
			devices, _ := json.Marshal(u.Devices)
			excluded := u.Excluded
			if excluded == nil {
				excluded = []string{}
			}
			ex, _ := json.Marshal(excluded)
			ms := strconv.FormatInt(at.UnixMilli(), 10)
			key := UserKey(space, u.User)
			p.Eval(ctx, replaceHashLua, []string{key},
				fieldVec, EncodeVector(u.Vector),
				fieldUserSum, EncodeVector(u.Sum),
				fieldDim, len(u.Vector),
				fieldSpec, u.SpecID,
				fieldSpecHash, u.SpecHash,
				fieldUserRef, u.Ref.UnixMilli(),
				fieldUserEvents, u.Events,
				fieldUserDevices, string(devices),
				fieldUserExcluded, string(ex),
				fieldUserLast, u.Last.UnixMilli(),
				fieldUpdatedAt, ms)
			p.ZAdd(ctx, UserIndexKey(space), redis.Z{Score: float64(at.UnixMilli()), Member: u.User})
			p.XAdd(ctx, &redis.XAddArgs{Stream: UserStreamKey(space), MaxLen: s.streamMaxLen, Approx: true,
				Values: []any{"user", u.User, "updated_at", ms, "events", u.Events}})
		}
		return nil
	})
	if err != nil {
		return redisError(op, UserIndexKey(space), err)
	}
	return nil
}

// Users returns the vectors of the given users of space, in order, nil
// for a user without one, in one round trip. A hash that breaks the
// contract is a CodeCorruptRecord error.
func (s *VectorStore) Users(ctx context.Context, space string, users ...string) ([]*UserVector, error) {
	const op = "storage.VectorStore.Users"
	if err := checkSpace(op, space); err != nil {
		return nil, err
	}
	cmds := make([]*redis.MapStringStringCmd, len(users))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, u := range users {
			cmds[i] = p.HGetAll(ctx, UserKey(space, u))
		}
		return nil
	}); err != nil {
		return nil, redisError(op, UserIndexKey(space), err)
	}
	out := make([]*UserVector, len(users))
	for i, cmd := range cmds {
		h := cmd.Val()
		if len(h) == 0 {
			continue
		}
		u, err := decodeUser(users[i], h)
		if err != nil {
			return nil, newError(op, UserKey(space, users[i]), CodeCorruptRecord, err)
		}
		out[i] = u
	}
	return out, nil
}

func decodeUser(id string, h map[string]string) (*UserVector, error) {
	raw, ok := h[fieldVec]
	if !ok {
		return nil, errors.New("no vec field")
	}
	u := &UserVector{User: id, SpecID: h[fieldSpec], SpecHash: h[fieldSpecHash]}
	var err error
	if u.Vector, err = decodeFloats([]byte(raw)); err != nil {
		return nil, fmt.Errorf("field vec: %w", err)
	}
	if u.Sum, err = decodeFloats([]byte(h[fieldUserSum])); err != nil {
		return nil, fmt.Errorf("field sum: %w", err)
	}
	var dim int
	var ref, last, at int64
	for _, f := range []struct {
		name string
		dst  any
	}{{fieldDim, &dim}, {fieldUserEvents, &u.Events}, {fieldUserRef, &ref}, {fieldUserLast, &last}, {fieldUpdatedAt, &at}} {
		if err := parseField(h[f.name], f.dst); err != nil {
			return nil, fmt.Errorf("field %s: %w", f.name, err)
		}
	}
	if dim != len(u.Vector) {
		return nil, fmt.Errorf("field dim is %d but vec holds %d floats", dim, len(u.Vector))
	}
	if len(u.Sum) != 0 && len(u.Sum) != dim {
		return nil, fmt.Errorf("field sum holds %d floats, not dim %d", len(u.Sum), dim)
	}
	u.Ref, u.Last, u.UpdatedAt = time.UnixMilli(ref), time.UnixMilli(last), time.UnixMilli(at)
	if d := h[fieldUserDevices]; d != "" && d != "null" {
		if err := json.Unmarshal([]byte(d), &u.Devices); err != nil {
			return nil, fmt.Errorf("field devices: %w", err)
		}
	}
	if e := h[fieldUserExcluded]; e != "" {
		if err := json.Unmarshal([]byte(e), &u.Excluded); err != nil {
			return nil, fmt.Errorf("field excluded: %w", err)
		}
	}
	return u, nil
}

// UsersSource returns the last entry id read from the event stream
// source by the user build of space, "0" if none.
func (s *VectorStore) UsersSource(ctx context.Context, space, source string) (string, error) {
	const op = "storage.VectorStore.UsersSource"
	if err := checkSpace(op, space); err != nil {
		return "", err
	}
	id, err := s.rdb.HGet(ctx, UsersStateKey(space), "stream:"+source).Result()
	if errors.Is(err, redis.Nil) {
		return "0", nil
	}
	if err != nil {
		return "", redisError(op, UsersStateKey(space), err)
	}
	return id, nil
}

// SaveUsersSource records the last entry id of source a user build of
// space has accounted for.
func (s *VectorStore) SaveUsersSource(ctx context.Context, space, source, lastID string) error {
	const op = "storage.VectorStore.SaveUsersSource"
	if err := checkSpace(op, space); err != nil {
		return err
	}
	if err := s.rdb.HSet(ctx, UsersStateKey(space), "stream:"+source, lastID).Err(); err != nil {
		return redisError(op, UsersStateKey(space), err)
	}
	return nil
}

// StreamEntry is one entry of a Redis stream read with ReadStream.
type StreamEntry struct {
	ID     string
	Fields map[string]string
}

// ReadStream returns up to count entries of the stream key after the entry
// id after ("0": from the start), oldest first. It reads any stream, e.g.
// an event stream catalog services append interactions to.
func (s *VectorStore) ReadStream(ctx context.Context, key, after string, count int64) ([]StreamEntry, error) {
	const op = "storage.VectorStore.ReadStream"
	if after == "" {
		after = "0"
	}
	msgs, err := s.rdb.XRangeN(ctx, key, "("+after, "+", count).Result()
	if err != nil {
		return nil, redisError(op, key, err)
	}
	out := make([]StreamEntry, len(msgs))
	for i, m := range msgs {
		f := make(map[string]string, len(m.Values))
		for k, v := range m.Values {
			f[k], _ = v.(string)
		}
		out[i] = StreamEntry{ID: m.ID, Fields: f}
	}
	return out, nil
}

// FollowStream reads the stream key from after the entry id from ("$":
// only entries added from now on; "0": from the start) and calls fn for
// each entry, oldest first, blocking up to block per XREAD, until ctx ends
// (then it returns nil) or fn or Redis fails. Device backends follow
// StreamKey, UserStreamKey and PromotionsKey with it.
func (s *VectorStore) FollowStream(ctx context.Context, key, from string, block time.Duration, fn func(StreamEntry) error) error {
	const op = "storage.VectorStore.FollowStream"
	if from == "" {
		from = "$"
	}
	if block <= 0 {
		block = time.Second
	}
	if from == "$" {
		// Resolve "$" once, so entries added between two XREADs are not
		// skipped.
		last, err := s.rdb.XRevRangeN(ctx, key, "+", "-", 1).Result()
		if err != nil {
			return redisError(op, key, err)
		}
		from = "0-0"
		if len(last) == 1 {
			from = last[0].ID
		}
	}
	for {
		res, err := s.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{key, from}, Count: 256, Block: block}).Result()
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, redis.Nil):
			continue
		case err != nil:
			return redisError(op, key, err)
		}
		for _, st := range res {
			for _, m := range st.Messages {
				f := make(map[string]string, len(m.Values))
				for k, v := range m.Values {
					f[k], _ = v.(string)
				}
				if err := fn(StreamEntry{ID: m.ID, Fields: f}); err != nil {
					return err
				}
				from = m.ID
			}
		}
	}
}
