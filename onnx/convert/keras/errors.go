package keras

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/itemvec/itemvec"
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
	CodeMalformed = "malformed"
	// CodeUnsupported: the model uses a layer, a config value or a weight
	// encoding the converter does not map exactly. Kind itemvec.KindConfig.
	CodeUnsupported = "unsupported"
)

// errOp is the Op of every conversion error: ConvertDir goes through
// ConvertNSFWJS.
const errOp = "keras.ConvertNSFWJS"

// stepError is the cause inside a conversion error. It renders
// "keras: step: layer "name": <what>: detail" and unwraps to the detail.
type stepError struct {
	step  string // the step that failed, e.g. "parse model.min.js"
	layer string // the Keras layer involved, when there is one
	code  string
	err   error
}

func (e *stepError) Error() string {
	what := "unsupported"
	if e.code == CodeMalformed {
		what = "malformed input"
	}
	if e.layer != "" {
		return fmt.Sprintf("keras: %s: layer %q: %s: %v", e.step, e.layer, what, e.err)
	}
	return fmt.Sprintf("keras: %s: %s: %v", e.step, what, e.err)
}

func (e *stepError) Unwrap() error { return e.err }

// stepErr returns the *itemvec.Error of code for step and layer with cause
// err.
func stepErr(code, step, layer string, err error) error {
	kind := itemvec.KindConfig
	if code == CodeMalformed {
		kind = itemvec.KindBadInput
	}
	return &itemvec.Error{Kind: kind, Op: errOp, Code: code, Err: &stepError{step: step, layer: layer, code: code, err: err}}
}

func malformed(step, layer string, format string, args ...any) error {
	return stepErr(CodeMalformed, step, layer, fmt.Errorf(format, args...))
}

func unsupported(step, layer string, format string, args ...any) error {
	return stepErr(CodeUnsupported, step, layer, fmt.Errorf(format, args...))
}

// isStepError reports whether err is already a classified conversion error.
func isStepError(err error) bool {
	_, ok := errors.AsType[*stepError](err)
	return ok
}

// fileError classifies a failure to read an input file: "keras: " and the
// os error, which stays in the chain.
func fileError(err error) error {
	kind := itemvec.KindConfig
	if errors.Is(err, fs.ErrNotExist) {
		kind = itemvec.KindNotFound
	}
	return itemvec.Errorf(kind, "keras.ConvertDir", "keras: %w", err)
}
