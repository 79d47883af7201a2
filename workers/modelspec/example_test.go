package modelspec_test

import (
	"fmt"

	"github.com/itemvec/itemvec/workers/modelspec"
)

func ExampleDefaultImage() {
	spec := modelspec.DefaultImage()
	img := spec.Image.WithDefaults()
	fmt.Println(spec.ID, spec.File)
	fmt.Printf("%s %d×%d %s -> %s[%d]\n", spec.Input, img.Width, img.Height, img.Layout, spec.Output, spec.OutputDim)
	// Output:
	// mobilenetv2-nsfwjs-gap@1 mobilenetv2_nsfwjs_gap.onnx
	// input 224×224 NCHW -> features[1280]
}
