package tfgraph_test

import (
	"fmt"
	"os"

	"github.com/itemvec/itemvec/onnx/convert/tfgraph"
)

// Converting Universal Sentence Encoder Lite, as make setup unpacks it, to
// an ONNX model with input_ids and attention_mask inputs.
func ExampleConvertDir() {
	model, report, err := tfgraph.ConvertDir(".deps/use", tfgraph.USELite())
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := os.WriteFile(".deps/models/use_lite.onnx", model, 0o644); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(report.Inputs, "->", report.Output, report.OutputShape)
}
