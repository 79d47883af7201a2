package demo

import (
	"strings"
	"testing"
)

func TestModelHint(t *testing.T) {
	tests := []struct {
		name       string
		busy, core float64
		onCPU      bool
		want       string
	}{
		{"starved", 0.6, 0.99, true, "waited for inputs 40% of the run: the stages before it"},
		{"starved on the GPU", 0.5, 0, false, "waited for inputs 50% of the run"},
		{"crowded out on the CPU", 0.98, 0.75, true, "ran batches 98% of the run, its threads on a core 75% of that: it waited for the CPU"},
		{"the limit on the CPU", 0.99, 0.97, true, "ran batches 99% of the run: it is the limit"},
		{"the limit on the GPU, whatever its threads' CPU", 0.95, 0.2, false, "ran batches 95% of the run: it is the limit"},
		{"no CPU measurement", 0.97, 0, true, "it is the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := modelHint(tt.busy, tt.core, tt.onCPU); !strings.Contains(got, tt.want) {
				t.Errorf("modelHint(%v, %v, %v) = %q, want it to contain %q", tt.busy, tt.core, tt.onCPU, got, tt.want)
			}
		})
	}
}
