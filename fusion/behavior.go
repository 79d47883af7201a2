package fusion

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Behavior is what shoppers did around an item: its price, its rating and
// per-device counters. It arrives with the item in a task payload.
type Behavior struct {
	// Price in the catalog's currency; 0 is allowed, negative is not.
	Price float64 `json:"price"`
	// Rating on [0, rating_max] of the spec (5 in v1 and v2); with their
	// missing policy 0 means "not rated yet".
	Rating float64 `json:"rating"`
	// Devices maps a device key ("pc", "mobile", "tablet") to its counters.
	// A device of the spec that is absent here has all counters 0.
	Devices map[string]DeviceCounters `json:"devices,omitempty"`
}

// DeviceCounters are one device's funnel counts. Later stages may exceed
// earlier ones (carts added from a listing without a click); the rates that
// result are clipped to 1, and the item gets a WarningCountersInconsistent
// warning.
type DeviceCounters struct {
	Views  int64 `json:"views"`
	Clicks int64 `json:"clicks"`
	Carts  int64 `json:"carts"`
	Orders int64 `json:"orders"`
}

// totalPrefix names the features computed over all the spec's devices.
const totalPrefix = "total"

// Feature names, without their device prefix, in feature order.
var (
	globalFeatures = []string{"log_price", "rating", "has_rating"}
	totalFeatures  = []string{"log_views", "ctr", "cart_rate", "cvr"}
	deviceFeatures = []string{"log_views", "log_clicks", "log_carts", "log_orders", "ctr", "cart_rate", "cvr", "view_share"}
)

// BehaviorDim is the length of the behaviour block: 3 global features, 4
// all-device totals and 8 per device of BehaviorSpec.Devices (31 in v1 and
// v2).
func (s *Spec) BehaviorDim() int {
	return len(globalFeatures) + len(totalFeatures) + len(deviceFeatures)*len(s.Behavior.Devices)
}

// BehaviorFeatureNames returns the names of the behaviour features in block
// order: "log_price", "rating", "has_rating", then "total.log_views",
// "total.ctr", "total.cart_rate", "total.cvr", then for each device d of the
// spec "d.log_views", "d.log_clicks", "d.log_carts", "d.log_orders", "d.ctr",
// "d.cart_rate", "d.cvr", "d.view_share". Feature i of the behaviour block is
// at Values[Layout()[2].Offset+i] of a fused vector.
func (s *Spec) BehaviorFeatureNames() []string {
	names := make([]string, 0, s.BehaviorDim())
	names = append(names, globalFeatures...)
	for _, f := range totalFeatures {
		names = append(names, totalPrefix+"."+f)
	}
	for _, d := range s.Behavior.Devices {
		for _, f := range deviceFeatures {
			names = append(names, d+"."+f)
		}
	}
	return names
}

// Codes of the warnings in Vector.Warnings and Spec.BehaviorWarnings. A
// warning is not an error: the vector is made and is valid, but some input
// did not count as its sender may think. Workers count warnings by code in
// metrics, so the strings never change.
const (
	// WarningUnknownDevice: a key of Behavior.Devices is neither a device of
	// the spec nor an alias of one, the missing policy is "ignore", and its
	// counters are not all 0: they were left out of every feature, totals
	// included. Field: "behavior.devices.<key>".
	WarningUnknownDevice = "unknown_device"
	// WarningCountersInconsistent: a device of the spec (its aliases' counters
	// added in) has more clicks than views, more carts than clicks or more
	// orders than clicks, so a rate of the spec (ctr, cart_rate, cvr) takes a
	// later funnel stage over a smaller earlier one and overstates it
	// (clipped at 1). Field: "behavior.devices.<device>".
	WarningCountersInconsistent = "counters_inconsistent"
)

// Warning is something odd about one item's input that did not stop it from
// being fused. Warnings come sorted by Field, then Code.
type Warning struct {
	// Code is one of the Warning* constants.
	Code string `json:"code"`
	// Field is the input field concerned, e.g. "behavior.devices.ios_app".
	Field string `json:"field"`
	// Message says, in a sentence a person can act on, what happened and
	// what to do about it.
	Message string `json:"message"`
}

// BehaviorWarnings returns the warnings that Fuse would attach to a vector
// made with behaviour b (nil when there are none, or b is nil), without
// fusing. The error is the one BehaviorFeatures returns for s and b: an
// invalid spec or behaviour has no warnings, only that error.
func (s *Spec) BehaviorWarnings(b *Behavior) ([]Warning, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, nil
	}
	keys := sortedKeys(b.Devices)
	if err := checkBehavior(b, s, keys, "BehaviorWarnings"); err != nil {
		return nil, err
	}
	return behaviorWarnings(b, s, keys, deviceFunnels(b, s, keys)), nil
}

// BehaviorFeatures turns b into the behaviour block of spec s, before the
// block's L2 normalisation: BehaviorDim values, each in [-1, 1], in the order
// of BehaviorFeatureNames. The counters of a device alias count as its
// target's. The formulas are in the package documentation.
//
// A nil b is a missing behaviour modality: BehaviorFeatures returns nil and no
// error. A NaN, infinite or negative price, a rating outside
// [0, rating_max], a negative counter or (under the "reject" policy) an
// unknown device key is an *itemvec.Error with code CodeInvalidInput naming
// the field (see FieldOf). Warnings are not returned here; see
// Spec.BehaviorWarnings.
func BehaviorFeatures(b *Behavior, s *Spec) ([]float32, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	f, _, err := behaviorFeatures(b, s, "BehaviorFeatures")
	if err != nil || f == nil {
		return nil, err
	}
	out := make([]float32, len(f))
	for i, v := range f {
		out[i] = float32(v)
	}
	return out, nil
}

// funnel is one device's counters in float64: sums of int64 counters could
// overflow.
type funnel struct{ views, clicks, carts, orders float64 }

func (f *funnel) add(c DeviceCounters) {
	f.views += float64(c.Views)
	f.clicks += float64(c.Clicks)
	f.carts += float64(c.Carts)
	f.orders += float64(c.Orders)
}

// deviceFunnels returns the counters of each device of s, in spec order,
// with the counters of the device's aliases added in. keys are the keys of
// b.Devices, sorted: summing in a fixed order keeps the rounding of huge
// sums, and so the vector, the same from run to run. Keys that are neither
// devices nor aliases count nowhere.
func deviceFunnels(b *Behavior, s *Spec, keys []string) []funnel {
	bs := &s.Behavior
	out := make([]funnel, len(bs.Devices))
	for _, key := range keys {
		c, d := b.Devices[key], key
		if target, ok := bs.DeviceAliases[key]; ok {
			d = target
		}
		if i := slices.Index(bs.Devices, d); i >= 0 {
			out[i].add(c)
		}
	}
	return out
}

// behaviorFeatures is BehaviorFeatures in float64 for a validated spec, with
// the warnings of b; op names the exported caller in errors.
func behaviorFeatures(b *Behavior, s *Spec, op string) ([]float64, []Warning, error) {
	if b == nil {
		return nil, nil, nil
	}
	keys := sortedKeys(b.Devices)
	if err := checkBehavior(b, s, keys, op); err != nil {
		return nil, nil, err
	}
	bs := &s.Behavior
	funnels := deviceFunnels(b, s, keys)
	logCount := func(n float64) float64 { return clamp01(math.Log1p(n) / math.Log1p(bs.CountRef)) }
	rate := func(k, n float64, p Prior) float64 { return clamp01((k + p.Alpha) / (n + p.Alpha + p.Beta)) }

	names := s.BehaviorFeatureNames()
	raw := make([]float64, 0, len(names))

	rated := !(s.Missing.RatingZeroMeansUnrated && b.Rating == 0)
	rating, hasRating := bs.Standardize["rating"].Center, 0.0
	if rated {
		rating, hasRating = b.Rating/bs.RatingMax, 1
	}
	raw = append(raw, clamp01(math.Log1p(b.Price)/math.Log1p(bs.PriceRef)), rating, hasRating)

	var total funnel
	for _, f := range funnels {
		total.views += f.views
		total.clicks += f.clicks
		total.carts += f.carts
		total.orders += f.orders
	}
	raw = append(raw,
		logCount(total.views),
		rate(total.clicks, total.views, bs.CTRPrior),
		rate(total.carts, total.clicks, bs.CartPrior),
		rate(total.orders, total.clicks, bs.CVRPrior),
	)
	for i, d := range bs.Devices {
		f := funnels[i]
		// With no views anywhere there is no device mix: the share sits at
		// its centre, i.e. contributes 0 after standardisation.
		share := bs.Standardize[d+".view_share"].Center
		if total.views > 0 {
			share = f.views / total.views
		}
		raw = append(raw,
			logCount(f.views), logCount(f.clicks), logCount(f.carts), logCount(f.orders),
			rate(f.clicks, f.views, bs.CTRPrior),
			rate(f.carts, f.clicks, bs.CartPrior),
			rate(f.orders, f.clicks, bs.CVRPrior),
			share,
		)
	}

	for i, name := range names {
		fs := bs.Standardize[name]
		raw[i] = max(-1, min(1, (raw[i]-fs.Center)/fs.Scale))
	}
	return raw, behaviorWarnings(b, s, keys, funnels), nil
}

// checkBehavior returns the error of an invalid b; keys are the keys of
// b.Devices, sorted, so that the error for an input with several bad devices
// is always the same.
func checkBehavior(b *Behavior, s *Spec, keys []string, op string) error {
	bad := func(field, format string, args ...any) error {
		return newError(CodeInvalidInput, op, "behavior."+field, fmt.Errorf(format, args...))
	}
	if math.IsNaN(b.Price) || math.IsInf(b.Price, 0) || b.Price < 0 {
		return bad("price", "%v must be finite and not negative", b.Price)
	}
	if !(b.Rating >= 0 && b.Rating <= s.Behavior.RatingMax) {
		return bad("rating", "%v must be in [0, %v]", b.Rating, s.Behavior.RatingMax)
	}
	for _, d := range keys {
		if !s.knowsDevice(d) && s.Missing.UnknownDevices == "reject" {
			return bad("devices."+d, "unknown device; the spec knows %s", s.knownDevices())
		}
		c := b.Devices[d]
		counters := []struct {
			name string
			n    int64
		}{{"views", c.Views}, {"clicks", c.Clicks}, {"carts", c.Carts}, {"orders", c.Orders}}
		for _, n := range counters {
			if n.n < 0 {
				return bad("devices."+d+"."+n.name, "%d must not be negative", n.n)
			}
		}
	}
	return nil
}

// behaviorWarnings returns the warnings of a checked b, given its sorted
// device keys and its deviceFunnels, sorted by field and code; nil when
// there are none.
func behaviorWarnings(b *Behavior, s *Spec, keys []string, funnels []funnel) []Warning {
	var out []Warning
	for _, key := range keys {
		c := b.Devices[key]
		if s.knowsDevice(key) || c == (DeviceCounters{}) {
			continue
		}
		out = append(out, Warning{
			Code:  WarningUnknownDevice,
			Field: "behavior.devices." + key,
			Message: fmt.Sprintf("device %q is not in the spec (%s): its %d views, %d clicks, %d carts and %d orders "+
				"were left out; map it with behavior.device_aliases or add the device to a new spec",
				key, s.knownDevices(), c.Views, c.Clicks, c.Carts, c.Orders),
		})
	}
	for i, d := range s.Behavior.Devices {
		f := funnels[i]
		type excess struct {
			later, earlier string
			k, n           float64
			rate           string
		}
		var over []excess
		for _, e := range []excess{
			{"clicks", "views", f.clicks, f.views, "ctr"},
			{"carts", "clicks", f.carts, f.clicks, "cart_rate"},
			{"orders", "clicks", f.orders, f.clicks, "cvr"},
		} {
			if e.k > e.n {
				over = append(over, e)
			}
		}
		if len(over) == 0 {
			continue
		}
		var merged []string
		for _, key := range keys {
			if s.Behavior.DeviceAliases[key] == d {
				merged = append(merged, key)
			}
		}
		who := fmt.Sprintf("device %q", d)
		if len(merged) > 0 {
			who += " (" + strings.Join(merged, ", ") + " added in)"
		}
		stages, rates := make([]string, len(over)), make([]string, len(over))
		for j, e := range over {
			stages[j] = fmt.Sprintf("more %s than %s (%s > %s)", e.later, e.earlier, count(e.k), count(e.n))
			rates[j] = e.rate
		}
		rateWords := "its rate " + rates[0] + " is"
		if len(rates) > 1 {
			rateWords = "its rates " + and(rates) + " are"
		}
		out = append(out, Warning{
			Code:  WarningCountersInconsistent,
			Field: "behavior.devices." + d,
			Message: fmt.Sprintf("%s has %s, so %s overstated (capped at 1); "+
				"check that the counters cover the same period and come from the same source",
				who, and(stages), rateWords),
		})
	}
	slices.SortFunc(out, func(a, b Warning) int {
		return cmp.Or(cmp.Compare(a.Field, b.Field), cmp.Compare(a.Code, b.Code))
	})
	return out
}

// knowsDevice reports whether key is a device of s or an alias of one.
func (s *Spec) knowsDevice(key string) bool {
	if _, ok := s.Behavior.DeviceAliases[key]; ok {
		return true
	}
	return slices.Contains(s.Behavior.Devices, key)
}

// knownDevices lists the device keys s takes, for messages: "pc, mobile,
// tablet", then "; aliases ios_app, web" when it has aliases.
func (s *Spec) knownDevices() string {
	out := strings.Join(s.Behavior.Devices, ", ")
	if len(s.Behavior.DeviceAliases) > 0 {
		out += "; aliases " + strings.Join(sortedKeys(s.Behavior.DeviceAliases), ", ")
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// count formats a counter sum without exponent: 100000, not 1e+05.
func count(n float64) string { return strconv.FormatFloat(n, 'f', -1, 64) }

// and joins items as prose: "a", "a and b", "a, b and c".
func and(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func clamp01(x float64) float64 { return max(0, min(1, x)) }
