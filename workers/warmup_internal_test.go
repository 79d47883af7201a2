package workers

import (
	"slices"
	"testing"
)

func TestWarmBatchSizes(t *testing.T) {
	cuda := []int{1, 2, 4, 8, 16, 32, 64, 128, 256}
	tests := []struct {
		name     string
		sizes    []int
		maxBatch int
		want     []int
	}{
		{"no padding (CPU): the full batch", nil, 16, []int{16}},
		{"padding: every shape up to max batch", cuda, 64, []int{1, 2, 4, 8, 16, 32, 64}},
		{"padding: max batch between two shapes pads up", cuda, 48, []int{1, 2, 4, 8, 16, 32, 64}},
		{"padding: max batch 1", cuda, 1, []int{1}},
		{"max batch over the largest shape runs unpadded", []int{1, 8}, 12, []int{1, 8, 12}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := warmBatchSizes(tt.sizes, tt.maxBatch); !slices.Equal(got, tt.want) {
				t.Errorf("warmBatchSizes(%v, %d) = %v, want %v", tt.sizes, tt.maxBatch, got, tt.want)
			}
		})
	}
}
