//go:build !linux

package cputime

import "time"

// Supported reports whether Thread measures anything on this platform.
const Supported = false

// Thread returns 0: this platform has no per-thread CPU clock here.
func Thread() time.Duration { return 0 }

// Process returns 0 on this platform.
func Process() time.Duration { return 0 }

// Measure runs f and returns 0.
func Measure(f func()) time.Duration {
	f()
	return 0
}
