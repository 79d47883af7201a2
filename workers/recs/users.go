package recs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/fusion/users"
	"github.com/itemvec/itemvec/storage"
)

// UsersConfig configures BuildUsers. Exactly one of Events and Stream is
// set.
type UsersConfig struct {
	// Space is the item space whose vectors the user vectors are made of
	// and under which they are published; required.
	Space string
	// Spec is the user spec; nil means users.DefaultSpec().
	Spec *users.Spec
	// Events is a JSON-lines file of events: a full history, so every user
	// in it gets a vector made of its events alone.
	Events io.Reader
	// Stream is a Redis stream of events (fields user, device, item,
	// action, ts): the build reads it after the last entry an earlier build
	// read (UsersStateKey) and adds the new events to the users' stored
	// vectors.
	Stream string
	// Restart reads Stream from its start and rebuilds its users from
	// scratch.
	Restart bool
	Logger  *slog.Logger
}

// UsersReport says what BuildUsers did.
type UsersReport struct {
	// Events is the number of events added to user vectors.
	Events int
	// Users is the number of user vectors published.
	Users int
	// BadLines are the events that could not be read, each with why.
	BadLines []users.LineError
	// UnknownItems counts events naming an item without a vector in the
	// space (left out), by item id.
	UnknownItems map[string]int
	// LastID is the last stream entry read (Stream only).
	LastID string
}

// BuildUsers turns interaction events into user vectors (fusion/users)
// and publishes them (storage.PublishUsers). An event whose line cannot
// be read or whose item has no vector is left out and reported; the other
// events still count.
func BuildUsers(ctx context.Context, store *storage.VectorStore, cfg UsersConfig) (UsersReport, error) {
	const op = "recs.BuildUsers"
	rep := UsersReport{UnknownItems: map[string]int{}}
	if (cfg.Events == nil) == (cfg.Stream == "") {
		return rep, itemvec.Errorf(itemvec.KindConfig, op, "give either an events file or an event stream")
	}
	spec := cfg.Spec
	if spec == nil {
		spec = users.DefaultSpec()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	var events []users.Event
	if cfg.Events != nil {
		bad, err := users.ReadEvents(cfg.Events, func(e users.Event) error {
			events = append(events, e)
			return nil
		})
		if err != nil {
			return rep, itemvec.Wrap(op, err)
		}
		rep.BadLines = bad
	} else {
		after := "0"
		if !cfg.Restart {
			var err error
			if after, err = store.UsersSource(ctx, cfg.Space, cfg.Stream); err != nil {
				return rep, err
			}
		}
		rep.LastID = after
		for {
			entries, err := store.ReadStream(ctx, cfg.Stream, rep.LastID, 1000)
			if err != nil {
				return rep, err
			}
			for _, en := range entries {
				e, err := users.EventFromFields(en.Fields)
				if err != nil {
					rep.BadLines = append(rep.BadLines, users.LineError{Line: 0, Err: fmt.Errorf("stream entry %s: %w", en.ID, err)})
					continue
				}
				events = append(events, e)
			}
			if len(entries) > 0 {
				rep.LastID = entries[len(entries)-1].ID
			}
			if len(entries) < 1000 {
				break
			}
		}
	}

	// The profiles to add to: fresh for a file (a full history) or a
	// restart, the stored ones for a stream.
	byUser := map[string][]users.Event{}
	var order []string
	for _, e := range events {
		if _, ok := byUser[e.User]; !ok {
			order = append(order, e.User)
		}
		byUser[e.User] = append(byUser[e.User], e)
	}
	items, err := itemVectors(ctx, store, cfg.Space, events)
	if err != nil {
		return rep, err
	}
	for start := 0; start < len(order); start += 500 {
		batch := order[start:min(start+500, len(order))]
		stored := make([]*storage.UserVector, len(batch))
		if cfg.Stream != "" && !cfg.Restart {
			if stored, err = store.Users(ctx, cfg.Space, batch...); err != nil {
				return rep, err
			}
		}
		out := make([]storage.UserVector, 0, len(batch))
		for i, uid := range batch {
			p := &users.Profile{User: uid}
			if s := stored[i]; s != nil {
				if s.SpecHash != spec.Hash() {
					return rep, itemvec.Errorf(itemvec.KindConfig, op,
						"user %s was built with user spec %s (%.8s), not %s (%.8s): rebuild with --restart", uid, s.SpecID, s.SpecHash, spec.ID, spec.Hash())
				}
				p = profileOf(s)
			}
			added := 0
			for _, e := range byUser[uid] {
				v, ok := items[e.Item]
				if !ok {
					rep.UnknownItems[e.Item]++
					continue
				}
				if err := spec.Add(p, e, v); err != nil {
					return rep, itemvec.Wrap(op, err)
				}
				added++
			}
			vec, ok := p.Vector()
			if !ok || added == 0 {
				continue // no event of this user named an item of the space (or weights 0)
			}
			rep.Events += added
			out = append(out, userVector(p, vec, spec))
		}
		if err := store.PublishUsers(ctx, cfg.Space, out); err != nil {
			return rep, err
		}
		rep.Users += len(out)
		if err := ctx.Err(); err != nil {
			return rep, itemvec.Wrap(op, err)
		}
	}
	if cfg.Stream != "" {
		if err := store.SaveUsersSource(ctx, cfg.Space, cfg.Stream, rep.LastID); err != nil {
			return rep, err
		}
	}
	if len(rep.UnknownItems) > 0 {
		cfg.Logger.Warn("events name items without a vector in the space; they were left out",
			"space", cfg.Space, "items", len(rep.UnknownItems))
	}
	cfg.Logger.Info("user vectors built", "space", cfg.Space, "events", rep.Events, "users", rep.Users, "bad_lines", len(rep.BadLines))
	return rep, nil
}

// itemVectors reads the vectors of the items the events name.
func itemVectors(ctx context.Context, store *storage.VectorStore, space string, events []users.Event) (map[string][]float32, error) {
	seen := map[string]bool{}
	var ids []string
	for _, e := range events {
		if !seen[e.Item] {
			seen[e.Item] = true
			ids = append(ids, e.Item)
		}
	}
	out := make(map[string][]float32, len(ids))
	for start := 0; start < len(ids); start += 500 {
		batch := ids[start:min(start+500, len(ids))]
		got, err := store.Get(ctx, space, batch...)
		if err != nil {
			return nil, err
		}
		for i, it := range got {
			if it != nil {
				out[batch[i]] = it.Vector
			}
		}
	}
	return out, nil
}

func profileOf(s *storage.UserVector) *users.Profile {
	p := &users.Profile{User: s.User, Sum: s.Sum, Ref: s.Ref, Events: s.Events, Devices: s.Devices, Last: s.Last,
		Excluded: map[string]bool{}}
	for _, id := range s.Excluded {
		p.Excluded[id] = true
	}
	return p
}

func userVector(p *users.Profile, vec []float32, spec *users.Spec) storage.UserVector {
	ex := make([]string, 0, len(p.Excluded))
	for id := range p.Excluded {
		ex = append(ex, id)
	}
	slices.Sort(ex)
	return storage.UserVector{User: p.User, Vector: vec, Sum: p.Sum, Ref: p.Ref, SpecID: spec.ID, SpecHash: spec.Hash(),
		Events: p.Events, Devices: p.Devices, Excluded: ex, Last: p.Last}
}

// Evaluate draws synthetic users over the items of space (users.Simulate)
// and measures what their unified vectors gain over per-device ones
// (users.Evaluate).
func Evaluate(ctx context.Context, store *storage.VectorStore, space string, spec *users.Spec, cfg users.SimConfig, k int) (users.Report, users.Simulation, error) {
	m, err := LoadMatrix(ctx, store, space)
	if err != nil {
		return users.Report{}, users.Simulation{}, err
	}
	// In id order: the scan's order is arbitrary, and the same seed must
	// draw the same users from the same space.
	ids := slices.Clone(m.IDs)
	slices.Sort(ids)
	vecs := make([][]float32, len(ids))
	for i, id := range ids {
		row, _ := m.Index(id)
		vecs[i] = m.Row(row)
	}
	sim := users.Simulate(cfg, ids, vecs)
	rep, err := users.Evaluate(spec, sim, ids, vecs, k)
	return rep, sim, err
}
