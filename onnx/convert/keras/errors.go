package keras

import (
	"fmt"

	"github.com/itemvec/itemvec/onnx/convert/tfjs"
)

// Codes of conversion failures. Every conversion error is an *itemvec.Error
// with one of them, so callers branch on itemvec.CodeOf(err). ConvertDir's
// file errors carry no code but wrap the os error (errors.Is(err,
// fs.ErrNotExist) works; the kind is itemvec.KindNotFound for a missing file
// and itemvec.KindConfig for any other).
const (
	// CodeMalformed: the input files are not what they claim to be (bad
	// JavaScript literal, bad base64, weights that do not match the
	// manifest). Kind itemvec.KindBadInput.
	CodeMalformed = tfjs.CodeMalformed
	// CodeUnsupported: the model uses a layer, a config value or a weight
	// encoding the converter does not map exactly. Kind itemvec.KindConfig.
	CodeUnsupported = tfjs.CodeUnsupported
)

// errOp is the Op of every conversion error: ConvertDir goes through
// ConvertNSFWJS.
const errOp = "keras.ConvertNSFWJS"

// stepErr returns the conversion error of code for step and layer: see
// tfjs.ConvertError.
func stepErr(code, step, layer string, err error) error {
	return tfjs.ConvertError(errOp, "keras", code, step, "layer", layer, err)
}

func malformed(step, layer string, format string, args ...any) error {
	return stepErr(CodeMalformed, step, layer, fmt.Errorf(format, args...))
}

func unsupported(step, layer string, format string, args ...any) error {
	return stepErr(CodeUnsupported, step, layer, fmt.Errorf(format, args...))
}

// isStepError reports whether err is already a classified conversion error.
func isStepError(err error) bool { return tfjs.IsConvertError(err) }

// fileError classifies a failure to read an input file: "keras: " and the
// os error, which stays in the chain.
func fileError(err error) error { return tfjs.FileError("keras.ConvertDir", "keras", err) }
