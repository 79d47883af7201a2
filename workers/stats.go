package workers

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// StageStats accumulates the time spent in one pipeline stage. Times are
// summed over concurrent calls, so they measure work (and waiting), not wall
// time.
type StageStats struct {
	nanos atomic.Int64
	cpu   atomic.Int64
	calls atomic.Int64
	items atomic.Int64
	obs   prometheus.Observer // nil, or the stage's histogram
}

func (s *StageStats) add(d time.Duration, items int) {
	if s.obs != nil {
		s.obs.Observe(d.Seconds())
	}
	s.nanos.Add(int64(d))
	s.calls.Add(1)
	s.items.Add(int64(items))
}

// addCPU counts CPU time spent in the stage.
func (s *StageStats) addCPU(d time.Duration) { s.cpu.Add(int64(d)) }

// CPU is the CPU time measured in the stage: decode+prep and fusion on the
// thread that ran them; text the tokenizer's and, with inference, the
// model's on the thread that called ONNX Runtime (all of it with one
// intra-op thread; ORT's pool threads are not counted). Fetch and publish,
// which wait on the network, are not measured (0).
func (s *StageStats) CPU() time.Duration { return time.Duration(s.cpu.Load()) }

// CPUPerItem is the mean CPU time per item.
func (s *StageStats) CPUPerItem() time.Duration {
	n := s.items.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(s.cpu.Load() / n)
}

// Total is the summed duration of every call.
func (s *StageStats) Total() time.Duration { return time.Duration(s.nanos.Load()) }

// Calls is how many times the stage ran.
func (s *StageStats) Calls() int64 { return s.calls.Load() }

// Items is how many items passed through the stage.
func (s *StageStats) Items() int64 { return s.items.Load() }

// PerItem is the mean time per item.
func (s *StageStats) PerItem() time.Duration {
	n := s.items.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(s.nanos.Load() / n)
}

// Stats holds the per-stage counters of a Pipeline. Inference (images) and
// Text (tokenize + text model) are measured around the micro-batchers'
// Submit, so they include the time an item waits for its batch to fill.
type Stats struct {
	Fetch, Decode, Inference, Text, Fusion, Publish StageStats
	// Refresh counts the media-version checks (HEAD requests) of items
	// whose vector was re-fused from the stored one with new behaviour
	// counters, and their time; Items() is how many were refreshed.
	Refresh StageStats
}
