package workers

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/itemvec/itemvec/onnx"
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
	// ImageBatches and TextBatches sum the batches each model's
	// micro-batcher ran: with the wall time they cover, they tell whether
	// a model waited for inputs or for the CPU (see [BatchStats]).
	ImageBatches, TextBatches BatchStats

	settled atomic.Int64
}

// Settled is how many items Process calls have finished with: published,
// up to date or failed for good (not those left for a retry). An item of
// a retried task counts again on each attempt that settles it.
func (s *Stats) Settled() int64 { return s.settled.Load() }

// BatchStats sums the batches one model ran: how many, their inputs, the
// time the model's sessions spent running them and the CPU time their
// threads used meanwhile. Run over sessions × a span of wall time is how
// busy the model was (below 1: it waited for inputs); CPU over Run is how
// much of that its threads were on a core (on the CPU, below 1: it waited
// for a core the other stages held).
type BatchStats struct {
	batches, inputs, run, cpu atomic.Int64
}

func (b *BatchStats) add(info onnx.BatchInfo) {
	b.batches.Add(1)
	b.inputs.Add(int64(info.Size))
	b.run.Add(int64(info.Run))
	b.cpu.Add(int64(info.CPU))
}

// Batches is the number of batches run.
func (b *BatchStats) Batches() int64 { return b.batches.Load() }

// Inputs is the number of inputs the batches carried.
func (b *BatchStats) Inputs() int64 { return b.inputs.Load() }

// Run is the wall time spent in the model's runs, summed over sessions.
func (b *BatchStats) Run() time.Duration { return time.Duration(b.run.Load()) }

// CPU is the CPU time of the threads that ran them (0 where the platform
// cannot measure it; ONNX Runtime's other intra-op threads not included).
func (b *BatchStats) CPU() time.Duration { return time.Duration(b.cpu.Load()) }

// Busy is Run as a share of sessions × span: 1 when every session ran a
// batch all the time; 0 when sessions or span is not positive.
func (b *BatchStats) Busy(sessions int, span time.Duration) float64 {
	if sessions <= 0 || span <= 0 {
		return 0
	}
	return float64(b.run.Load()) / (float64(sessions) * float64(span))
}

// OnCore is CPU as a share of Run: for a model on the CPU with one
// intra-op thread per session, how much of its running time its threads
// had a core. 0 without runs or CPU measurements.
func (b *BatchStats) OnCore() float64 {
	if r := b.run.Load(); r > 0 {
		return float64(b.cpu.Load()) / float64(r)
	}
	return 0
}
