package catalog

import (
	"reflect"
	"strconv"
	"testing"
)

func TestShopperBehavior(t *testing.T) {
	bands := []struct {
		name string
		band [2]float64
	}{
		{name: "cheap", band: [2]float64{8, 29}},
		{name: "mid", band: [2]float64{25, 120}},
		{name: "narrow", band: [2]float64{50, 50}},
	}
	for _, tt := range bands {
		t.Run(tt.name, func(t *testing.T) {
			var mobileFirst, unrated, n int
			for seed := range int64(300) {
				r := rng(seed, tt.name)
				orig := newShopper(r, tt.band)
				for i, s := range []shopper{orig, orig.resold(r)} {
					b := s.behavior(r)
					name := strconv.FormatInt(seed, 10) + "/" + strconv.Itoa(i)
					if i == 0 && (b.Price < tt.band[0] || b.Price > tt.band[1]+1) {
						t.Errorf("%s: price %v outside band %v", name, b.Price, tt.band)
					}
					if b.Price <= 0 || b.Rating != 0 && (b.Rating < 3 || b.Rating > 5) {
						t.Errorf("%s: price %v, rating %v", name, b.Price, b.Rating)
					}
					for dev, d := range b.Devices {
						if d.Orders < 0 || d.Orders > d.Carts || d.Carts > d.Clicks || d.Clicks > d.Views {
							t.Errorf("%s %s: funnel %+v does not narrow", name, dev, d)
						}
					}
					if b.Devices["mobile"].Views > b.Devices["pc"].Views {
						mobileFirst++
					}
					if b.Rating == 0 {
						unrated++
					}
					n++
				}
			}
			if mobileFirst < n*6/10 || mobileFirst == n {
				t.Errorf("mobile leads views in %d of %d products; want most but not all", mobileFirst, n)
			}
			if unrated == 0 || unrated > n/4 {
				t.Errorf("%d of %d products unrated; want some, not many", unrated, n)
			}
		})
	}
}

func TestResoldDiffers(t *testing.T) {
	r := rng(1, "x")
	orig := newShopper(r, [2]float64{10, 20})
	a := orig.behavior(rng(1, "a"))
	b := orig.resold(rng(1, "b")).behavior(rng(1, "b"))
	if reflect.DeepEqual(a, b) {
		t.Fatal("a resold product has the original's exact behaviour")
	}
	if b.Devices["mobile"].Views > 2*a.Devices["mobile"].Views {
		t.Errorf("resold mobile views %d, original %d: want similar traffic", b.Devices["mobile"].Views, a.Devices["mobile"].Views)
	}
}

func TestRetailPrice(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{0, 0.99}, {-3, 0.99}, {9.5, 9.99}, {34.01, 34.99}, {119.999, 119.99},
	}
	for _, tt := range tests {
		if got := retailPrice(tt.in); got != tt.want {
			t.Errorf("retailPrice(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
