package extract_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/extract"
)

func ExamplePrepareImage() {
	// A 4×2 picture: left half red, right half white.
	img := image.NewNRGBA(image.Rect(0, 0, 4, 2))
	for y := range 2 {
		for x := range 4 {
			c := color.NRGBA{255, 0, 0, 255}
			if x >= 2 {
				c = color.NRGBA{255, 255, 255, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}

	spec := extract.ImageSpec{Width: 2, Height: 1, Resize: extract.ResizeStretch, Filter: extract.FilterNearest,
		Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}}
	x, err := extract.PrepareImage(buf.Bytes(), spec, extract.Limits{})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(x), x) // NCHW: R plane, G plane, B plane
	// Output: 6 [1 1 -1 1 -1 1]
}

func ExamplePrepareImage_badInput() {
	_, err := extract.PrepareImage([]byte("<html>Not Found</html>"), extract.ImageSpec{Width: 224, Height: 224}, extract.Limits{})
	if itemvec.CodeOf(err) == extract.CodeUnsupportedFormat {
		fmt.Println(itemvec.CodeOf(err), itemvec.KindOf(err), itemvec.IsRetryable(err))
		fmt.Println(err)
	}
	// Output:
	// unsupported_format bad_input false
	// unsupported image format (looks like text, not an image); supported: JPEG, PNG, GIF, WebP
}

func ExampleTextPrep_Join() {
	prep := extract.TextPrep{Fields: []string{"title", "description"}, Separator: ". "}
	fmt.Printf("%q\n", prep.Join(map[string]string{"description": "Holds 350 ml.", "title": " Red mug "}))
	fmt.Printf("%q\n", prep.Join(map[string]string{"title": "Red mug"}))
	// Output:
	// "Red mug. Holds 350 ml."
	// "Red mug"
}
