package workers

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/storage"
)

// TestUnknownDeviceIsAWarning: counters of a device the spec does not know
// are never a silent zero: the item is published with a warning in its
// hash, indexed among the space's warned items, and counted in
// itemvec_item_warnings_total.
func TestUnknownDeviceIsAWarning(t *testing.T) {
	f := newFixture(t, nil)
	ctx := t.Context()
	it := item("app-only", "s3://b/red.jpg")
	it.Behavior = &fusion.Behavior{Price: 30, Devices: map[string]fusion.DeviceCounters{"ios_app": {Views: 100000, Clicks: 800}}}
	plain := item("plain", "s3://b/blue.jpg")
	res, err := f.w.pipe.Process(ctx, []Item{it, plain}, Attempt{Task: "t"})
	if err != nil || len(res.Published) != 2 {
		t.Fatalf("%+v, %v", res, err)
	}
	got, err := f.store.Get(ctx, f.w.Space(), "app-only", "plain")
	if err != nil {
		t.Fatal(err)
	}
	if w := got[0].Warnings; len(w) != 1 || !strings.HasPrefix(w[0], `unknown_device: device "ios_app" is not in the spec`) ||
		!strings.Contains(w[0], "100000 views") {
		t.Errorf("warnings %q", w)
	}
	if len(got[1].Warnings) != 0 {
		t.Errorf("a plain item has warnings %q", got[1].Warnings)
	}
	if n, _ := f.w.Config().Redis.ZCard(ctx, storage.WarningsKey(f.w.Space())).Result(); n != 1 {
		t.Errorf("the space's warnings index holds %d items, want 1", n)
	}
	if n := testutil.ToFloat64(f.w.pipe.metrics.warnings.WithLabelValues(fusion.WarningUnknownDevice)); n != 1 {
		t.Errorf("itemvec_item_warnings_total{code=unknown_device} = %v, want 1", n)
	}
	// Published again without the stray device: the warning goes.
	it.Behavior.Devices = map[string]fusion.DeviceCounters{"mobile": {Views: 10}}
	if _, err := f.w.pipe.Process(ctx, []Item{it}, Attempt{Task: "t2"}); err != nil {
		t.Fatal(err)
	}
	got, err = f.store.Get(ctx, f.w.Space(), "app-only")
	if err != nil || got[0] == nil {
		t.Fatalf("reading app-only after a clean publish: %v, %v; want the item", got, err)
	}
	if len(got[0].Warnings) != 0 {
		t.Errorf("warning kept after a clean publish: %q", got[0].Warnings)
	}
	if n, err := f.w.Config().Redis.ZCard(ctx, storage.WarningsKey(f.w.Space())).Result(); err != nil {
		t.Errorf("ZCARD of the warnings index after a clean publish: %v, want no error", err)
	} else if n != 0 {
		t.Errorf("warnings index holds %d after a clean publish, want 0", n)
	}
}
