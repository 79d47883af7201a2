package tfgraph

import (
	"errors"
	"fmt"
)

// Kinds of conversion failure. Every *Error wraps exactly one of them, so
// callers branch with errors.Is.
var (
	// ErrMalformed: the input files are not what they claim to be (bad
	// JSON, a node input that names no node, weights that do not match the
	// manifest).
	ErrMalformed = errors.New("malformed input")
	// ErrUnsupported: the graph uses an op, an attribute value or a dtype
	// the converter does not map exactly.
	ErrUnsupported = errors.New("unsupported")
)

// Error describes a failed conversion step.
type Error struct {
	Op   string // the step that failed, e.g. "convert StridedSlice"
	Node string // the TensorFlow node involved, when there is one
	Kind error  // ErrMalformed or ErrUnsupported
	Err  error  // the detail
}

func (e *Error) Error() string {
	if e.Node != "" {
		return fmt.Sprintf("tfgraph: %s: node %q: %v: %v", e.Op, e.Node, e.Kind, e.Err)
	}
	return fmt.Sprintf("tfgraph: %s: %v: %v", e.Op, e.Kind, e.Err)
}

// Unwrap returns both the kind and the detail, so errors.Is matches either.
func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

// Retryable reports false: converting the same files fails the same way
// every time.
func (e *Error) Retryable() bool { return false }

func malformed(op, node string, format string, args ...any) error {
	return &Error{Op: op, Node: node, Kind: ErrMalformed, Err: fmt.Errorf(format, args...)}
}

func unsupported(op, node string, format string, args ...any) error {
	return &Error{Op: op, Node: node, Kind: ErrUnsupported, Err: fmt.Errorf(format, args...)}
}
