package tfgraph

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/itemvec/itemvec"
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
	CodeMalformed = "malformed"
	// CodeUnsupported: the graph uses an op, an attribute value or a dtype
	// the converter does not map exactly. Kind itemvec.KindConfig.
	CodeUnsupported = "unsupported"
)

// errOp is the Op of every conversion error: ConvertDir goes through
// Convert.
const errOp = "tfgraph.Convert"

// stepError is the cause inside a conversion error. It renders
// "tfgraph: step: node "name": <what>: detail" and unwraps to the detail.
type stepError struct {
	step string // the step that failed, e.g. "convert StridedSlice"
	node string // the TensorFlow node involved, when there is one
	code string
	err  error
}

func (e *stepError) Error() string {
	what := "unsupported"
	if e.code == CodeMalformed {
		what = "malformed input"
	}
	if e.node != "" {
		return fmt.Sprintf("tfgraph: %s: node %q: %s: %v", e.step, e.node, what, e.err)
	}
	return fmt.Sprintf("tfgraph: %s: %s: %v", e.step, what, e.err)
}

func (e *stepError) Unwrap() error { return e.err }

// stepErr returns the *itemvec.Error of code for step and node with cause
// err.
func stepErr(code, step, node string, err error) error {
	kind := itemvec.KindConfig
	if code == CodeMalformed {
		kind = itemvec.KindBadInput
	}
	return &itemvec.Error{Kind: kind, Op: errOp, Code: code, Err: &stepError{step: step, node: node, code: code, err: err}}
}

func malformed(step, node string, format string, args ...any) error {
	return stepErr(CodeMalformed, step, node, fmt.Errorf(format, args...))
}

func unsupported(step, node string, format string, args ...any) error {
	return stepErr(CodeUnsupported, step, node, fmt.Errorf(format, args...))
}

// isStepError reports whether err is already a classified conversion error.
func isStepError(err error) bool {
	_, ok := errors.AsType[*stepError](err)
	return ok
}

// fileError classifies a failure to read an input file: "tfgraph: " and the
// os error, which stays in the chain.
func fileError(err error) error {
	kind := itemvec.KindConfig
	if errors.Is(err, fs.ErrNotExist) {
		kind = itemvec.KindNotFound
	}
	return itemvec.Errorf(kind, "tfgraph.ConvertDir", "tfgraph: %w", err)
}
