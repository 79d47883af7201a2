package keras_test

import (
	"fmt"
	"log"
	"os"

	"github.com/itemvec/itemvec/onnx/convert/keras"
)

// Converting nsfwjs's MobileNetV2, as `itemvec models prepare` does.
func ExampleConvertDir() {
	model, report, err := keras.ConvertDir(".deps/nsfwjs/mobilenet_v2")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(".deps/models/mobilenetv2_nsfwjs_gap.onnx", model, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d Keras layers, %d parameters; %q = layer %s (%d floats)\n",
		report.Layers, report.Params, keras.OutputName, report.OutputLayer, report.Features)
}
