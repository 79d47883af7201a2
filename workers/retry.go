package workers

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
)

// FailureLister is the part of *storage.VectorStore RetryFailures reads.
type FailureLister interface {
	Failures(ctx context.Context, space string, limit int) ([]storage.Failure, error)
}

// RetrySummary says what RetryFailures did.
type RetrySummary struct {
	// Matched counts the failure records of the space the kinds select.
	Matched int
	// NoItem are the ids of matched records that do not hold their item
	// (written before records kept it): enqueue their manifest lines again.
	NoItem []string
	// Enqueue is the summary of enqueueing the items of the other records.
	Enqueue *EnqueueSummary
}

// RetryFailures enqueues again, for cfg.Space, the items recorded as failed
// there whose kind matches one of kinds (a kind, e.g. fetch_unavailable, or
// a stage, e.g. fetch, which matches every fetch_* kind; none means every
// record). The tasks get a new run (cfg.Run, NewRun when empty), so neither
// the dedup window nor archived tasks stand in the way. A record's item is
// what the failed attempt read; its record stays until the item is
// published or fails again (then it is replaced).
func RetryFailures(ctx context.Context, store FailureLister, q TaskEnqueuer, cfg EnqueueConfig, kinds []string) (*RetrySummary, error) {
	const op = "workers.RetryFailures"
	sum := &RetrySummary{Enqueue: &EnqueueSummary{}}
	if err := checkSpaceName(cfg.Space); err != nil {
		return sum, err
	}
	fails, err := store.Failures(ctx, cfg.Space, 0)
	if err != nil {
		return sum, itemvec.Wrap(op, err)
	}
	var manifest bytes.Buffer
	for _, f := range fails {
		if !kindMatches(f.Kind, kinds) {
			continue
		}
		sum.Matched++
		if len(f.Item) == 0 {
			sum.NoItem = append(sum.NoItem, f.ID)
			continue
		}
		manifest.Write(f.Item)
		manifest.WriteByte('\n')
	}
	slices.Sort(sum.NoItem)
	if cfg.Run == "" {
		cfg.Run = NewRun(time.Now())
	}
	sum.Enqueue, err = Enqueue(ctx, q, &manifest, cfg)
	return sum, err
}

// kindMatches reports whether a failure kind is selected by kinds: equal to
// one, or of a stage one names (kind "fetch_unavailable" has stage "fetch").
func kindMatches(kind string, kinds []string) bool {
	if len(kinds) == 0 {
		return true
	}
	for _, k := range kinds {
		if kind == k || strings.HasPrefix(kind, k+"_") {
			return true
		}
	}
	return false
}
