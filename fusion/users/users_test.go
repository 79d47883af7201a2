package users_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/fusion/users"
)

var t0 = time.UnixMilli(1_764_000_000_000)

func TestReadEvents(t *testing.T) {
	input := strings.Join([]string{
		`{"user":"u1","device":"Mobile","item":"sku-1","action":"view","ts":1764000000000}`,
		``,
		`{"user":"u1","device":"pc","item":"sku-2","action":"ORDER","ts":"2025-11-24T16:00:00Z"}`,
		`not json`,
		`{"device":"pc","item":"sku-2","action":"view","ts":1}`,
		`{"user":"u2","device":"pc","action":"view","ts":1}`,
		`{"user":"u2","item":"sku-3","action":"view","ts":1}`,
		`{"user":"u2","device":"pc","item":"sku-3","action":"like","ts":1}`,
		`{"user":"u2","device":"pc","item":"sku-3","action":"view"}`,
		`{"user":"u2","device":"pc","item":"sku-3","action":"view","ts":"yesterday"}`,
		`{"user":"u3","device":"tablet","item":"sku-4","action":"cart","ts":1764000000001}`,
	}, "\n")
	var got []users.Event
	bad, err := users.ReadEvents(strings.NewReader(input), func(e users.Event) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []users.Event{
		{User: "u1", Device: "mobile", Item: "sku-1", Action: users.ActionView, Time: time.UnixMilli(1764000000000)},
		{User: "u1", Device: "pc", Item: "sku-2", Action: users.ActionOrder, Time: time.Date(2025, 11, 24, 16, 0, 0, 0, time.UTC)},
		{User: "u3", Device: "tablet", Item: "sku-4", Action: users.ActionCart, Time: time.UnixMilli(1764000000001)},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d events %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i].User != want[i].User || got[i].Device != want[i].Device || got[i].Item != want[i].Item ||
			got[i].Action != want[i].Action || !got[i].Time.Equal(want[i].Time) {
			t.Errorf("event %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	wantBad := []struct {
		line int
		msg  string
	}{
		{4, "not a JSON event"}, {5, "no user"}, {6, "user u2: no item"}, {7, "no device"},
		{8, `unknown action "like"`}, {9, "no ts"}, {10, `ts "yesterday" is neither unix milliseconds nor RFC 3339`},
	}
	if len(bad) != len(wantBad) {
		t.Fatalf("bad lines %v, want %d", bad, len(wantBad))
	}
	for i, w := range wantBad {
		if bad[i].Line != w.line || !strings.Contains(bad[i].Error(), w.msg) {
			t.Errorf("bad line %d: %v, want line %d saying %q", i, bad[i], w.line, w.msg)
		}
	}
}

func TestEventFieldsRoundTrip(t *testing.T) {
	e := users.Event{User: "u", Device: "pc", Item: "i", Action: users.ActionCart, Time: t0}
	f := map[string]string{}
	kv := e.Fields()
	for i := 0; i < len(kv); i += 2 {
		f[kv[i].(string)] = kv[i+1].(string)
	}
	back, err := users.EventFromFields(f)
	if err != nil || back.User != e.User || back.Item != e.Item || back.Action != e.Action || !back.Time.Equal(e.Time) || back.Device != "pc" {
		t.Errorf("round trip %+v, %v", back, err)
	}
}

func TestSpecValidate(t *testing.T) {
	base := `{"id":"s","version":1,"half_life_hours":24,"actions":{"view":1},"exclude_actions":["order"],"device_prior":{"weight":0.1}}`
	if _, err := users.ParseSpec([]byte(base)); err != nil {
		t.Fatalf("valid spec refused: %v", err)
	}
	for _, tc := range []struct{ name, spec, msg string }{
		{"no id", strings.Replace(base, `"id":"s"`, `"id":""`, 1), "no id"},
		{"zero half-life", strings.Replace(base, `"half_life_hours":24`, `"half_life_hours":0`, 1), "half_life_hours"},
		{"negative weight", strings.Replace(base, `{"view":1}`, `{"view":-1}`, 1), "weight of view"},
		{"no positive weight", strings.Replace(base, `{"view":1}`, `{"view":0}`, 1), "no action has a positive weight"},
		{"unknown action", strings.Replace(base, `{"view":1}`, `{"view":1,"like":2}`, 1), `unknown action "like"`},
		{"unknown exclude", strings.Replace(base, `["order"]`, `["buy"]`, 1), `unknown exclude action "buy"`},
		{"negative prior", strings.Replace(base, `{"weight":0.1}`, `{"weight":-0.1}`, 1), "device_prior.weight"},
		{"unknown field", strings.Replace(base, `"version":1`, `"version":1,"halflife":3`, 1), "unknown field"},
		{"trailing data", base + `{}`, "trailing data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := users.ParseSpec([]byte(tc.spec))
			if itemvec.KindOf(err) != itemvec.KindConfig || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %v, want a config error saying %q", err, tc.msg)
			}
		})
	}
}

// TestDefaultSpecHash pins the built-in spec: a change to it must be a new
// spec (id or version), so this hash changes only on purpose.
func TestDefaultSpecHash(t *testing.T) {
	s := users.DefaultSpec()
	const want = "7830202a7c51a022dde2e08564b4492ae6f19d6c89691b9aab4a3685210780f9"
	if s.ID != "itemvec-users-v1" || s.HalfLifeHours != 168 || s.Actions[users.ActionOrder] != 8 {
		t.Fatalf("default spec %+v", s)
	}
	if got := s.Hash(); got != want {
		t.Errorf("default spec hash %s, want %s", got, want)
	}
}

func unit(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	var s float64
	for i := range v {
		v[i] = float32(r.NormFloat64())
		s += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(s))
	}
	return v
}

// reference is the user vector computed straight from the definition.
func reference(spec *users.Spec, events []users.Event, items map[string][]float32, dim int) []float64 {
	asOf := t0.Add(1000 * time.Hour)
	sum := make([]float64, dim)
	for _, e := range events {
		w := spec.Actions[e.Action] * math.Pow(0.5, asOf.Sub(e.Time).Hours()/spec.HalfLifeHours)
		for i, x := range items[e.Item] {
			sum[i] += w * float64(x)
		}
	}
	var n float64
	for _, x := range sum {
		n += x * x
	}
	for i := range sum {
		sum[i] /= math.Sqrt(n)
	}
	return sum
}

func TestProfileEqualsReference(t *testing.T) {
	spec := users.DefaultSpec()
	r := rand.New(rand.NewPCG(3, 4))
	const dim = 16
	items := map[string][]float32{}
	for i := range 10 {
		items[fmt.Sprint("sku-", i)] = unit(r, dim)
	}
	var events []users.Event
	for i := range 40 {
		events = append(events, users.Event{User: "u", Device: []string{"pc", "mobile", "tablet"}[i%3],
			Item: fmt.Sprint("sku-", r.IntN(10)), Action: users.Actions[r.IntN(4)],
			Time: t0.Add(time.Duration(r.IntN(2000)) * time.Hour)})
	}
	want := reference(spec, events, items, dim)
	check := func(name string, p *users.Profile) {
		t.Helper()
		v, ok := p.Vector()
		if !ok {
			t.Fatalf("%s: no vector", name)
		}
		for i := range want {
			if math.Abs(float64(v[i])-want[i]) > 1e-5 {
				t.Fatalf("%s: value %d = %v, want %v", name, i, v[i], want[i])
			}
		}
		if p.Events != len(events) || p.Devices["pc"]+p.Devices["mobile"]+p.Devices["tablet"] != len(events) {
			t.Errorf("%s: %d events, devices %v", name, p.Events, p.Devices)
		}
	}
	for trial := range 3 {
		shuffled := slices.Clone(events)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		p := &users.Profile{User: "u"}
		for _, e := range shuffled {
			if err := spec.Add(p, e, items[e.Item]); err != nil {
				t.Fatal(err)
			}
		}
		check(fmt.Sprint("shuffled ", trial), p)
	}
	// Incremental: half now, the rest later onto a copy of the first
	// profile (as a build reads it back from Redis).
	p := &users.Profile{User: "u"}
	for _, e := range events[:20] {
		if err := spec.Add(p, e, items[e.Item]); err != nil {
			t.Fatalf("incremental, first half: Add(%+v): %v, want no error", e, err)
		}
	}
	later := &users.Profile{User: p.User, Sum: slices.Clone(p.Sum), Ref: p.Ref, Events: p.Events, Devices: p.Devices, Excluded: p.Excluded, Last: p.Last}
	for _, e := range events[20:] {
		if err := spec.Add(later, e, items[e.Item]); err != nil {
			t.Fatalf("incremental, second half: Add(%+v): %v, want no error", e, err)
		}
	}
	check("incremental", later)
	ordered := map[string]bool{}
	for _, e := range events {
		if e.Action == users.ActionOrder {
			ordered[e.Item] = true
		}
	}
	if !reflect.DeepEqual(later.Excluded, ordered) {
		t.Errorf("excluded %v, want the ordered items %v", later.Excluded, ordered)
	}
	if err := spec.Add(later, users.Event{User: "other", Item: "sku-1"}, items["sku-1"]); itemvec.KindOf(err) != itemvec.KindBadInput {
		t.Errorf("an event of another user: %v", err)
	}
	if err := spec.Add(later, users.Event{User: "u", Item: "x", Time: t0}, make([]float32, 3)); itemvec.KindOf(err) != itemvec.KindBadInput {
		t.Errorf("an item of another dim: %v", err)
	}
	if _, ok := (&users.Profile{User: "u"}).Vector(); ok {
		t.Error("an empty profile has a vector")
	}
}

func TestPrior(t *testing.T) {
	spec := users.DefaultSpec() // weight 0.05
	b := &fusion.Behavior{Devices: map[string]fusion.DeviceCounters{"mobile": {Views: 600}, "pc": {Views: 300}, "tablet": {Views: 100}}}
	for _, tc := range []struct {
		b      *fusion.Behavior
		device string
		want   float64
	}{
		{b, "mobile", 0.05 * (0.6 - 1.0/3)},
		{b, "tablet", 0.05 * (0.1 - 1.0/3)},
		{b, "watch", 0.05 * (0 - 1.0/3)},
		{b, "", 0},
		{nil, "mobile", 0},
		{&fusion.Behavior{}, "mobile", 0},
	} {
		if got := spec.Prior(tc.b, tc.device); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Prior(%v, %q) = %v, want %v", tc.b, tc.device, got, tc.want)
		}
	}
}

func TestRecommend(t *testing.T) {
	ids := []string{"a", "b", "c", "d"}
	vecs := [][]float32{{1, 0}, {0.8, 0.6}, {0.8, 0.6}, {0, 1}}
	got := users.Recommend([]float32{1, 0}, ids, vecs, 3, map[string]bool{"a": true}, nil)
	if fmt.Sprint(ids3(got)) != "[b c d]" {
		t.Errorf("Recommend = %v, want b, c (tie by id), d; a excluded", got)
	}
	got = users.Recommend([]float32{1, 0}, ids, vecs, 2, nil, func(i int) float64 { return float64(i) })
	if fmt.Sprint(ids3(got)) != "[d c]" || got[0].Cosine != 0 {
		t.Errorf("with a prior: %v", got)
	}
}

func ids3(s []users.Scored) []string {
	var out []string
	for _, x := range s {
		out = append(out, x.ID)
	}
	return out
}

// clusteredItems: 60 items in 12 tight groups of 5.
func clusteredItems(seed uint64) ([]string, [][]float32) {
	r := rand.New(rand.NewPCG(seed, 9))
	var ids []string
	var vecs [][]float32
	for g := range 12 {
		c := unit(r, 24)
		for j := range 5 {
			v := make([]float32, 24)
			noise := unit(r, 24)
			var s float64
			for i := range v {
				v[i] = c[i] + 0.25*noise[i]
				s += float64(v[i]) * float64(v[i])
			}
			for i := range v {
				v[i] /= float32(math.Sqrt(s))
			}
			ids = append(ids, fmt.Sprintf("g%02d-%d", g, j))
			vecs = append(vecs, v)
		}
	}
	return ids, vecs
}

func TestSimulateIsDeterministic(t *testing.T) {
	ids, vecs := clusteredItems(1)
	a := users.Simulate(users.SimConfig{Seed: 7, Users: 20}, ids, vecs)
	b := users.Simulate(users.SimConfig{Seed: 7, Users: 20}, ids, vecs)
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed gave other events")
	}
	c := users.Simulate(users.SimConfig{Seed: 8, Users: 20}, ids, vecs)
	if reflect.DeepEqual(a.Train, c.Train) {
		t.Error("another seed gave the same events")
	}
	devices := map[string]map[string]bool{}
	for _, e := range a.Train {
		if devices[e.User] == nil {
			devices[e.User] = map[string]bool{}
		}
		devices[e.User][e.Device] = true
	}
	for u, d := range devices {
		if len(d) < 2 || len(d) > 3 {
			t.Errorf("%s is active on %d devices", u, len(d))
		}
	}
	if len(a.HeldOut) != 20 {
		t.Errorf("%d held-out events for 20 users", len(a.HeldOut))
	}
}

// TestEvaluateUnifiedWinsOnSplitUsers: when each device saw a different
// interest, the unified vector finds the next interaction more often than
// the vector of the device it happened on.
func TestEvaluateUnifiedWinsOnSplitUsers(t *testing.T) {
	ids, vecs := clusteredItems(2)
	sim := users.Simulate(users.SimConfig{Seed: 1, Users: 400}, ids, vecs)
	rep, err := users.Evaluate(users.DefaultSpec(), sim, ids, vecs, 10)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	_ = rep.Print(&b)
	t.Logf("synthetic clustered items (60):\n%s", b.String())
	split := rep.Populations[users.PopulationSplit]
	if split.Users < 150 || split.HitUnified <= split.HitDevice {
		t.Errorf("split users: %+v; the unified vector should find more held-out items", split)
	}
	if shared := rep.Populations[users.PopulationShared]; shared.Overlap <= split.Overlap {
		t.Errorf("overlap of shared users %.3f is not above split users' %.3f", shared.Overlap, split.Overlap)
	}
}
