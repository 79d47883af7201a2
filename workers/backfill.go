package workers

import (
	"bytes"
	"context"
	"time"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
)

// BackfillConfig says what Backfill copies where.
type BackfillConfig struct {
	// From is the space whose items are enqueued (e.g. the current one).
	From string
	// Enqueue is how they are enqueued; Enqueue.Space is the target space.
	Enqueue EnqueueConfig
	// Page is how many ids are read from the source index per round
	// (default 500).
	Page int64
	// Restart ignores a saved state and walks the source from the start.
	Restart bool
	// Progress, when set, is called after each page with the state so far.
	Progress func(storage.BackfillState)
}

// Backfill enqueues every item of cfg.From for the space cfg.Enqueue.Space,
// from the manifest lines the items were published from, walking the
// source's item index in pages. It saves its state after each page (see
// storage.VectorStore.Backfill), so a backfill that stopped (Ctrl-C, Redis
// away) goes on where it stopped when run again; one that finished is not
// run again unless cfg.Restart. Enqueueing a page twice is harmless: task
// ids come from content. Items published without their line (by versions
// before lines were kept) are counted in NoLine: enqueue their manifest
// again.
func Backfill(ctx context.Context, store *storage.VectorStore, q TaskEnqueuer, cfg BackfillConfig) (storage.BackfillState, error) {
	const op = "workers.Backfill"
	to := cfg.Enqueue.Space
	if err := checkSpaceName(to); err != nil {
		return storage.BackfillState{}, err
	}
	if to == cfg.From {
		return storage.BackfillState{}, itemvec.Errorf(itemvec.KindConfig, op, "backfill of space %s from itself: pick another target space", to)
	}
	if cfg.Page <= 0 {
		cfg.Page = 500
	}
	st, err := store.Backfill(ctx, to, cfg.From)
	if err != nil {
		return st, err
	}
	if cfg.Restart || st.Started.IsZero() {
		st = storage.BackfillState{Started: time.Now()}
	} else if st.Done {
		return st, nil
	}
	for {
		page, err := store.ScanIndex(ctx, cfg.From, st.Cursor, cfg.Page)
		if err != nil {
			return st, err
		}
		lines, err := store.ItemLines(ctx, cfg.From, page.IDs...)
		if err != nil {
			return st, err
		}
		var manifest bytes.Buffer
		for _, l := range lines {
			if l == nil {
				st.NoLine++
				continue
			}
			manifest.Write(l)
			manifest.WriteByte('\n')
		}
		if manifest.Len() > 0 {
			sum, err := Enqueue(ctx, q, &manifest, cfg.Enqueue)
			if err != nil {
				return st, err
			}
			st.Enqueued += int64(sum.Items)
		}
		st.Scanned += int64(len(page.IDs))
		st.Cursor, st.Done = page.Next, page.Next == 0
		if err := store.SaveBackfill(ctx, to, cfg.From, st); err != nil {
			return st, err
		}
		if cfg.Progress != nil {
			cfg.Progress(st)
		}
		if st.Done {
			return st, nil
		}
	}
}
