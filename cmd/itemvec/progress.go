package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/itemvec/itemvec/workers"
)

// progressEvery is how often enqueue prints a progress line when stderr is
// not a terminal.
var progressEvery = 2 * time.Second

// enqueueProgress shows how far an enqueue has come on w: a progress bar
// (items read, with counts and rate) on a terminal, else a plain line at
// most every progressEvery, for logs.
type enqueueProgress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar // nil when w is not a terminal
	start time.Time

	mu   sync.Mutex
	last time.Time
	seen workers.EnqueueProgress
}

func newEnqueueProgress(w io.Writer) *enqueueProgress {
	p := &enqueueProgress{w: w, start: time.Now()}
	p.last = p.start
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("enqueue"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("items"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSpinnerType(14),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// update is workers.EnqueueConfig.Progress.
func (p *enqueueProgress) update(pr workers.EnqueueProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = pr
	if p.bar != nil {
		p.bar.Describe(p.counts(pr))
		_ = p.bar.Set(pr.Items)
		return
	}
	if now := time.Now(); now.Sub(p.last) >= progressEvery {
		p.last = now
		fmt.Fprintln(p.w, "enqueue:", p.counts(pr), p.rate(pr, now))
	}
}

// done removes the bar; the summary follows.
func (p *enqueueProgress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

func (p *enqueueProgress) counts(pr workers.EnqueueProgress) string {
	return fmt.Sprintf("%d lines read, %d items in %d new + %d already-enqueued tasks, %d duplicate ids, %d invalid lines",
		pr.Lines, pr.Items, pr.Tasks, pr.KnownTasks, pr.DuplicateIDs, pr.Invalid)
}

func (p *enqueueProgress) rate(pr workers.EnqueueProgress, now time.Time) string {
	s := now.Sub(p.start).Seconds()
	if s <= 0 {
		return ""
	}
	return fmt.Sprintf("(%.0f items/s)", float64(pr.Items)/s)
}
