package demo

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/itemvec/itemvec/workers"
)

// Bench is one itemvec bench run: the raw throughput of each model alone
// and the end-to-end job, measured in the same process.
type Bench struct {
	// Image and Text are the models alone with ONNX Runtime's default
	// threads (every core): the limit. Text is nil without a text model.
	Image *workers.ModelBench
	Text  *workers.ModelBench
	// Text32 is the text model on synthetic 32-token texts, for
	// comparison with earlier runs (the limit uses Text: the catalog's
	// own texts).
	Text32 *workers.ModelBench
	// OwnImage and OwnText are the same with the worker's own threads and
	// sessions (all of its image sessions at once), when they differ from
	// ORT's default; nil otherwise.
	OwnImage, OwnText *workers.ModelBench
	// TogetherImage and TogetherText are both models run at the same
	// time from two goroutines with the worker's own threads (nil without
	// a text model): the other way the models can share the cores.
	TogetherImage, TogetherText *workers.ModelBench
	Job                         *Report
	// After is the same raw figures measured again once the end-to-end
	// run is over (its Job is nil); nil when not measured. The ratio
	// uses the mean of the two limits (RunLimit).
	After *Bench
	// ImageSessions is the number of image model sessions the worker
	// ran (the text model has one): what the models' busy share is of.
	ImageSessions int
	// CPUPolicy is the scheduling policy of the process's threads
	// (Worker.CPUPolicy).
	CPUPolicy string
	// Threads and Device describe how the models ran; Set the images of
	// the end-to-end run; Redis the Redis server it ran against
	// (embedded.Redis.Name).
	Threads, Device, Set, Redis string
	// Earlier are the end-to-end runs before this one (itemvec bench
	// --runs), oldest first; the report ends with every run's ratio and
	// their median when there are any.
	Earlier []RunRatio
}

// RunRatio is one end-to-end run: its items/s and the raw limit of the
// run (Bench.RunLimit) it is compared with.
type RunRatio struct {
	ItemsPerSecond, Limit float64
}

// Ratio is the run's end-to-end / raw limit.
func (r RunRatio) Ratio() float64 {
	if r.Limit <= 0 {
		return 0
	}
	return r.ItemsPerSecond / r.Limit
}

// Run is this Bench's end-to-end run against its RunLimit. b has its
// Job.
func (b *Bench) Run() RunRatio {
	return RunRatio{ItemsPerSecond: b.Job.ItemsPerSecond(), Limit: b.RunLimit()}
}

// Next is the Bench of another end-to-end run after this one: the same
// settings, as raw figures before it the ones measured after this run
// (b.After), and this run among its Earlier ones. b has its Job and After.
func (b *Bench) Next() *Bench {
	n := *b.After
	n.Job, n.After = nil, nil
	n.ImageSessions, n.CPUPolicy = b.ImageSessions, b.CPUPolicy
	n.Threads, n.Device, n.Set, n.Redis = b.Threads, b.Device, b.Set, b.Redis
	n.Earlier = append(slices.Clip(b.Earlier), b.Run())
	return &n
}

// Runs is every end-to-end run: Earlier, then this one.
func (b *Bench) Runs() []RunRatio {
	return append(slices.Clip(b.Earlier), b.Run())
}

// MedianRatio is the median of the runs' ratios (the mean of the middle
// two for an even number of runs).
func MedianRatio(runs []RunRatio) float64 {
	if len(runs) == 0 {
		return 0
	}
	r := make([]float64, len(runs))
	for i, run := range runs {
		r[i] = run.Ratio()
	}
	slices.Sort(r)
	m := len(r) / 2
	if len(r)%2 == 0 {
		return (r[m-1] + r[m]) / 2
	}
	return r[m]
}

// Limit is the raw items/s the models allow: the image model's rate
// (ImageLimit), or with a text model the better of the two ways both can
// share the cores, since every item needs both: one after the other with
// every core each, 1 / (1/image + 1/text), or side by side with the
// worker's own threads, min(image, text) measured at the same time.
func (b *Bench) Limit() float64 {
	if b.Text == nil {
		return b.ImageLimit()
	}
	return max(b.SequentialLimit(), b.TogetherLimit())
}

// RunLimit is the limit the end-to-end run is compared with: the mean of
// Limit before the run and After's Limit after it, or Limit alone without
// After. A shared machine's speed moves within minutes; the mean of the
// two sides of the run follows it better than either.
func (b *Bench) RunLimit() float64 {
	if b.After == nil {
		return b.Limit()
	}
	return (b.Limit() + b.After.Limit()) / 2
}

// ImageLimit is the image model's best raw rate: one session with ORT's
// default threads, or the worker's own sessions all at once, whichever
// ran faster.
func (b *Bench) ImageLimit() float64 {
	if b.OwnImage != nil {
		return max(b.Image.PerSecond, b.OwnImage.PerSecond)
	}
	return b.Image.PerSecond
}

// SequentialLimit is 1 / (1/image + 1/text) with the image model's best
// rate (ImageLimit) and the text model with ORT's default threads; 0
// without a text model.
func (b *Bench) SequentialLimit() float64 {
	if b.Text == nil {
		return 0
	}
	return 1 / (1/b.ImageLimit() + 1/b.Text.PerSecond)
}

// TogetherLimit is min(image, text) with both models running at once; 0
// when that was not measured.
func (b *Bench) TogetherLimit() float64 {
	if b.TogetherImage == nil || b.TogetherText == nil {
		return 0
	}
	return min(b.TogetherImage.PerSecond, b.TogetherText.PerSecond)
}

// Print writes the benchmark report.
func (b *Bench) Print(w io.Writer) {
	job, raw := b.Job, b.Image
	e2e := job.ItemsPerSecond()
	fmt.Fprintf(w, "\nitemvec bench (device %s, CPU policy %s, worker's ORT intra-op threads: %s, batch %d; raw figures with ORT's default threads)\n",
		b.Device, b.CPUPolicy, b.Threads, raw.Batch)
	fmt.Fprintf(w, "  raw ORT image model, synthetic tensors   : %8.1f images/s (%d batches in %s)\n",
		raw.PerSecond, raw.Batches, raw.Elapsed.Round(time.Millisecond))
	limit := b.Limit()
	if b.Text != nil {
		fmt.Fprintf(w, "  raw ORT text model, the catalog's texts  : %8.1f texts/s (%d texts, mean %.1f tokens, sorted by length, %d batches in %s)\n",
			b.Text.PerSecond, b.Text.Texts, b.Text.MeanTokens, b.Text.Batches, b.Text.Elapsed.Round(time.Millisecond))
		if b.Text32 != nil {
			fmt.Fprintf(w, "  (raw ORT text model, synthetic 32-token texts: %.1f texts/s; not the limit: the run embeds the catalog's texts)\n", b.Text32.PerSecond)
		}
		fmt.Fprintf(w, "  both models one after the other, 1/(1/image+1/text): %8.1f items/s\n", b.SequentialLimit())
		if b.TogetherImage != nil && b.TogetherText != nil {
			fmt.Fprintf(w, "  both models side by side (worker's threads, same time): image %.1f images/s, text %.1f texts/s: %.1f items/s\n",
				b.TogetherImage.PerSecond, b.TogetherText.PerSecond, b.TogetherLimit())
		}
		fmt.Fprintf(w, "  raw limit, both models per item (the better of the two): %8.1f items/s\n", limit)
	}
	if b.OwnImage != nil {
		fmt.Fprintf(w, "  (the worker's own sessions, threads %s: image %.1f images/s", b.Threads, b.OwnImage.PerSecond)
		if b.OwnText != nil {
			fmt.Fprintf(w, ", text %.1f texts/s", b.OwnText.PerSecond)
		}
		fmt.Fprintf(w, "; the two models and decoding run side by side)\n")
		if b.Text == nil {
			fmt.Fprintf(w, "  raw limit, the better of the two        : %8.1f images/s\n", limit)
		}
	}
	if a := b.After; a != nil {
		fmt.Fprintf(w, "  the same after the end-to-end run        : %8.1f %s (image %.1f images/s",
			a.Limit(), b.limitUnit(), a.Image.PerSecond)
		if a.OwnImage != nil {
			fmt.Fprintf(w, ", worker's sessions %.1f", a.OwnImage.PerSecond)
		}
		if a.Text != nil {
			fmt.Fprintf(w, "; text %.1f texts/s", a.Text.PerSecond)
		}
		fmt.Fprintf(w, ")\n")
		limit = b.RunLimit()
		fmt.Fprintf(w, "  raw limit of the run, mean of before and after: %8.1f %s\n", limit, b.limitUnit())
	}
	fmt.Fprintf(w, "  end-to-end pipeline                      : %8.1f items/s (%d items in %s; %s)\n",
		e2e, job.Published, job.Elapsed.Round(time.Millisecond), b.Set)
	if b.Redis != "" {
		fmt.Fprintf(w, "  (S3: in-process gofakes3; Redis: %s)\n", b.Redis)
	}
	if limit > 0 {
		fmt.Fprintf(w, "  ratio end-to-end / raw limit             : %8.3f\n", e2e/limit)
	}
	s := job.Stats
	fmt.Fprintf(w, "  per stage, mean per item (wall: summed over concurrent items, includes waiting; cpu: the stage's own thread):\n")
	var measured time.Duration
	for _, st := range []struct {
		name string
		s    *workers.StageStats
	}{
		{"fetch (S3 GET)", &s.Fetch},
		{"decode+prep", &s.Decode},
		{"inference (incl. batch wait)", &s.Inference},
		{"text: tokenize+model", &s.Text},
		{"fusion", &s.Fusion},
		{"publish (Redis pipeline)", &s.Publish},
	} {
		fmt.Fprintf(w, "    %-30s %10s  wall %10s  cpu %10s\n", st.name,
			fmt.Sprintf("%d items", st.s.Items()), st.s.PerItem().Round(time.Microsecond), cpuText(st.s))
		measured += st.s.CPU()
	}
	b.printModels(w, job)
	if r := job.Refresh; r != nil && e2e > 0 {
		fmt.Fprintf(w, "  counters-only refresh, same items        : %8.1f items/s (%d items, %d re-fused from stored vectors, in %s; %.1f× the full embed; %.2f core-s)\n",
			r.ItemsPerSecond(), r.Items, r.Refreshed, r.Elapsed.Round(time.Millisecond), r.ItemsPerSecond()/e2e, r.CPU.Seconds())
	}
	if job.CPU > 0 {
		fmt.Fprintf(w, "  process CPU during the run: %.2f core-s in %.2f s wall (%.2f of %d cores busy); %.2f core-s (%.0f%%) in the stages' cpu above,\n",
			job.CPU.Seconds(), job.Elapsed.Seconds(), job.CPU.Seconds()/job.Elapsed.Seconds(), runtime.NumCPU(),
			measured.Seconds(), 100*measured.Seconds()/job.CPU.Seconds())
		servers := "the in-process S3 and Redis servers"
		if job.ServerCPU != nil {
			servers = "the in-process S3 server"
		}
		fmt.Fprintf(w, "    the rest in ONNX Runtime's other intra-op threads, %s, asynq and Go's runtime\n", servers)
		if job.ServerCPU != nil {
			fmt.Fprintf(w, "  outside the process, same span: %s %.2f core-s (%.2f of %d cores busy in all)\n", b.Redis, job.ServerCPU.Seconds(),
				(job.CPU+*job.ServerCPU).Seconds()/job.Elapsed.Seconds(), runtime.NumCPU())
		}
	}
	if len(b.Earlier) > 0 {
		runs := b.Runs()
		ratios, rates := make([]string, len(runs)), make([]string, len(runs))
		for i, r := range runs {
			ratios[i], rates[i] = fmt.Sprintf("%.3f", r.Ratio()), fmt.Sprintf("%.1f/%.1f", r.ItemsPerSecond, r.Limit)
		}
		fmt.Fprintf(w, "  %d end-to-end runs (the figures above are the last one's), each against the raw limit around it:\n", len(runs))
		fmt.Fprintf(w, "    ratios %s; median %.3f\n", strings.Join(ratios, ", "), MedianRatio(runs))
		fmt.Fprintf(w, "    items/s / raw limit: %s\n", strings.Join(rates, ", "))
	}
}

// printModels writes how busy each model was during the end-to-end run
// and, on the CPU, how much of that its threads had a core, with what
// that says about the ratio.
func (b *Bench) printModels(w io.Writer, job *Report) {
	s := job.Stats
	onCPU := b.Device == "cpu"
	if s.ImageBatches.Batches() == 0 || job.Elapsed <= 0 {
		return
	}
	head := "busy: running a batch, of sessions × wall"
	if onCPU {
		head += "; on a core: the sessions' threads' CPU, of busy"
	}
	fmt.Fprintf(w, "  models during the run (%s):\n", head)
	line := func(name string, bs *workers.BatchStats, sessions int) (busy, core float64) {
		busy, core = bs.Busy(sessions, job.Elapsed), bs.OnCore()
		fmt.Fprintf(w, "    %-12s %5d batches, mean %5.1f inputs of %d, %d session(s) busy %5.1f%%", name, bs.Batches(),
			float64(bs.Inputs())/float64(bs.Batches()), b.Image.Batch, sessions, 100*busy)
		if onCPU && core > 0 {
			fmt.Fprintf(w, ", on a core %5.1f%%", 100*core)
		}
		fmt.Fprintln(w)
		return busy, core
	}
	busy, core := line("image model", &s.ImageBatches, max(1, b.ImageSessions))
	if s.TextBatches.Batches() > 0 {
		line("text model", &s.TextBatches, 1)
	}
	fmt.Fprintf(w, "    %s\n", modelHint(busy, core, onCPU))
}

// modelHint says what the image model's busy share (and, on the CPU, its
// on-core share) tells about the end-to-end ratio.
func modelHint(busy, core float64, onCPU bool) string {
	switch {
	case busy < 0.9:
		return fmt.Sprintf("the image model waited for inputs %.0f%% of the run: the stages before it (fetch, decode+prep) are the limit", 100*(1-busy))
	case onCPU && core > 0 && core < 0.9:
		return fmt.Sprintf("the image model ran batches %.0f%% of the run, its threads on a core %.0f%% of that: it waited for the CPU the other stages share, not for inputs",
			100*busy, 100*core)
	}
	return fmt.Sprintf("the image model ran batches %.0f%% of the run: it is the limit", 100*busy)
}

// limitUnit is what Limit counts: images without a text model, items
// (both models) with one.
func (b *Bench) limitUnit() string {
	if b.Text == nil {
		return "images/s"
	}
	return "items/s"
}

// cpuText is a stage's CPU time per item, or "-" where it is not measured.
func cpuText(s *workers.StageStats) string {
	if s.CPU() == 0 {
		return "-"
	}
	return s.CPUPerItem().Round(time.Microsecond).String()
}
