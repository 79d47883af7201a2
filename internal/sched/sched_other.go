//go:build !linux

package sched

import (
	"errors"
	"fmt"
)

// Apply is not supported here.
func Apply(p Policy) (int, error) {
	return 0, fmt.Errorf("sched: CPU policies are set on Linux only: %w", errors.ErrUnsupported)
}

// Count is not supported here.
func Count() (map[Policy]int, error) {
	return nil, fmt.Errorf("sched: CPU policies are read on Linux only: %w", errors.ErrUnsupported)
}
