package workers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image/color"
	"math"
	"testing"

	"github.com/itemvec/itemvec/fusion"
)

// versionedObjects is fakeObjects with versions (a hash of the bytes, as an
// S3 ETag is) and HEAD requests counted.
type versionedObjects struct {
	*fakeObjects
	heads map[string]int
}

func (v *versionedObjects) GetVersion(ctx context.Context, uri string) ([]byte, string, error) {
	b, err := v.Get(ctx, uri)
	if err != nil {
		return nil, "", err
	}
	return b, etagOf(b), nil
}

func (v *versionedObjects) Version(ctx context.Context, uri string) (string, error) {
	v.mu.Lock()
	v.heads[uri]++
	v.mu.Unlock()
	b, err := v.Get(ctx, uri)
	v.mu.Lock()
	v.gets[uri]-- // a HEAD is not a GET
	v.mu.Unlock()
	if err != nil {
		return "", err
	}
	return etagOf(b), nil
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// TestCountersOnlyRefresh: an item whose image versions and text are
// unchanged is re-fused from its stored vector when only its counters
// change (a HEAD per image, no GET, no model run) and gets the vector a full
// embed gives; any media change embeds it in full.
func TestCountersOnlyRefresh(t *testing.T) {
	more := func(it Item) Item {
		b := *it.Behavior
		b.Devices = map[string]fusion.DeviceCounters{"mobile": {Views: 5000, Clicks: 400, Carts: 30, Orders: 11}}
		it.Behavior = &b
		return it
	}
	tests := []struct {
		name      string
		first     Item
		change    func(*fixture, Item) Item
		refreshed bool
	}{
		{name: "counters only", first: item("a", "s3://b/red.jpg"), change: func(_ *fixture, it Item) Item { return more(it) }, refreshed: true},
		{name: "no image, counters only", first: item("b"), change: func(_ *fixture, it Item) Item { return more(it) }, refreshed: true},
		{name: "price only", first: item("c", "s3://b/red.jpg"), change: func(_ *fixture, it Item) Item {
			b := *it.Behavior
			b.Price = 25
			it.Behavior = &b
			return it
		}, refreshed: true},
		{name: "new bytes at the same URI", first: item("d", "s3://b/red.jpg"), change: func(f *fixture, it Item) Item {
			f.objects.mu.Lock()
			f.objects.data["s3://b/red.jpg"] = testJPEG(t, color.RGBA{R: 20, G: 200, B: 20})
			f.objects.mu.Unlock()
			return more(it)
		}},
		{name: "new text", first: item("e", "s3://b/red.jpg"), change: func(_ *fixture, it Item) Item {
			it = more(it)
			it.Text = &Text{Title: "another title"}
			return it
		}},
		{name: "another image", first: item("f", "s3://b/red.jpg"), change: func(_ *fixture, it Item) Item {
			it = more(it)
			it.Images = []string{"s3://b/blue.jpg"}
			return it
		}},
		{name: "the first image, missing before, now there", first: item("g", "s3://b/late.jpg", "s3://b/blue.jpg"),
			change: func(f *fixture, it Item) Item {
				f.objects.mu.Lock()
				f.objects.data["s3://b/late.jpg"] = testJPEG(t, color.RGBA{R: 200, G: 200})
				f.objects.mu.Unlock()
				return more(it)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var objs *versionedObjects
			f := newFixture(t, nil, func(_ *Config, p *pipelineParts) {
				objs = &versionedObjects{fakeObjects: p.objects.(*fakeObjects), heads: map[string]int{}}
				p.objects = objs
			})
			ctx := t.Context()
			if res, err := f.w.pipe.Process(ctx, []Item{tt.first}, Attempt{Task: "first"}); err != nil || len(res.Published) != 1 {
				t.Fatalf("first publish: %+v, %v", res, err)
			}
			before, err := f.store.Get(ctx, f.w.Space(), tt.first.ID)
			if err != nil || before[0] == nil || before[0].MediaHash == "" {
				t.Fatalf("first vector %+v, %v: want one with a media hash", before[0], err)
			}
			calls, gets := f.calls(), objs.total()
			changed := tt.change(f, tt.first)
			res, err := f.w.pipe.Process(ctx, []Item{changed}, Attempt{Task: "second"})
			if err != nil || len(res.Published) != 1 {
				t.Fatalf("second publish: %+v, %v", res, err)
			}
			after, err := f.store.Get(ctx, f.w.Space(), tt.first.ID)
			if err != nil {
				t.Fatal(err)
			}
			got := after[0]
			if refreshed := len(res.Refreshed) == 1; refreshed != tt.refreshed {
				t.Fatalf("refreshed %v, want %v", res.Refreshed, tt.refreshed)
			}
			if tt.refreshed {
				if f.calls() != calls || objs.total() != gets {
					t.Errorf("a refresh ran the model %d times and fetched %d objects; want none",
						f.calls()-calls, objs.total()-gets)
				}
				if got.MediaHash != before[0].MediaHash {
					t.Errorf("media hash %s, was %s", got.MediaHash, before[0].MediaHash)
				}
			} else if got.MediaHash == before[0].MediaHash {
				t.Errorf("media changed but the media hash stayed %s", got.MediaHash)
			}
			if got.ContentHash == before[0].ContentHash {
				t.Error("the content hash did not change")
			}
			// The vector a full embed of the changed item gives.
			full, err := f.w.Embed(ctx, changed)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(got.Vector, full.Vector.Vector); !(d <= 1e-6) {
				t.Errorf("stored vector differs from a full embed by %g", d)
			}
		})
	}
}

// total is how many GETs fakeObjects served.
func (f *fakeObjects) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.gets {
		n += c
	}
	return n
}

// maxAbsDiff is max |a[i] - b[i]|: +Inf when the lengths differ, NaN when
// a difference is NaN.
func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

var _ VersionedReader = (*versionedObjects)(nil)
