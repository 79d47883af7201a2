package sched

import "fmt"

// Policy is a CPU scheduling policy.
type Policy string

const (
	// Normal is SCHED_OTHER, Linux's default time-sharing policy.
	Normal Policy = "normal"
	// Batch is SCHED_BATCH: time-sharing without wakeup preemption.
	Batch Policy = "batch"
)

// Parse returns the Policy s names: "normal" or "batch".
func Parse(s string) (Policy, error) {
	switch p := Policy(s); p {
	case Normal, Batch:
		return p, nil
	}
	return "", fmt.Errorf("CPU policy %q: want %q or %q", s, Normal, Batch)
}
