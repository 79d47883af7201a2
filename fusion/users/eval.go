package users

import (
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"text/tabwriter"
	"time"
)

// Scored is one recommended item.
type Scored struct {
	ID string
	// Score ranks: Cosine plus the prior, if any.
	Score, Cosine float64
}

// Recommend returns the k items of ids (vectors vecs) with the highest
// dot product with vec plus prior(i) (nil: no prior), best first, ties by
// id, leaving out the ids in exclude.
func Recommend(vec []float32, ids []string, vecs [][]float32, k int, exclude map[string]bool, prior func(i int) float64) []Scored {
	out := make([]Scored, 0, len(ids))
	for i, id := range ids {
		if exclude[id] {
			continue
		}
		var c float64
		for j, x := range vec {
			c += float64(x) * float64(vecs[i][j])
		}
		s := Scored{ID: id, Score: c, Cosine: c}
		if prior != nil {
			s.Score += prior(i)
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Scored) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out[:min(k, len(out))]
}

// SimConfig configures Simulate.
type SimConfig struct {
	Seed uint64
	// Users is the number of synthetic users; 0 means 400.
	Users int
	// InterestSize is the number of items of one interest (a seed item and
	// its nearest items); 0 means 5.
	InterestSize int
	// EventsPerDevice is the mean number of training events per device; 0
	// means 6.
	EventsPerDevice int
	// Start is the time of the first event; zero means 2026-11-01 UTC.
	Start time.Time
}

// Populations of synthetic users.
const (
	// PopulationSplit: each device saw mostly one of the user's two
	// interests (a phone for one kind of product, a PC for another).
	PopulationSplit = "split"
	// PopulationShared: every device saw both interests.
	PopulationShared = "shared"
)

// Simulation is what Simulate draws.
type Simulation struct {
	// Train are the users' events, in time order per user.
	Train []Event
	// HeldOut is each user's next interaction after Train (one per user,
	// on one of the user's devices, with an item of one of its interests
	// that the user did not order).
	HeldOut []Event
	// Population says which population each user is in.
	Population map[string]string
}

var simDevices = []string{"pc", "mobile", "tablet"}

// Simulate draws synthetic users over the items ids (unit vectors vecs)
// from cfg.Seed: each user has two interests (a random seed item and its
// nearest items by dot product) and 2 or 3 devices. Half the users are
// PopulationSplit (device i sees interest i mod 2, 9 events in 10), half
// PopulationShared (every device sees both). Actions are view 60 %, click
// 25 %, cart 10 %, order 5 %, a few hours apart. The same arguments give
// the same events.
func Simulate(cfg SimConfig, ids []string, vecs [][]float32) Simulation {
	if cfg.Users <= 0 {
		cfg.Users = 400
	}
	if cfg.InterestSize <= 0 {
		cfg.InterestSize = 5
	}
	if cfg.EventsPerDevice <= 0 {
		cfg.EventsPerDevice = 6
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x5e7))
	interest := func(seed int) []int {
		return nearest(vecs, seed, min(cfg.InterestSize, len(ids)))
	}
	sim := Simulation{Population: map[string]string{}}
	for u := range cfg.Users {
		uid := fmt.Sprintf("user-%04d", u)
		pop := PopulationShared
		if u%2 == 0 {
			pop = PopulationSplit
		}
		sim.Population[uid] = pop
		a := r.IntN(len(ids))
		b := r.IntN(len(ids))
		for b == a && len(ids) > 1 {
			b = r.IntN(len(ids))
		}
		interests := [2][]int{interest(a), interest(b)}
		devices := slices.Clone(simDevices)
		r.Shuffle(len(devices), func(i, j int) { devices[i], devices[j] = devices[j], devices[i] })
		devices = devices[:2+r.IntN(2)]
		t := cfg.Start.Add(time.Duration(r.IntN(72)) * time.Hour)
		ordered := map[int]bool{}
		// Interleave the devices' events in time.
		var plan []int
		for d := range devices {
			for range cfg.EventsPerDevice - 2 + r.IntN(5) {
				plan = append(plan, d)
			}
		}
		r.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
		for _, d := range plan {
			which := r.IntN(2)
			if pop == PopulationSplit {
				which = d % 2
				if r.IntN(10) == 0 {
					which = 1 - which
				}
			}
			items := interests[which]
			it := items[r.IntN(len(items))]
			act := drawAction(r)
			if act == ActionOrder {
				ordered[it] = true
			}
			t = t.Add(time.Duration(1+r.IntN(12)) * time.Hour)
			sim.Train = append(sim.Train, Event{User: uid, Device: devices[d], Item: ids[it], Action: act, Time: t})
		}
		// The next interaction: an item of either interest not ordered.
		var pool []int
		for _, in := range interests {
			for _, it := range in {
				if !ordered[it] && !slices.Contains(pool, it) {
					pool = append(pool, it)
				}
			}
		}
		if len(pool) == 0 {
			continue
		}
		t = t.Add(time.Duration(1+r.IntN(12)) * time.Hour)
		sim.HeldOut = append(sim.HeldOut, Event{User: uid, Device: devices[r.IntN(len(devices))],
			Item: ids[pool[r.IntN(len(pool))]], Action: ActionClick, Time: t})
	}
	return sim
}

func drawAction(r *rand.Rand) Action {
	switch x := r.IntN(100); {
	case x < 60:
		return ActionView
	case x < 85:
		return ActionClick
	case x < 95:
		return ActionCart
	}
	return ActionOrder
}

// nearest returns seed and the n-1 items nearest it by dot product.
func nearest(vecs [][]float32, seed, n int) []int {
	type sc struct {
		i int
		s float64
	}
	var all []sc
	for i, v := range vecs {
		var s float64
		for j, x := range v {
			s += float64(x) * float64(vecs[seed][j])
		}
		if i == seed {
			s = 2 // first
		}
		all = append(all, sc{i, s})
	}
	slices.SortStableFunc(all, func(a, b sc) int {
		switch {
		case a.s > b.s:
			return -1
		case a.s < b.s:
			return 1
		}
		return a.i - b.i
	})
	out := make([]int, 0, n)
	for _, x := range all[:n] {
		out = append(out, x.i)
	}
	return out
}

// Figures are the measurements of one population.
type Figures struct {
	Users int
	// Overlap is the mean over users and their devices of |unified@k ∩
	// device@k| / k: how far one device's own recommendations agree with
	// the unified ones.
	Overlap float64
	// HitUnified is the share of users whose held-out item is in the top k
	// of the unified vector; HitDevice the share whose held-out item is in
	// the top k of the vector of the device the interaction happened on,
	// made of that device's events alone (what a per-device recommender
	// shows there). Users whose device had no event count as misses for
	// HitDevice.
	HitUnified, HitDevice float64
}

// Report is what Evaluate measures, per population and over all users.
type Report struct {
	K           int
	Populations map[string]Figures
	All         Figures
}

// Evaluate builds, for every user of sim, the unified vector (all training
// events) and one vector per device (that device's events alone), and
// measures overlap@k and hit-rate@k of the held-out interactions (see
// Figures). Recommendations leave out what the vector's events ordered.
func Evaluate(spec *Spec, sim Simulation, ids []string, vecs [][]float32, k int) (Report, error) {
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		index[id] = i
	}
	type prof struct {
		unified *Profile
		devices map[string]*Profile
	}
	profs := map[string]*prof{}
	for _, e := range sim.Train {
		i, ok := index[e.Item]
		if !ok {
			continue
		}
		p := profs[e.User]
		if p == nil {
			p = &prof{unified: &Profile{User: e.User}, devices: map[string]*Profile{}}
			profs[e.User] = p
		}
		if err := spec.Add(p.unified, e, vecs[i]); err != nil {
			return Report{}, err
		}
		dp := p.devices[e.Device]
		if dp == nil {
			dp = &Profile{User: e.User}
			p.devices[e.Device] = dp
		}
		if err := spec.Add(dp, e, vecs[i]); err != nil {
			return Report{}, err
		}
	}
	rep := Report{K: k, Populations: map[string]Figures{}}
	type acc struct {
		users, pairs          int
		overlap               float64
		hitUnified, hitDevice int
	}
	accs := map[string]*acc{}
	all := &acc{}
	for _, h := range sim.HeldOut {
		p := profs[h.User]
		if p == nil {
			continue
		}
		uv, ok := p.unified.Vector()
		if !ok {
			continue
		}
		pop := sim.Population[h.User]
		a := accs[pop]
		if a == nil {
			a = &acc{}
			accs[pop] = a
		}
		unified := Recommend(uv, ids, vecs, k, p.unified.Excluded, nil)
		hitU := contains(unified, h.Item)
		hitD := false
		var overlap float64
		var pairs int
		for d, dp := range p.devices {
			dv, ok := dp.Vector()
			if !ok {
				continue
			}
			recs := Recommend(dv, ids, vecs, k, dp.Excluded, nil)
			overlap += overlapOf(unified, recs, k)
			pairs++
			if d == h.Device {
				hitD = contains(recs, h.Item)
			}
		}
		for _, x := range []*acc{a, all} {
			x.users++
			x.pairs += pairs
			x.overlap += overlap
			if hitU {
				x.hitUnified++
			}
			if hitD {
				x.hitDevice++
			}
		}
	}
	fig := func(a *acc) Figures {
		f := Figures{Users: a.users}
		if a.pairs > 0 {
			f.Overlap = a.overlap / float64(a.pairs)
		}
		if a.users > 0 {
			f.HitUnified = float64(a.hitUnified) / float64(a.users)
			f.HitDevice = float64(a.hitDevice) / float64(a.users)
		}
		return f
	}
	for pop, a := range accs {
		rep.Populations[pop] = fig(a)
	}
	rep.All = fig(all)
	return rep, nil
}

func contains(rs []Scored, id string) bool {
	return slices.ContainsFunc(rs, func(s Scored) bool { return s.ID == id })
}

func overlapOf(a, b []Scored, k int) float64 {
	n := 0
	for _, x := range a {
		if contains(b, x.ID) {
			n++
		}
	}
	return float64(n) / float64(k)
}

// Print writes the report as a table.
func (r Report) Print(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "USERS\tPOPULATION\tOVERLAP@%d unified vs one device\tHIT-RATE@%d unified\tHIT-RATE@%d that device alone\n", r.K, r.K, r.K)
	for _, pop := range []string{PopulationSplit, PopulationShared} {
		if f, ok := r.Populations[pop]; ok {
			fmt.Fprintf(tw, "%d\t%s\t%.3f\t%.3f\t%.3f\n", f.Users, pop, f.Overlap, f.HitUnified, f.HitDevice)
		}
	}
	fmt.Fprintf(tw, "%d\tall\t%.3f\t%.3f\t%.3f\n", r.All.Users, r.All.Overlap, r.All.HitUnified, r.All.HitDevice)
	return tw.Flush()
}
