package workers

import (
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultRepeatInterval is how often a repeated warning is summarised.
const DefaultRepeatInterval = time.Minute

// repeatLog keeps a warning that fires for many items (a text the model
// cannot read, items failing for the same reason) from flooding the log:
// the first occurrence of a key is logged in full, later ones are counted
// and summarised at most once per interval ("… repeated 1234 times in the
// last 1m0s"), and every occurrence counts in itemvec_warnings_total{warning}.
// Keys are few and fixed (a warning name, or a failure kind), so the label
// stays bounded.
type repeatLog struct {
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time
	counter  *prometheus.CounterVec

	mu   sync.Mutex
	keys map[string]*repeatState
}

type repeatState struct {
	since  time.Time // start of the current summary period
	count  int       // occurrences since then, the first one excluded
	total  int
	logged bool
}

func newRepeatLog(log *slog.Logger, reg prometheus.Registerer, interval time.Duration, now func() time.Time) *repeatLog {
	r := &repeatLog{log: log, interval: interval, now: now, keys: map[string]*repeatState{},
		counter: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "itemvec_warnings_total",
			Help: "Warnings by name (text_left_out, item_failed:<kind>, …); the log shows the first and then a summary per minute.",
		}, []string{"warning"})}
	reg.MustRegister(r.counter)
	return r
}

// Warn logs msg with args for the first occurrence of key, then counts.
func (r *repeatLog) Warn(key, msg string, args ...any) {
	r.counter.WithLabelValues(key).Inc()
	now := r.now()
	r.mu.Lock()
	st, ok := r.keys[key]
	if !ok {
		st = &repeatState{since: now}
		r.keys[key] = st
	}
	st.total++
	first := !st.logged
	st.logged = true
	var summary int
	var period time.Duration
	if !first {
		st.count++
		if now.Sub(st.since) >= r.interval {
			summary, period = st.count, now.Sub(st.since)
			st.count, st.since = 0, now
		}
	}
	total := st.total
	r.mu.Unlock()
	switch {
	case first:
		r.log.Warn(msg, append(args, "repeats", "counted, summarised every "+r.interval.String())...)
	case summary > 0:
		r.log.Warn(msg, "repeated", summary, "in_the_last", period.Round(time.Second).String(), "total", total)
	}
}
