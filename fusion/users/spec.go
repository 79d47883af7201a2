package users

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"time"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/fusion"
)

// Action is what a user did with an item.
type Action string

// The actions.
const (
	ActionView  Action = "view"
	ActionClick Action = "click"
	ActionCart  Action = "cart"
	ActionOrder Action = "order"
)

// Actions lists every action, in funnel order.
var Actions = []Action{ActionView, ActionClick, ActionCart, ActionOrder}

// Spec is a versioned user spec: how events weigh.
type Spec struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
	// HalfLifeHours is the age at which an event weighs half as much.
	HalfLifeHours float64 `json:"half_life_hours"`
	// Actions weighs each action; an action missing here weighs 0.
	Actions map[Action]float64 `json:"actions"`
	// ExcludeActions lists the actions whose items recommendations leave
	// out (what the user already ordered).
	ExcludeActions []Action `json:"exclude_actions"`
	// DevicePrior is the ranking bonus of the device asked for.
	DevicePrior struct {
		Weight float64 `json:"weight"`
	} `json:"device_prior"`
}

//go:embed specs/v1.json
var v1JSON []byte

// DefaultSpec returns a fresh copy of the embedded specs/v1.json.
func DefaultSpec() *Spec {
	s, err := ParseSpec(v1JSON)
	if err != nil {
		panic(err) // the embedded file is part of the source and tested
	}
	return s
}

// LoadSpec reads and validates a spec file.
func LoadSpec(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, itemvec.E(itemvec.KindConfig, "users.LoadSpec", err)
	}
	return ParseSpec(data)
}

// ParseSpec decodes and validates a spec (unknown fields are refused).
func ParseSpec(data []byte) (*Spec, error) {
	const op = "users.ParseSpec"
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Spec
	if err := dec.Decode(&s); err != nil {
		return nil, itemvec.Errorf(itemvec.KindConfig, op, "user spec: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, itemvec.Errorf(itemvec.KindConfig, op, "user spec: trailing data after the spec object")
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Validate checks the spec: an id, a positive finite half-life, finite
// non-negative weights of known actions with at least one positive, and a
// finite non-negative device prior weight.
func (s *Spec) Validate() error {
	const op = "users.Spec.Validate"
	bad := func(format string, args ...any) error {
		return itemvec.Errorf(itemvec.KindConfig, op, "user spec %q: "+format, append([]any{s.ID}, args...)...)
	}
	if s.ID == "" {
		return bad("no id")
	}
	if !(s.HalfLifeHours > 0) || math.IsInf(s.HalfLifeHours, 0) {
		return bad("half_life_hours must be a positive number, not %v", s.HalfLifeHours)
	}
	positive := false
	for a, w := range s.Actions {
		if !slices.Contains(Actions, a) {
			return bad("unknown action %q (known: view, click, cart, order)", a)
		}
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return bad("weight of %s must be a finite number >= 0, not %v", a, w)
		}
		positive = positive || w > 0
	}
	if !positive {
		return bad("no action has a positive weight")
	}
	for _, a := range s.ExcludeActions {
		if !slices.Contains(Actions, a) {
			return bad("unknown exclude action %q", a)
		}
	}
	if w := s.DevicePrior.Weight; w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
		return bad("device_prior.weight must be a finite number >= 0, not %v", w)
	}
	return nil
}

// Hash is the SHA-256 of the spec's canonical JSON (map keys sorted).
func (s *Spec) Hash() string {
	canonical, err := json.Marshal(s)
	if err != nil {
		canonical = fmt.Appendf(nil, "%#v", *s)
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

// halfLife is HalfLifeHours as a duration in milliseconds.
func (s *Spec) halfLifeMS() float64 { return s.HalfLifeHours * float64(time.Hour/time.Millisecond) }

// Profile accumulates one user's events; the zero value (with User set)
// is an empty profile.
type Profile struct {
	User string
	// Sum is Σ w(e) v(item) with the weights decayed to Ref; not normalised.
	Sum []float32
	// Ref is the time Sum is decayed to: the newest event added.
	Ref time.Time
	// Events counts the events added, Devices per device.
	Events  int
	Devices map[string]int
	// Excluded holds the items of events with an exclude action.
	Excluded map[string]bool
	// Last is the time of the newest event.
	Last time.Time
}

// Add adds event e about the item whose unit vector is item to p. An item
// vector of another length than p's sum, or an event of another user, is a
// KindBadInput error.
func (s *Spec) Add(p *Profile, e Event, item []float32) error {
	const op = "users.Spec.Add"
	if e.User != p.User {
		return itemvec.Errorf(itemvec.KindBadInput, op, "event of user %q added to user %q", e.User, p.User)
	}
	if p.Sum == nil {
		p.Sum = make([]float32, len(item))
		p.Ref = e.Time
	}
	if len(item) != len(p.Sum) {
		return itemvec.Errorf(itemvec.KindBadInput, op, "item %s has %d values, the user vector %d", e.Item, len(item), len(p.Sum))
	}
	hl := s.halfLifeMS()
	if e.Time.After(p.Ref) {
		// Move the reference forward: every earlier weight halves per
		// half-life elapsed.
		f := math.Exp2(-float64(e.Time.Sub(p.Ref).Milliseconds()) / hl)
		for i := range p.Sum {
			p.Sum[i] = float32(float64(p.Sum[i]) * f)
		}
		p.Ref = e.Time
	}
	w := s.Actions[e.Action] * math.Exp2(-float64(p.Ref.Sub(e.Time).Milliseconds())/hl)
	for i, x := range item {
		p.Sum[i] = float32(float64(p.Sum[i]) + w*float64(x))
	}
	p.Events++
	if p.Devices == nil {
		p.Devices = map[string]int{}
	}
	p.Devices[e.Device]++
	if slices.Contains(s.ExcludeActions, e.Action) {
		if p.Excluded == nil {
			p.Excluded = map[string]bool{}
		}
		p.Excluded[e.Item] = true
	}
	if e.Time.After(p.Last) {
		p.Last = e.Time
	}
	return nil
}

// Vector returns the unit-normalised sum, and false when the sum is zero
// (no event, or only events of weight 0).
func (p *Profile) Vector() ([]float32, bool) {
	var n float64
	for _, x := range p.Sum {
		n += float64(x) * float64(x)
	}
	if n == 0 || math.IsNaN(n) || math.IsInf(n, 0) {
		return nil, false
	}
	n = math.Sqrt(n)
	v := make([]float32, len(p.Sum))
	for i, x := range p.Sum {
		v[i] = float32(float64(x) / n)
	}
	return v, true
}

// Prior is the device prior: the ranking bonus of an item with behaviour b on device
// (see the package documentation); 0 without counters or device.
func (s *Spec) Prior(b *fusion.Behavior, device string) float64 {
	if b == nil || device == "" || s.DevicePrior.Weight == 0 {
		return 0
	}
	var total, mine float64
	n := 0
	for d, c := range b.Devices {
		if c.Views <= 0 {
			continue
		}
		n++
		total += float64(c.Views)
		if d == device {
			mine = float64(c.Views)
		}
	}
	if total == 0 {
		return 0
	}
	return s.DevicePrior.Weight * (mine/total - 1/float64(n))
}
