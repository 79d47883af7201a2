// Package users turns shoppers' interaction events from every device into
// one vector per user in an item space, by a versioned spec. It is pure
// math: no I/O but reading events from an io.Reader and a spec file.
//
// # User vector
//
// An event (user, device, item, action, ts) weighs
//
//	w(e) = actions[action] × 0.5^((ref − ts) / half_life)
//
// and a user's vector is the unit-normalised sum of w(e) × v(item) over the
// user's events on any device, where v is the item's unit vector. ref is
// any fixed time: changing it multiplies every weight by the same factor,
// which the normalisation removes, so only the events' relative ages
// matter. Profile keeps the unnormalised sum decayed to its newest event
// (Ref), so new events are added later without the old ones, in any order,
// with the same result up to float rounding.
//
// The device of an event counts the event (Profile.Devices) and nothing
// else: a user is one vector on every device.
//
// # Device prior
//
// A device changes ranking only. For an item whose behaviour counters give
// views v_d per device d (over the devices with counters, n of them),
//
//	prior(item, d) = device_prior.weight × (v_d / Σ v − 1/n)
//
// and 0 without counters: items whose views come more than evenly from d
// gain up to weight, others lose as much. Recommend adds it to the
// cosine.
//
// # Spec
//
// specs/v1.json (itemvec-users-v1): half-life 168 h (a week), weights view
// 1, click 2, cart 4, order 8, ordered items excluded from recommendations,
// device prior weight 0.05. Spec.Hash is the SHA-256 of its canonical JSON.
//
// # Evaluation
//
// Simulate draws synthetic shoppers with coherent interests active on 2–3
// devices and holds out each one's next interaction; Evaluate compares
// recommendations from the unified vector with those from each device's
// events alone (overlap@k, hit-rate@k).
package users
