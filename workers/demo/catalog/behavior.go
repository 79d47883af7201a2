package catalog

import (
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/itemvec/itemvec/fusion"
)

// Devices are the device keys every product has counters for, in the order
// of the v1 fusion spec.
var Devices = []string{"pc", "mobile", "tablet"}

// shopper is the hidden behaviour of one product's shoppers, from which its
// counters are drawn: how much traffic it gets, how that traffic splits by
// device, and how each device's shoppers move down the funnel.
type shopper struct {
	views     float64    // expected views over all devices
	share     [3]float64 // view share per device, summing to 1
	ctr       [3]float64 // clicks / views
	cartRate  [3]float64 // carts / clicks
	orderRate [3]float64 // orders / carts
	price     float64
	rating    float64 // 0 means not rated yet
}

// Device multipliers of the funnel rates: desktop shoppers convert a little
// better, mobile ones browse more.
var (
	ctrByDevice   = [3]float64{1.1, 1.0, 0.9}
	cartByDevice  = [3]float64{1.15, 0.9, 1.0}
	orderByDevice = [3]float64{1.1, 0.9, 1.0}
)

// rng returns the random stream of one product: seeded by the catalog seed
// and the product's name, so that a product's numbers do not change when
// other products are added or reordered.
func rng(seed int64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}

// newShopper draws the behaviour of an original product priced within band.
// Traffic is log-normal around 2000 views, the centre the v1 fusion spec
// standardises to; mobile has the largest share for about four products in
// five, desktop for the rest.
func newShopper(r *rand.Rand, band [2]float64) shopper {
	var s shopper
	s.views = clamp(math.Exp(7.6+0.9*r.NormFloat64()), 50, 200000)
	tablet := 0.04 + 0.10*r.Float64()
	mobile := 0.50 + 0.25*r.Float64()
	if r.Float64() < 0.2 {
		mobile = 0.25 + 0.15*r.Float64()
	}
	s.share = [3]float64{1 - mobile - tablet, mobile, tablet}
	ctr := 0.02 + 0.08*r.Float64()
	cart := 0.10 + 0.25*r.Float64()
	order := 0.25 + 0.45*r.Float64()
	for d := range s.share {
		s.ctr[d] = rate(ctr * ctrByDevice[d] * jitter(r, 0.15))
		s.cartRate[d] = rate(cart * cartByDevice[d] * jitter(r, 0.15))
		s.orderRate[d] = rate(order * orderByDevice[d] * jitter(r, 0.15))
	}
	s.price = retailPrice(band[0] + (band[1]-band[0])*r.Float64())
	if r.Float64() >= 0.12 {
		u := r.Float64()
		s.rating = oneDecimal(5 - 2*u*u)
	}
	return s
}

// resold is the same product sold by another seller: less traffic as a
// rule, funnel rates and device split close to the original's, a nearby
// price and its own rating.
func (s shopper) resold(r *rand.Rand) shopper {
	v := s
	v.views = clamp(s.views*(0.35+0.75*r.Float64()), 20, 200000)
	var sum float64
	for d := range v.share {
		v.share[d] = s.share[d] * jitter(r, 0.15)
		sum += v.share[d]
	}
	for d := range v.share {
		v.share[d] /= sum
		v.ctr[d] = rate(s.ctr[d] * jitter(r, 0.2))
		v.cartRate[d] = rate(s.cartRate[d] * jitter(r, 0.2))
		v.orderRate[d] = rate(s.orderRate[d] * jitter(r, 0.2))
	}
	v.price = retailPrice(s.price * (0.85 + 0.27*r.Float64()))
	switch {
	case r.Float64() < 0.1:
		v.rating = 0
	case s.rating == 0:
		v.rating = oneDecimal(3.5 + 1.5*r.Float64())
	default:
		v.rating = oneDecimal(clamp(s.rating+0.8*(r.Float64()-0.5), 3, 5))
	}
	return v
}

// behavior draws counters from s. Every device's funnel narrows: orders <=
// carts <= clicks <= views.
func (s shopper) behavior(r *rand.Rand) *fusion.Behavior {
	b := &fusion.Behavior{
		Price:   s.price,
		Rating:  s.rating,
		Devices: make(map[string]fusion.DeviceCounters, len(Devices)),
	}
	for d, key := range Devices {
		views := int64(math.Round(math.Max(0, s.views*s.share[d]*(1+0.05*r.NormFloat64()))))
		clicks := binomial(r, views, s.ctr[d])
		carts := binomial(r, clicks, s.cartRate[d])
		orders := binomial(r, carts, s.orderRate[d])
		b.Devices[key] = fusion.DeviceCounters{Views: views, Clicks: clicks, Carts: carts, Orders: orders}
	}
	return b
}

// binomial draws the number of successes in n trials of probability p:
// exactly for small n, by the normal approximation above that.
func binomial(r *rand.Rand, n int64, p float64) int64 {
	if n <= 0 || p <= 0 {
		return 0
	}
	if n <= 1000 {
		var k int64
		for range n {
			if r.Float64() < p {
				k++
			}
		}
		return k
	}
	mean := float64(n) * p
	sd := math.Sqrt(mean * (1 - p))
	return int64(clamp(math.Round(mean+sd*r.NormFloat64()), 0, float64(n)))
}

// jitter is a factor uniform on [1-spread, 1+spread].
func jitter(r *rand.Rand, spread float64) float64 {
	return 1 + spread*(2*r.Float64()-1)
}

// rate keeps a funnel rate a probability short of certainty.
func rate(p float64) float64 { return clamp(p, 0, 0.95) }

// retailPrice is p as a shelf price: whole units and 99 cents, at least 0.99.
func retailPrice(p float64) float64 {
	cents := int64(math.Max(0, math.Floor(p)))*100 + 99
	return float64(cents) / 100
}

func oneDecimal(x float64) float64 { return math.Round(x*10) / 10 }

func clamp(x, lo, hi float64) float64 { return math.Min(hi, math.Max(lo, x)) }
