package fusion_test

import (
	"fmt"
	"math"

	"github.com/itemvec/itemvec/fusion"
)

func ExampleFuse() {
	spec := fusion.DefaultSpec() // v1: image and behaviour, no text model

	// An image embedding as the image model returns it (1280 values).
	image := make([]float32, spec.Blocks.Image.Dim)
	for i := range image {
		image[i] = float32(i%7) - 3
	}
	behavior := &fusion.Behavior{
		Price:  49.9,
		Rating: 4.6,
		Devices: map[string]fusion.DeviceCounters{
			"pc":     {Views: 1200, Clicks: 80, Carts: 12, Orders: 6},
			"mobile": {Views: 3400, Clicks: 150, Carts: 30, Orders: 9},
		},
	}

	v, err := fusion.Fuse(spec, fusion.Inputs{Image: image, Behavior: behavior})
	if err != nil {
		fmt.Println(err)
		return
	}
	l2 := func(x []float32) float64 {
		var sum float64
		for _, f := range x {
			sum += float64(f) * float64(f)
		}
		return math.Sqrt(sum)
	}
	fmt.Println("dim:", len(v.Values), "modalities:", v.Modalities)
	fmt.Printf("norm: %.4f\n", l2(v.Values))
	// With image weight 1 and behaviour weight 0.5 the block norms are
	// 1/sqrt(1.25) and 0.5/sqrt(1.25); text has no model in v1 and no columns.
	for _, r := range spec.Layout() {
		fmt.Printf("%-8s [%d, %d) norm %.4f\n", r.Name, r.Offset, r.Offset+r.Dim, l2(v.Blocks[r.Name]))
	}

	// The same item without behaviour: its slot is zeros, the image block
	// keeps its direction, and the vectors stay comparable position by
	// position.
	imageOnly, err := fusion.Fuse(spec, fusion.Inputs{Image: image})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("modalities:", imageOnly.Modalities)
	fmt.Printf("cos(with, without behaviour): %.4f\n", fusion.Cosine(v.Values, imageOnly.Values))
	// Output:
	// dim: 1311 modalities: [image behavior]
	// norm: 1.0000
	// image    [0, 1280) norm 0.8944
	// text     [1280, 1280) norm 0.0000
	// behavior [1280, 1311) norm 0.4472
	// modalities: [image]
	// cos(with, without behaviour): 0.8944
}
