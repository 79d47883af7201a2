package demo_test

import (
	"math"
	"testing"
	"time"

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

func TestMedianRatio(t *testing.T) {
	run := func(ratio float64) demo.RunRatio { return demo.RunRatio{ItemsPerSecond: 100 * ratio, Limit: 100} }
	tests := []struct {
		name string
		runs []demo.RunRatio
		want float64
	}{
		{"none", nil, 0},
		{"one", []demo.RunRatio{run(0.7)}, 0.7},
		{"odd, unsorted", []demo.RunRatio{run(0.76), run(0.70), run(0.74)}, 0.74},
		{"even: mean of the middle two", []demo.RunRatio{run(0.80), run(0.70), run(0.74), run(0.75)}, 0.745},
		{"a run without a limit counts as 0", []demo.RunRatio{{ItemsPerSecond: 50}, run(0.7), run(0.8)}, 0.7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := demo.MedianRatio(tt.runs); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("MedianRatio = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestBenchNext checks that the next run of a bench keeps its settings,
// takes the raw figures measured after this run as its own before it, and
// carries this run (against this run's limit) among its earlier ones.
func TestBenchNext(t *testing.T) {
	rate := func(r float64) *workers.ModelBench { return &workers.ModelBench{PerSecond: r} }
	first := &demo.Bench{Image: rate(240), OwnImage: rate(260), Device: "cpu", CPUPolicy: "batch", Threads: "auto", Set: "sample catalog",
		Redis: "redis-server", ImageSessions: 2,
		Job: &demo.Report{Published: 500, Elapsed: 2 * time.Second}, After: &demo.Bench{Image: rate(200), OwnImage: rate(240)}}
	second := first.Next()
	if second.Device != "cpu" || second.CPUPolicy != "batch" || second.Threads != "auto" || second.Set != "sample catalog" ||
		second.Redis != "redis-server" || second.ImageSessions != 2 {
		t.Errorf("settings not carried: %+v", second)
	}
	if second.Job != nil || second.After != nil || second.ImageLimit() != 240 {
		t.Errorf("next run: job %v, after %v, limit before it %v; want none, none and 240 (the figures after the first run)",
			second.Job, second.After, second.ImageLimit())
	}
	second.Job, second.After = &demo.Report{Published: 500, Elapsed: 2500 * time.Millisecond}, &demo.Bench{Image: rate(200), OwnImage: rate(200)}
	runs := second.Runs()
	want := []demo.RunRatio{{ItemsPerSecond: 250, Limit: 250}, {ItemsPerSecond: 200, Limit: 220}}
	if len(runs) != len(want) {
		t.Fatalf("Runs() = %v, want %v", runs, want)
	}
	for i := range want {
		if math.Abs(runs[i].ItemsPerSecond-want[i].ItemsPerSecond) > 1e-9 || math.Abs(runs[i].Limit-want[i].Limit) > 1e-9 {
			t.Errorf("run %d = %+v, want %+v", i, runs[i], want[i])
		}
	}
	if len(first.Earlier) != 0 {
		t.Errorf("Next changed the first run's Earlier: %v", first.Earlier)
	}
}
