package demo_test

import (
	"math"
	"testing"

	"github.com/itemvec/itemvec/workers"
	"github.com/itemvec/itemvec/workers/demo"
)

func TestBenchLimit(t *testing.T) {
	rate := func(r float64) *workers.ModelBench { return &workers.ModelBench{PerSecond: r} }
	tests := []struct {
		name string
		b    demo.Bench
		want float64
	}{
		{"image only", demo.Bench{Image: rate(200)}, 200},
		{"image only, the worker's sessions are faster", demo.Bench{Image: rate(200), OwnImage: rate(240)}, 240},
		{"image only, ORT's default is faster", demo.Bench{Image: rate(200), OwnImage: rate(120)}, 200},
		{"sequential with the worker's faster image sessions", demo.Bench{Image: rate(200), OwnImage: rate(300), Text: rate(200)}, 120},
		{"sequential, nothing side by side", demo.Bench{Image: rate(200), Text: rate(200)}, 100},
		{"side by side is better", demo.Bench{Image: rate(250), Text: rate(200),
			TogetherImage: rate(130), TogetherText: rate(140)}, 130},
		{"sequential is better", demo.Bench{Image: rate(250), Text: rate(200),
			TogetherImage: rate(60), TogetherText: rate(140)}, 1 / (1.0/250 + 1.0/200)},
		{"text bounds side by side", demo.Bench{Image: rate(250), Text: rate(200),
			TogetherImage: rate(150), TogetherText: rate(120)}, 120},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.Limit(); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Limit() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBenchRunLimit(t *testing.T) {
	rate := func(r float64) *workers.ModelBench { return &workers.ModelBench{PerSecond: r} }
	tests := []struct {
		name string
		b    demo.Bench
		want float64
	}{
		{"no second measurement", demo.Bench{Image: rate(200)}, 200},
		{"image only, the machine slowed", demo.Bench{Image: rate(240), After: &demo.Bench{Image: rate(200)}}, 220},
		{"each side its own best way", demo.Bench{Image: rate(200), OwnImage: rate(260),
			After: &demo.Bench{Image: rate(220), OwnImage: rate(180)}}, 240},
		{"with text", demo.Bench{Image: rate(200), Text: rate(200),
			After: &demo.Bench{Image: rate(300), Text: rate(150)}}, (100 + 100) / 2.0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.RunLimit(); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("RunLimit() = %v, want %v", got, tt.want)
			}
		})
	}
}
