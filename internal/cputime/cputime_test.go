package cputime

import (
	"testing"
	"time"
)

func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

// TestMeasure checks that a busy loop counts as CPU time and a sleep does
// not.
func TestMeasure(t *testing.T) {
	if !Supported {
		t.Skip("no per-thread CPU clock on this platform")
	}
	busy := Measure(func() { spin(50 * time.Millisecond) })
	idle := Measure(func() { time.Sleep(50 * time.Millisecond) })
	// The busy loop may be descheduled on a loaded machine, so only a
	// loose lower bound; sleeping costs next to nothing.
	if busy < 10*time.Millisecond {
		t.Errorf("50ms busy loop measured %v of CPU", busy)
	}
	if idle > 5*time.Millisecond {
		t.Errorf("50ms sleep measured %v of CPU", idle)
	}
	before := Process()
	spin(20 * time.Millisecond)
	if d := Process() - before; d <= 0 {
		t.Errorf("process CPU time did not grow over a busy loop: %v", d)
	}
}
