package tfgraph

import (
	"fmt"

	"github.com/itemvec/itemvec/onnx/convert/tfjs"
)

// Codes of conversion failures. Every conversion error is an *itemvec.Error
// with one of them, so callers branch on itemvec.CodeOf(err). None is
// retryable: converting the same files fails the same way every time.
// ConvertDir's file errors carry no code but wrap the os error
// (errors.Is(err, fs.ErrNotExist) works; the kind is itemvec.KindNotFound
// for a missing file and itemvec.KindConfig for any other).
const (
	// CodeMalformed: the input files are not what they claim to be (bad
	// JSON, a node input that names no node, weights that do not match the
	// manifest). Kind itemvec.KindBadInput.
	CodeMalformed = tfjs.CodeMalformed
	// CodeUnsupported: the graph uses an op, an attribute value or a dtype
	// the converter does not map exactly. Kind itemvec.KindConfig.
	CodeUnsupported = tfjs.CodeUnsupported
)

// errOp is the Op of every conversion error: ConvertDir goes through
// Convert.
const errOp = "tfgraph.Convert"

// stepErr returns the conversion error of code for step and node: see
// tfjs.ConvertError.
func stepErr(code, step, node string, err error) error {
	return tfjs.ConvertError(errOp, "tfgraph", code, step, "node", node, err)
}

func malformed(step, node string, format string, args ...any) error {
	return stepErr(CodeMalformed, step, node, fmt.Errorf(format, args...))
}

func unsupported(step, node string, format string, args ...any) error {
	return stepErr(CodeUnsupported, step, node, fmt.Errorf(format, args...))
}

// isStepError reports whether err is already a classified conversion error.
func isStepError(err error) bool { return tfjs.IsConvertError(err) }

// fileError classifies a failure to read an input file: "tfgraph: " and the
// os error, which stays in the chain.
func fileError(err error) error { return tfjs.FileError("tfgraph.ConvertDir", "tfgraph", err) }
