package fusion

import (
	"fmt"
	"math"
	"slices"
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
// result are clipped to 1.
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

// BehaviorFeatures turns b into the behaviour block of spec s, before the
// block's L2 normalisation: BehaviorDim values, each in [-1, 1], in the order
// of BehaviorFeatureNames. The formulas are in the package documentation.
//
// A nil b is a missing behaviour modality: BehaviorFeatures returns nil and no
// error. A NaN, infinite or negative price, a rating outside
// [0, rating_max], a negative counter or (under the "reject" policy) an
// unknown device key is an *itemvec.Error with code CodeInvalidInput naming
// the field (see FieldOf).
func BehaviorFeatures(b *Behavior, s *Spec) ([]float32, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	f, err := behaviorFeatures(b, s, "BehaviorFeatures")
	if err != nil || f == nil {
		return nil, err
	}
	out := make([]float32, len(f))
	for i, v := range f {
		out[i] = float32(v)
	}
	return out, nil
}

// behaviorFeatures is BehaviorFeatures in float64 for a validated spec; op
// names the exported caller in errors.
func behaviorFeatures(b *Behavior, s *Spec, op string) ([]float64, error) {
	if b == nil {
		return nil, nil
	}
	if err := checkBehavior(b, s, op); err != nil {
		return nil, err
	}
	bs := &s.Behavior
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

	// Sums in float64: int64 totals of huge counters could overflow.
	var views, clicks, carts, orders float64
	for _, d := range bs.Devices {
		c := b.Devices[d]
		views += float64(c.Views)
		clicks += float64(c.Clicks)
		carts += float64(c.Carts)
		orders += float64(c.Orders)
	}
	raw = append(raw,
		logCount(views),
		rate(clicks, views, bs.CTRPrior),
		rate(carts, clicks, bs.CartPrior),
		rate(orders, clicks, bs.CVRPrior),
	)
	for _, d := range bs.Devices {
		c := b.Devices[d]
		v, k, a, o := float64(c.Views), float64(c.Clicks), float64(c.Carts), float64(c.Orders)
		// With no views anywhere there is no device mix: the share sits at
		// its centre, i.e. contributes 0 after standardisation.
		share := bs.Standardize[d+".view_share"].Center
		if views > 0 {
			share = v / views
		}
		raw = append(raw,
			logCount(v), logCount(k), logCount(a), logCount(o),
			rate(k, v, bs.CTRPrior),
			rate(a, k, bs.CartPrior),
			rate(o, k, bs.CVRPrior),
			share,
		)
	}

	for i, name := range names {
		fs := bs.Standardize[name]
		raw[i] = max(-1, min(1, (raw[i]-fs.Center)/fs.Scale))
	}
	return raw, nil
}

func checkBehavior(b *Behavior, s *Spec, op string) error {
	bad := func(field, format string, args ...any) error {
		return newError(CodeInvalidInput, op, "behavior."+field, fmt.Errorf(format, args...))
	}
	if math.IsNaN(b.Price) || math.IsInf(b.Price, 0) || b.Price < 0 {
		return bad("price", "%v must be finite and not negative", b.Price)
	}
	if !(b.Rating >= 0 && b.Rating <= s.Behavior.RatingMax) {
		return bad("rating", "%v must be in [0, %v]", b.Rating, s.Behavior.RatingMax)
	}
	// Sorted so that the error for an input with several bad devices is
	// always the same.
	keys := make([]string, 0, len(b.Devices))
	for d := range b.Devices {
		keys = append(keys, d)
	}
	slices.Sort(keys)
	for _, d := range keys {
		if !slices.Contains(s.Behavior.Devices, d) && s.Missing.UnknownDevices == "reject" {
			return bad("devices."+d, "unknown device; the spec knows %v", s.Behavior.Devices)
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

func clamp01(x float64) float64 { return max(0, min(1, x)) }
