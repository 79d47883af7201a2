package cputime

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// Supported reports whether Thread measures anything on this platform.
const Supported = true

// Thread is the CPU time the calling OS thread has used. It only means
// something between two calls made while the goroutine is locked to its
// thread (runtime.LockOSThread); see Measure.
func Thread() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// Process is the CPU time (user + system) every thread of the process has
// used.
func Process() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// Measure runs f locked to one OS thread and returns the CPU time that
// thread spent in it: f's own work, including cgo calls, but not work f
// hands to other goroutines or threads.
func Measure(f func()) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := Thread()
	f()
	return Thread() - start
}
