package fusion_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/itemvec/itemvec/fusion"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// typical is the item the v1 centres were derived from (see doc.go).
var typical = &fusion.Behavior{
	Price: 50, Rating: 4.2,
	Devices: map[string]fusion.DeviceCounters{
		"pc":     {Views: 800, Clicks: 40, Carts: 8, Orders: 4},
		"mobile": {Views: 1000, Clicks: 50, Carts: 10, Orders: 5},
		"tablet": {Views: 200, Clicks: 10, Carts: 2, Orders: 1},
	},
}

// features returns BehaviorFeatures(b, s) by feature name.
func features(t *testing.T, s *fusion.Spec, b *fusion.Behavior) map[string]float64 {
	t.Helper()
	f := featureSlice(t, s, b)
	names := s.BehaviorFeatureNames()
	if len(f) != len(names) || len(f) != s.BehaviorDim() {
		t.Fatalf("len = %d, want %d names and BehaviorDim %d", len(f), len(names), s.BehaviorDim())
	}
	byName := make(map[string]float64, len(f))
	for i, v := range f {
		byName[names[i]] = float64(v)
	}
	return byName
}

func TestBehaviorFeatureNames(t *testing.T) {
	s := fusion.DefaultSpec()
	names := s.BehaviorFeatureNames()
	if s.BehaviorDim() != 31 || len(names) != 31 {
		t.Fatalf("BehaviorDim = %d, %d names, want 31", s.BehaviorDim(), len(names))
	}
	want := []string{
		"log_price", "rating", "has_rating",
		"total.log_views", "total.ctr", "total.cart_rate", "total.cvr",
		"pc.log_views", "pc.log_clicks", "pc.log_carts", "pc.log_orders", "pc.ctr", "pc.cart_rate", "pc.cvr", "pc.view_share",
	}
	if !slices.Equal(names[:len(want)], want) {
		t.Errorf("names start %v, want %v", names[:len(want)], want)
	}
	if got := names[len(names)-1]; got != "tablet.view_share" {
		t.Errorf("last name = %q, want tablet.view_share", got)
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("name %q repeated", n)
		}
		seen[n] = true
	}
}

func TestBehaviorFeaturesNilIsMissing(t *testing.T) {
	f, err := fusion.BehaviorFeatures(nil, fusion.DefaultSpec())
	if f != nil || err != nil {
		t.Errorf("BehaviorFeatures(nil) = %v, %v, want nil, nil", f, err)
	}
}

func TestBehaviorFeaturesTypicalIsCentred(t *testing.T) {
	for name, v := range features(t, fusion.DefaultSpec(), typical) {
		if name == "has_rating" {
			// Binary: centred on the share of rated items, not on one item.
			continue
		}
		if math.Abs(v) > 1e-3 {
			t.Errorf("%s = %.6f for the typical item, want 0: its centre is off", name, v)
		}
	}
}

func TestBehaviorFeaturesBounded(t *testing.T) {
	const huge = math.MaxInt64
	tests := []struct {
		name string
		b    *fusion.Behavior
	}{
		{"empty", &fusion.Behavior{}},
		{"zero views", &fusion.Behavior{Price: 10, Rating: 5, Devices: map[string]fusion.DeviceCounters{"pc": {}}}},
		{"1e12 views", &fusion.Behavior{Devices: map[string]fusion.DeviceCounters{"pc": {Views: 1e12, Clicks: 1e10, Carts: 1e9, Orders: 1e8}}}},
		{"clicks > views", &fusion.Behavior{Devices: map[string]fusion.DeviceCounters{"mobile": {Views: 1, Clicks: 1000, Carts: 5000, Orders: 9000}}}},
		{"orders without views", &fusion.Behavior{Devices: map[string]fusion.DeviceCounters{"tablet": {Orders: 1e15}}}},
		{"max int64 everywhere", &fusion.Behavior{Price: math.MaxFloat64, Rating: 5, Devices: map[string]fusion.DeviceCounters{
			"pc": {huge, huge, huge, huge}, "mobile": {huge, huge, huge, huge}, "tablet": {huge, huge, huge, huge},
		}}},
		{"only an unknown device", &fusion.Behavior{Devices: map[string]fusion.DeviceCounters{"tv": {Views: 5}}}},
		{"tiny price", &fusion.Behavior{Price: 1e-300, Rating: 0.1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, v := range features(t, fusion.DefaultSpec(), tt.b) {
				if !(v >= -1 && v <= 1) {
					t.Errorf("%s = %v, want within [-1, 1]", name, v)
				}
			}
		})
	}
}

// Spot checks of the formulas. "v1" values are in standardised units of
// DefaultSpec (v1); "raw" uses centre 0.5 and scale 1 everywhere, so each
// feature is its raw value − 0.5 and the clipping of raw values to [0, 1]
// shows.
func TestBehaviorFeaturesValues(t *testing.T) {
	v1 := fusion.DefaultSpec()
	raw := fusion.DefaultSpec()
	for name := range raw.Behavior.Standardize {
		raw.Behavior.Standardize[name] = fusion.FeatureScale{Center: 0.5, Scale: 1}
	}
	tenPoint := fusion.DefaultSpec()
	tenPoint.Behavior.RatingMax = 10
	tenPoint.Behavior.Standardize = raw.Behavior.Standardize
	pc := func(c fusion.DeviceCounters) map[string]fusion.DeviceCounters {
		return map[string]fusion.DeviceCounters{"pc": c}
	}
	tests := []struct {
		name string
		spec *fusion.Spec
		b    *fusion.Behavior
		want map[string]float64
	}{
		{"clicks > views clips the rate to 1", v1, &fusion.Behavior{Devices: pc(fusion.DeviceCounters{Views: 10, Clicks: 500})},
			map[string]float64{"pc.ctr": 1, "total.ctr": 1}},
		{"no traffic gives the prior mean", v1, &fusion.Behavior{Rating: 4.2},
			map[string]float64{"pc.ctr": 0, "total.cvr": 0, "mobile.cart_rate": 0, "tablet.view_share": 0, "pc.log_views": -0.4839 / 0.5}},
		{"unrated sits at the rating centre", v1, &fusion.Behavior{},
			map[string]float64{"rating": 0, "has_rating": -0.8}},
		{"rated", v1, &fusion.Behavior{Rating: 5},
			map[string]float64{"rating": 0.8, "has_rating": 0.2}},
		{"price at price_ref", v1, &fusion.Behavior{Price: 10000},
			map[string]float64{"log_price": 1}},
		{"all views on mobile", v1, &fusion.Behavior{Devices: map[string]fusion.DeviceCounters{"mobile": {Views: 7}}},
			map[string]float64{"mobile.view_share": 1, "pc.view_share": -0.8, "tablet.view_share": -0.2}},
		{"smoothed ctr", v1, &fusion.Behavior{Devices: pc(fusion.DeviceCounters{Views: 80, Clicks: 9})},
			// (9+1)/(80+20) = 0.1, (0.1-0.05)/0.1
			map[string]float64{"pc.ctr": 0.5}},
		{"raw rates clipped", raw, &fusion.Behavior{Devices: pc(fusion.DeviceCounters{Views: 10, Clicks: 500, Carts: 900, Orders: 800})},
			map[string]float64{"pc.ctr": 0.5, "pc.cart_rate": 0.5, "pc.cvr": 0.5, "total.ctr": 0.5}},
		{"raw rates smoothed", raw, &fusion.Behavior{Devices: pc(fusion.DeviceCounters{Views: 100, Clicks: 20, Carts: 4, Orders: 1})},
			// ctr (20+1)/(100+20), cart (4+1)/(20+5), cvr (1+1)/(20+10)
			map[string]float64{"pc.ctr": 21.0/120 - 0.5, "pc.cart_rate": 5.0/25 - 0.5, "pc.cvr": 2.0/30 - 0.5}},
		{"raw counts at and past count_ref", raw, &fusion.Behavior{Devices: pc(fusion.DeviceCounters{Views: 1e9, Clicks: 1e6, Orders: 999})},
			map[string]float64{"pc.log_views": 0.5, "pc.log_clicks": 0.5, "pc.log_orders": math.Log1p(999)/math.Log1p(1e6) - 0.5, "pc.log_carts": -0.5}},
		{"raw price past price_ref", raw, &fusion.Behavior{Price: 1e9},
			map[string]float64{"log_price": 0.5}},
		{"rating on a 10-point scale", tenPoint, &fusion.Behavior{Rating: 8},
			map[string]float64{"rating": 0.8 - 0.5}},
		{"raw rating and share", raw, &fusion.Behavior{Rating: 2.5, Devices: map[string]fusion.DeviceCounters{"pc": {Views: 1}, "tablet": {Views: 3}}},
			map[string]float64{"rating": 0, "has_rating": 0.5, "pc.view_share": -0.25, "tablet.view_share": 0.25, "mobile.view_share": -0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := features(t, tt.spec, tt.b)
			for name, want := range tt.want {
				if math.Abs(got[name]-want) > 1e-5 {
					t.Errorf("%s = %.6f, want %.6f", name, got[name], want)
				}
			}
		})
	}
}

// Centring is what lets behaviour blocks disagree: raw features are all
// non-negative, so raw blocks never have a negative cosine, and a best seller
// and a flop with as much traffic look alike. Centred, both pairs point apart.
func TestBehaviorCentringSeparatesItems(t *testing.T) {
	cold := &fusion.Behavior{Price: 50}
	flop := &fusion.Behavior{Price: 300, Rating: 2.1, Devices: map[string]fusion.DeviceCounters{
		"pc":     {Views: 50000, Clicks: 300, Carts: 3},
		"tablet": {Views: 20000, Clicks: 100},
	}}
	centred := fusion.DefaultSpec()
	raw := fusion.DefaultSpec()
	for name := range raw.Behavior.Standardize {
		raw.Behavior.Standardize[name] = fusion.FeatureScale{Center: 0, Scale: 1}
	}
	cos := func(s *fusion.Spec, a, b *fusion.Behavior) float64 {
		t.Helper()
		return fusion.Cosine(featureSlice(t, s, a), featureSlice(t, s, b))
	}
	tests := []struct {
		name         string
		a, b         *fusion.Behavior
		rawAbove     float64
		centredBelow float64
	}{
		{"best seller vs flop", hot, flop, 0.5, 0},
		{"best seller vs cold", hot, cold, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c := cos(raw, tt.a, tt.b); c <= tt.rawAbove {
				t.Errorf("raw cos = %.3f, want > %v", c, tt.rawAbove)
			}
			if c := cos(centred, tt.a, tt.b); c >= tt.centredBelow {
				t.Errorf("centred cos = %.3f, want < %v", c, tt.centredBelow)
			}
		})
	}
}

func featureSlice(t *testing.T, s *fusion.Spec, b *fusion.Behavior) []float32 {
	t.Helper()
	f, err := fusion.BehaviorFeatures(b, s)
	if err != nil {
		t.Fatalf("BehaviorFeatures: %v", err)
	}
	return f
}

func TestBehaviorFeaturesInvalid(t *testing.T) {
	reject := fusion.DefaultSpec()
	reject.Missing.UnknownDevices = "reject"
	def := fusion.DefaultSpec()
	dev := func(d string, c fusion.DeviceCounters) map[string]fusion.DeviceCounters {
		return map[string]fusion.DeviceCounters{d: c}
	}
	tests := []struct {
		name      string
		spec      *fusion.Spec
		b         *fusion.Behavior
		field     string
		msgSubstr string
	}{
		{"NaN price", def, &fusion.Behavior{Price: math.NaN()}, "behavior.price", "NaN must be finite"},
		{"Inf price", def, &fusion.Behavior{Price: math.Inf(1)}, "behavior.price", "+Inf must be finite"},
		{"negative price", def, &fusion.Behavior{Price: -0.01}, "behavior.price", "not negative"},
		{"NaN rating", def, &fusion.Behavior{Rating: math.NaN()}, "behavior.rating", "must be in [0, 5]"},
		{"rating above max", def, &fusion.Behavior{Rating: 5.01}, "behavior.rating", "5.01 must be in [0, 5]"},
		{"negative rating", def, &fusion.Behavior{Rating: -1}, "behavior.rating", "must be in [0, 5]"},
		{"negative views", def, &fusion.Behavior{Devices: dev("pc", fusion.DeviceCounters{Views: -1})}, "behavior.devices.pc.views", "must not be negative"},
		{"negative clicks", def, &fusion.Behavior{Devices: dev("mobile", fusion.DeviceCounters{Clicks: -1})}, "behavior.devices.mobile.clicks", "must not be negative"},
		{"negative carts", def, &fusion.Behavior{Devices: dev("tablet", fusion.DeviceCounters{Carts: -3})}, "behavior.devices.tablet.carts", "must not be negative"},
		{"negative orders", def, &fusion.Behavior{Devices: dev("pc", fusion.DeviceCounters{Orders: math.MinInt64})}, "behavior.devices.pc.orders", "must not be negative"},
		{"negative on ignored device", def, &fusion.Behavior{Devices: dev("tv", fusion.DeviceCounters{Views: -1})}, "behavior.devices.tv.views", "must not be negative"},
		{"unknown device rejected", reject, &fusion.Behavior{Devices: dev("tv", fusion.DeviceCounters{Views: 1})}, "behavior.devices.tv", "unknown device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := fusion.BehaviorFeatures(tt.b, tt.spec)
			checkError(t, err, fusion.CodeInvalidInput, tt.field, tt.msgSubstr)
			if f != nil {
				t.Errorf("features = %v with an error", f)
			}
		})
	}
}

type goldenCase struct {
	Name     string             `json:"name"`
	Behavior *fusion.Behavior   `json:"behavior"`
	Features map[string]float64 `json:"features"`
}

func TestBehaviorFeaturesGolden(t *testing.T) {
	s := fusion.DefaultSpec()
	cases := []goldenCase{
		{Name: "typical", Behavior: typical},
		{Name: "hot", Behavior: hot},
		{Name: "cold unrated", Behavior: &fusion.Behavior{Price: 129.9}},
		{Name: "mobile only, clicks > views", Behavior: &fusion.Behavior{Price: 5, Rating: 2.5, Devices: map[string]fusion.DeviceCounters{
			"mobile": {Views: 3, Clicks: 4, Carts: 1, Orders: 1},
		}}},
		{Name: "1e12 views, no clicks", Behavior: &fusion.Behavior{Price: 1e6, Rating: 1, Devices: map[string]fusion.DeviceCounters{
			"pc": {Views: 1e12}, "tablet": {Views: 1e12},
		}}},
	}
	for i := range cases {
		cases[i].Features = features(t, s, cases[i].Behavior)
	}
	path := filepath.Join("testdata", "behavior_features.golden.json")
	if *update {
		data, err := json.MarshalIndent(cases, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	var want []goldenCase
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(cases) {
		t.Fatalf("golden has %d cases, test has %d (run go test -update)", len(want), len(cases))
	}
	for i, c := range cases {
		if want[i].Name != c.Name || len(want[i].Features) != len(c.Features) {
			t.Errorf("case %d: golden %q with %d features, got %q with %d", i, want[i].Name, len(want[i].Features), c.Name, len(c.Features))
			continue
		}
		for name, v := range c.Features {
			if w, ok := want[i].Features[name]; !ok || math.Abs(v-w) > 1e-6 {
				t.Errorf("%s: %s = %.7f, golden %.7f", c.Name, name, v, w)
			}
		}
	}
}

// aliasSpec is DefaultSpec (v1) with the aliases of a shop whose apps report
// their own device keys.
func aliasSpec(t *testing.T) *fusion.Spec {
	t.Helper()
	s := fusion.DefaultSpec()
	s.Behavior.DeviceAliases = map[string]string{"ios_app": "mobile", "android_app": "mobile", "ipad_app": "tablet", "web": "pc"}
	if err := s.Validate(); err != nil {
		t.Fatalf("aliasSpec: %v", err)
	}
	return s
}

// An alias's counters count as its target's: the features equal those of
// the same behaviour with the counters summed by hand into the spec's
// devices.
func TestDeviceAliases(t *testing.T) {
	type dc = fusion.DeviceCounters
	reject := aliasSpec(t)
	reject.Missing.UnknownDevices = "reject"
	tests := []struct {
		name       string
		spec       *fusion.Spec
		in, summed map[string]dc
	}{
		{"alias only", aliasSpec(t),
			map[string]dc{"ios_app": {100000, 800, 12, 3}},
			map[string]dc{"mobile": {100000, 800, 12, 3}}},
		{"alias and its target", aliasSpec(t),
			map[string]dc{"mobile": {1000, 50, 10, 5}, "ios_app": {3000, 90, 9, 2}, "android_app": {500, 20, 1, 0}},
			map[string]dc{"mobile": {4500, 160, 20, 7}}},
		{"every alias", aliasSpec(t),
			map[string]dc{"web": {800, 40, 8, 4}, "pc": {10, 1, 0, 0}, "ipad_app": {200, 10, 2, 1}, "ios_app": {1000, 50, 10, 5}},
			map[string]dc{"pc": {810, 41, 8, 4}, "tablet": {200, 10, 2, 1}, "mobile": {1000, 50, 10, 5}}},
		{"unknown device still dropped", aliasSpec(t),
			map[string]dc{"tv": {5000, 10, 0, 0}, "web": {100, 5, 1, 0}},
			map[string]dc{"pc": {100, 5, 1, 0}}},
		{"aliases pass the reject policy", reject,
			map[string]dc{"android_app": {70, 7, 0, 0}},
			map[string]dc{"mobile": {70, 7, 0, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := featureSlice(t, tt.spec, &fusion.Behavior{Price: 30, Rating: 4, Devices: tt.in})
			want := featureSlice(t, fusion.DefaultSpec(), &fusion.Behavior{Price: 30, Rating: 4, Devices: tt.summed})
			if !slices.Equal(got, want) {
				t.Errorf("features = %v\nwant       %v (the counters summed into the spec's devices)", got, want)
			}
		})
	}
}

func TestDeviceAliasErrors(t *testing.T) {
	reject := aliasSpec(t)
	reject.Missing.UnknownDevices = "reject"
	tests := []struct {
		name      string
		spec      *fusion.Spec
		b         *fusion.Behavior
		field     string
		msgSubstr string
	}{
		{"negative counter on an alias", aliasSpec(t),
			&fusion.Behavior{Devices: map[string]fusion.DeviceCounters{"ios_app": {Clicks: -2}}},
			"behavior.devices.ios_app.clicks", "must not be negative"},
		{"unknown device rejected, aliases listed", reject,
			&fusion.Behavior{Devices: map[string]fusion.DeviceCounters{"tv": {Views: 1}, "web": {Views: 1}}},
			"behavior.devices.tv", "the spec knows pc, mobile, tablet; aliases android_app, ios_app, ipad_app, web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fusion.BehaviorFeatures(tt.b, tt.spec)
			checkError(t, err, fusion.CodeInvalidInput, tt.field, tt.msgSubstr)
			ws, err := tt.spec.BehaviorWarnings(tt.b)
			checkError(t, err, fusion.CodeInvalidInput, tt.field, tt.msgSubstr)
			if ws != nil {
				t.Errorf("warnings = %v with an error", ws)
			}
		})
	}
}

func TestBehaviorWarnings(t *testing.T) {
	type dc = fusion.DeviceCounters
	devices := func(m map[string]dc) *fusion.Behavior { return &fusion.Behavior{Price: 10, Rating: 4, Devices: m} }
	v1, aliases := fusion.DefaultSpec(), aliasSpec(t)
	type want struct {
		code, field string
		msgSubstrs  []string
	}
	tests := []struct {
		name string
		spec *fusion.Spec
		b    *fusion.Behavior
		want []want
	}{
		{"nil behaviour", v1, nil, nil},
		{"typical item", v1, typical, nil},
		{"no devices", v1, &fusion.Behavior{Price: 3}, nil},
		{"the issue's item: 100000 views on ios_app", v1, devices(map[string]dc{"ios_app": {Views: 100000, Clicks: 800}}),
			[]want{{fusion.WarningUnknownDevice, "behavior.devices.ios_app", []string{
				`device "ios_app" is not in the spec (pc, mobile, tablet): its 100000 views, 800 clicks, 0 carts and 0 orders were left out`,
				"map it with behavior.device_aliases or add the device to a new spec",
			}}}},
		{"unknown device without traffic loses nothing", v1, devices(map[string]dc{"ios_app": {}, "pc": {Views: 5}}), nil},
		{"aliased device", aliases, devices(map[string]dc{"ios_app": {Views: 100000, Clicks: 800}}), nil},
		{"unknown device names the aliases", aliases, devices(map[string]dc{"tv": {Orders: 1}}),
			[]want{{fusion.WarningUnknownDevice, "behavior.devices.tv", []string{
				"(pc, mobile, tablet; aliases android_app, ios_app, ipad_app, web)", "0 views, 0 clicks, 0 carts and 1 orders",
			}}}},
		{"clicks > views", v1, devices(map[string]dc{"pc": {Views: 10, Clicks: 500}}),
			[]want{{fusion.WarningCountersInconsistent, "behavior.devices.pc", []string{
				`device "pc" has more clicks than views (500 > 10), so its rate ctr is overstated (capped at 1)`,
				"check that the counters cover the same period",
			}}}},
		{"carts and orders > clicks", v1, devices(map[string]dc{"tablet": {Views: 100, Clicks: 5, Carts: 6, Orders: 9}}),
			[]want{{fusion.WarningCountersInconsistent, "behavior.devices.tablet", []string{
				"more carts than clicks (6 > 5) and more orders than clicks (9 > 5), so its rates cart_rate and cvr are overstated",
			}}}},
		{"equal stages are consistent", v1, devices(map[string]dc{"pc": {Views: 7, Clicks: 7, Carts: 7, Orders: 7}}), nil},
		{"inconsistent once aliases are added in", aliases, devices(map[string]dc{"mobile": {Views: 3, Clicks: 1}, "ios_app": {Clicks: 5}, "android_app": {Clicks: 1}}),
			[]want{{fusion.WarningCountersInconsistent, "behavior.devices.mobile", []string{
				`device "mobile" (android_app, ios_app added in) has more clicks than views (7 > 3)`,
			}}}},
		{"consistent once aliases are added in", aliases, devices(map[string]dc{"pc": {Clicks: 50}, "web": {Views: 100}}), nil},
		{"huge sums print without exponent", v1, devices(map[string]dc{"pc": {Views: 1, Clicks: 1e15}}),
			[]want{{fusion.WarningCountersInconsistent, "behavior.devices.pc", []string{"(1000000000000000 > 1)"}}}},
		{"several, sorted by field", v1, devices(map[string]dc{
			"tv": {Views: 9}, "pc": {Views: 1, Clicks: 2}, "mobile": {Views: 1, Clicks: 2}, "app": {Clicks: 1},
		}), []want{
			{fusion.WarningUnknownDevice, "behavior.devices.app", nil},
			{fusion.WarningCountersInconsistent, "behavior.devices.mobile", nil},
			{fusion.WarningCountersInconsistent, "behavior.devices.pc", nil},
			{fusion.WarningUnknownDevice, "behavior.devices.tv", nil},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 10 { // map order must not leak into the result
				got, err := tt.spec.BehaviorWarnings(tt.b)
				if err != nil {
					t.Fatalf("BehaviorWarnings: %v", err)
				}
				if len(got) != len(tt.want) {
					t.Fatalf("warnings = %+v, want %d", got, len(tt.want))
				}
				if tt.want == nil && got != nil {
					t.Errorf("warnings = %#v, want nil", got)
				}
				for i, w := range tt.want {
					if got[i].Code != w.code || got[i].Field != w.field {
						t.Errorf("warning %d = %s %s, want %s %s", i, got[i].Code, got[i].Field, w.code, w.field)
					}
					for _, sub := range w.msgSubstrs {
						if !strings.Contains(got[i].Message, sub) {
							t.Errorf("warning %d message = %q, want it to contain %q", i, got[i].Message, sub)
						}
					}
				}
			}
		})
	}
}

// An unknown device under "ignore" adds no features: the item reads as one
// without that traffic, which is why it must warn.
func TestUnknownDeviceCountsNowhere(t *testing.T) {
	s := fusion.DefaultSpec()
	with := featureSlice(t, s, &fusion.Behavior{Price: 10, Devices: map[string]fusion.DeviceCounters{"ios_app": {Views: 100000, Clicks: 800}}})
	without := featureSlice(t, s, &fusion.Behavior{Price: 10})
	if !slices.Equal(with, without) {
		t.Errorf("features with an ignored device = %v, want those without it %v", with, without)
	}
}

func TestBehaviorWarningsInvalidSpec(t *testing.T) {
	s := fusion.DefaultSpec()
	s.Behavior.DeviceAliases = map[string]string{"ios_app": "phone"}
	ws, err := s.BehaviorWarnings(typical)
	checkError(t, err, fusion.CodeInvalidSpec, "behavior.device_aliases.ios_app", "not a device of the spec")
	if ws != nil {
		t.Errorf("warnings = %v with an error", ws)
	}
}

func ExampleSpec_BehaviorWarnings() {
	spec := fusion.DefaultSpec() // devices pc, mobile, tablet; unknown devices ignored
	b := &fusion.Behavior{Price: 20, Devices: map[string]fusion.DeviceCounters{
		"ios_app": {Views: 100000, Clicks: 800},
	}}
	ws, err := spec.BehaviorWarnings(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range ws {
		fmt.Println(w.Code, w.Field)
		fmt.Println(w.Message)
	}

	spec.Behavior.DeviceAliases = map[string]string{"ios_app": "mobile"}
	ws, _ = spec.BehaviorWarnings(b)
	fmt.Println("with an alias:", len(ws), "warnings")
	// Output:
	// unknown_device behavior.devices.ios_app
	// device "ios_app" is not in the spec (pc, mobile, tablet): its 100000 views, 800 clicks, 0 carts and 0 orders were left out; map it with behavior.device_aliases or add the device to a new spec
	// with an alias: 0 warnings
}
