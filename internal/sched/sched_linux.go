package sched

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// linuxPolicy is p's Linux policy number.
func linuxPolicy(p Policy) (uint32, error) {
	switch p {
	case Normal:
		return unix.SCHED_NORMAL, nil
	case Batch:
		return unix.SCHED_BATCH, nil
	}
	return 0, fmt.Errorf("sched: unknown policy %q", p)
}

// Apply gives every thread of the process policy p, keeping each thread's
// nice value, and returns how many threads it changed. It walks the
// process's threads until a pass finds none left to change, so that a
// thread started during a pass by one not yet changed is covered by the
// next. A thread that exits meanwhile is skipped.
func Apply(p Policy) (changed int, err error) {
	want, err := linuxPolicy(p)
	if err != nil {
		return 0, err
	}
	for pass := 0; pass < 8; pass++ {
		n := 0
		err := eachThread(func(tid int, attr *unix.SchedAttr) error {
			if attr.Policy == want {
				return nil
			}
			// Only the nice value carries over: a real-time priority or
			// deadline parameters would be invalid for the new policy.
			set := &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: want, Nice: attr.Nice}
			if err := unix.SchedSetAttr(tid, set, 0); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("sched: set thread %d to %s: %w", tid, p, err)
			}
			n++
			return nil
		})
		changed += n
		if err != nil || n == 0 {
			return changed, err
		}
	}
	return changed, fmt.Errorf("sched: threads kept appearing with another policy than %s", p)
}

// Count returns how many of the process's threads run under each policy;
// a policy other than Normal and Batch counts under its Linux number
// ("policy 1" for SCHED_FIFO).
func Count() (map[Policy]int, error) {
	out := make(map[Policy]int)
	err := eachThread(func(_ int, attr *unix.SchedAttr) error {
		switch attr.Policy {
		case unix.SCHED_NORMAL:
			out[Normal]++
		case unix.SCHED_BATCH:
			out[Batch]++
		default:
			out[Policy(fmt.Sprintf("policy %d", attr.Policy))]++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachThread calls f with every thread of the process and its scheduling
// attributes, until f fails; a thread that exits meanwhile is skipped.
func eachThread(f func(tid int, attr *unix.SchedAttr) error) error {
	tids, err := threads()
	if err != nil {
		return err
	}
	for _, tid := range tids {
		attr, err := unix.SchedGetAttr(tid, 0)
		if errors.Is(err, unix.ESRCH) {
			continue // exited
		}
		if err != nil {
			return fmt.Errorf("sched: read the policy of thread %d: %w", tid, err)
		}
		if err := f(tid, attr); err != nil {
			return err
		}
	}
	return nil
}

// threads lists the ids of the process's threads.
func threads() ([]int, error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, fmt.Errorf("sched: list the process's threads: %w", err)
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}
