package tfjs

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/itemvec/itemvec"
)

// Codes of the errors Decode and WeightSpec.Decode return: every one is an
// *itemvec.Error with one of them. The message says which weight and what
// is wrong; none is retryable.
const (
	// CodeMalformed: the manifest and the bytes disagree (a bad shape, a
	// shard too short or too long, a weight listed twice, a quantisation
	// without its constants). Kind itemvec.KindBadInput.
	CodeMalformed = "malformed"
	// CodeUnsupported: a dtype or quantisation this package does not
	// decode. Kind itemvec.KindConfig.
	CodeUnsupported = "unsupported"
)

// errOp is the Op of every error.
const errOp = "tfjs.Decode"

func malformed(format string, args ...any) error {
	return &itemvec.Error{Kind: itemvec.KindBadInput, Op: errOp, Code: CodeMalformed, Err: fmt.Errorf(format, args...)}
}

func unsupported(format string, args ...any) error {
	return &itemvec.Error{Kind: itemvec.KindConfig, Op: errOp, Code: CodeUnsupported, Err: fmt.Errorf(format, args...)}
}

// ConvertError is the error the converters of TensorFlow.js models
// (onnx/convert/keras, onnx/convert/tfgraph) return for a failed step: an
// *itemvec.Error of code (CodeMalformed: kind bad input; CodeUnsupported:
// kind config) for op, whose message is `<pkg>: <step>: <what> "<name>":
// <malformed input|unsupported>: <detail>` (the quoted part only when name
// is set, what being e.g. "layer" or "node") and which unwraps to detail.
func ConvertError(op, pkg, code, step, what, name string, detail error) error {
	kind := itemvec.KindConfig
	if code == CodeMalformed {
		kind = itemvec.KindBadInput
	}
	return &itemvec.Error{Kind: kind, Op: op, Code: code,
		Err: &stepError{pkg: pkg, step: step, what: what, name: name, code: code, err: detail}}
}

// IsConvertError reports whether err already holds a [ConvertError], which
// a converter passes on as it is rather than classifying it again.
func IsConvertError(err error) bool {
	_, ok := errors.AsType[*stepError](err)
	return ok
}

// FileError is a converter's error for an input file it cannot read:
// "<pkg>: " and the os error, which stays in the chain; kind not found for
// a missing file, config for any other failure.
func FileError(op, pkg string, err error) error {
	kind := itemvec.KindConfig
	if errors.Is(err, fs.ErrNotExist) {
		kind = itemvec.KindNotFound
	}
	return itemvec.Errorf(kind, op, "%s: %w", pkg, err)
}

// stepError is the cause inside a ConvertError.
type stepError struct {
	pkg, step, what, name, code string
	err                         error
}

func (e *stepError) Error() string {
	problem := "unsupported"
	if e.code == CodeMalformed {
		problem = "malformed input"
	}
	if e.name != "" {
		return fmt.Sprintf("%s: %s: %s %q: %s: %v", e.pkg, e.step, e.what, e.name, problem, e.err)
	}
	return fmt.Sprintf("%s: %s: %s: %v", e.pkg, e.step, problem, e.err)
}

func (e *stepError) Unwrap() error { return e.err }
