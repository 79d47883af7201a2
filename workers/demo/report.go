package demo

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/workers"
	"github.com/itemvec/itemvec/workers/demo/catalog"
)

// Report is what a job did, read back from Redis.
type Report struct {
	Space     string
	Items     int // items enqueued
	Published int
	Failures  []storage.Failure
	Vectors   map[string]*storage.ItemVector
	Titles    map[string]string
	Dim       int
	Elapsed   time.Duration  // the worker's Start, on a queue holding the whole job, to drained
	CPU       time.Duration  // process CPU time (all threads) in the same span
	ServerCPU *time.Duration // CPU time of servers outside the process (Job.ServerCPU) in the same span; nil: not measured
	Archived  []*asynq.TaskInfo
	Stats     *workers.Stats
	Catalog   *catalog.Catalog
	Refresh   *RefreshRun // with Job.Refresh
}

// ItemsPerSecond is published items over the job's wall time.
func (r *Report) ItemsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Published) / r.Elapsed.Seconds()
}

// Neighbour is one product similar to another.
type Neighbour struct {
	ID     string
	Cosine float64
}

// Nearest returns the k vectors most similar to id by cosine of the fused
// vectors (ties broken by id).
func (r *Report) Nearest(id string, k int) []Neighbour {
	q := r.Vectors[id]
	if q == nil {
		return nil
	}
	var out []Neighbour
	for other, v := range r.Vectors {
		if other == id {
			continue
		}
		out = append(out, Neighbour{ID: other, Cosine: fusion.Cosine(q.Vector, v.Vector)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Cosine != out[j].Cosine {
			return out[i].Cosine > out[j].Cosine
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > k {
		out = out[:k]
	}
	return out
}

// Print writes the report a person reads after itemvec run.
func (r *Report) Print(w io.Writer, queries int) {
	fmt.Fprintf(w, "\nitemvec run — space %s\n", r.Space)
	fmt.Fprintf(w, "  items enqueued : %d\n", r.Items)
	fmt.Fprintf(w, "  items done     : %d\n", r.Published)
	fmt.Fprintf(w, "  items failed   : %d\n", len(r.Failures))
	for _, f := range r.Failures {
		fmt.Fprintf(w, "    - %-20s %-22s %s\n", f.ID, f.Kind, f.Reason)
	}
	fmt.Fprintf(w, "  archived tasks : %d\n", len(r.Archived))
	fmt.Fprintf(w, "  throughput     : %.1f items/s (%d items in %s, worker start to drained, the job enqueued first)\n",
		r.ItemsPerSecond(), r.Published, r.Elapsed.Round(1e6))
	fmt.Fprintf(w, "  vector dim     : %d\n", r.Dim)
	counts := map[string]int{}
	for _, v := range r.Vectors {
		for _, m := range v.Modalities {
			counts[m]++
		}
	}
	fmt.Fprintf(w, "  blocks present : image %d, text %d, behavior %d (of %d; a text the text model cannot read is left out, see the warnings)\n",
		counts["image"], counts["text"], counts["behavior"], len(r.Vectors))
	s := r.Stats
	fmt.Fprintf(w, "  time per item  : fetch %s, decode+prep %s, image inference %s, text %s, fusion %s, publish %s\n",
		s.Fetch.PerItem().Round(1e3), s.Decode.PerItem().Round(1e3), s.Inference.PerItem().Round(1e3),
		s.Text.PerItem().Round(1e3), s.Fusion.PerItem().Round(1e3), s.Publish.PerItem().Round(1e3))
	fmt.Fprintf(w, "                   (summed over concurrent items, including waits for a batch and for the CPU)\n")

	fmt.Fprintf(w, "\nMost similar products (cosine of fused vectors):\n")
	for _, id := range r.queryIDs(queries) {
		fmt.Fprintf(w, "\n%-12s %s\n", id, clip(r.Titles[id], 56))
		for i, n := range r.Nearest(id, 3) {
			mark := ""
			if r.Catalog != nil && r.Catalog.SameGroup(id, n.ID) {
				mark = "  (same photo: near-duplicate)"
			}
			fmt.Fprintf(w, "  %d. %-9s %s %.3f%s\n", i+1, n.ID, pad(clip(r.Titles[n.ID], 56), 56), n.Cosine, mark)
		}
	}
	if r.Catalog != nil {
		pairs := r.Catalog.NearDuplicatePairs()
		top := 0
		for _, p := range pairs {
			if nn := r.Nearest(p[0], 1); len(nn) == 1 && r.Catalog.SameGroup(p[0], nn[0].ID) {
				top++
			}
		}
		fmt.Fprintf(w, "\nNear-duplicate check: for %d of %d near-duplicate pairs the nearest product is from the same photo.\n", top, len(pairs))
	}
}

// queryIDs picks products to show: first ones with near-duplicates (so a
// reader can check the answer), then others, in id order.
func (r *Report) queryIDs(n int) []string {
	var with, without []string
	for id := range r.Vectors {
		if r.Catalog != nil && r.Catalog.HasDuplicates(id) {
			with = append(with, id)
		} else {
			without = append(without, id)
		}
	}
	sort.Strings(with)
	sort.Strings(without)
	var out []string
	for i := 0; i < len(with) && len(out) < (n+1)/2; i += 2 {
		out = append(out, with[i])
	}
	for i := 0; i < len(without) && len(out) < n; i += max(1, len(without)/n) {
		out = append(out, without[i])
	}
	return out
}

// pad fills s with spaces to n terminal columns, counting East Asian wide
// characters as two columns.
func pad(s string, n int) string {
	if w := displayWidth(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		w++
		if wide(r) {
			w++
		}
	}
	return w
}

func wide(r rune) bool {
	return (r >= 0x1100 && r <= 0x115F) || (r >= 0x2E80 && r <= 0xA4CF) || (r >= 0xAC00 && r <= 0xD7A3) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0xFE30 && r <= 0xFE4F) || (r >= 0xFF00 && r <= 0xFF60) ||
		(r >= 0xFFE0 && r <= 0xFFE6) || (r >= 0x20000 && r <= 0x3FFFD)
}

// clip shortens s to at most n terminal columns.
func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\t", " ")
	if displayWidth(s) <= n {
		return s
	}
	w := 0
	for i, r := range s {
		rw := 1
		if wide(r) {
			rw = 2
		}
		if w+rw > n-1 {
			return s[:i] + "…"
		}
		w += rw
	}
	return s
}
