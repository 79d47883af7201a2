package keras

import (
	"errors"
	"fmt"
)

// Kinds of conversion failure. Every conversion error wraps exactly one of
// them, so callers branch with errors.Is; ConvertDir's file errors wrap the
// os error instead (errors.Is(err, fs.ErrNotExist) works).
var (
	// ErrMalformed: the input files are not what they claim to be (bad
	// JavaScript literal, bad base64, weights that do not match the manifest).
	ErrMalformed = errors.New("malformed input")
	// ErrUnsupported: the model uses a layer, a config value or a weight
	// encoding the converter does not map exactly.
	ErrUnsupported = errors.New("unsupported")
)

// Error describes a failed conversion step.
type Error struct {
	Op    string // the step that failed, e.g. "parse model.min.js"
	Layer string // the Keras layer involved, when there is one
	Kind  error  // ErrMalformed or ErrUnsupported
	Err   error  // the detail
}

func (e *Error) Error() string {
	if e.Layer != "" {
		return fmt.Sprintf("keras: %s: layer %q: %v: %v", e.Op, e.Layer, e.Kind, e.Err)
	}
	return fmt.Sprintf("keras: %s: %v: %v", e.Op, e.Kind, e.Err)
}

// Unwrap returns both the kind and the detail, so errors.Is matches either.
func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

func malformed(op, layer string, format string, args ...any) error {
	return &Error{Op: op, Layer: layer, Kind: ErrMalformed, Err: fmt.Errorf(format, args...)}
}

func unsupported(op, layer string, format string, args ...any) error {
	return &Error{Op: op, Layer: layer, Kind: ErrUnsupported, Err: fmt.Errorf(format, args...)}
}
