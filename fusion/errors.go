package fusion

import (
	"errors"
	"strings"
)

// Kind classifies an *Error so that callers branch on what went wrong, not on
// message text. A Kind is itself an error, so errors.Is(err, KindInput) works
// on any error that wraps an *Error of that kind.
type Kind string

// The kinds of error this package returns. None is worth retrying: the same
// spec and inputs fail the same way every time.
const (
	// KindSpec: the fusion spec is malformed or inconsistent, or could not be
	// read.
	KindSpec Kind = "invalid spec"
	// KindInput: an input value is out of its domain (NaN, Inf, a negative
	// count or price, a rating outside [0, rating_max], an unknown device
	// under the "reject" policy).
	KindInput Kind = "invalid input"
	// KindDim: an embedding's length differs from the dim the spec gives its
	// block.
	KindDim Kind = "dimension mismatch"
	// KindMissing: no modality is present, or one the spec requires is not.
	KindMissing Kind = "missing modality"
)

// Error implements error.
func (k Kind) Error() string { return string(k) }

// Error is the error type of package fusion. Every error a fusion function
// returns is an *Error.
type Error struct {
	// Kind says what class of failure this is.
	Kind Kind
	// Op is the function that failed, e.g. "Fuse".
	Op string
	// Field names the offending value, e.g. "image",
	// "behavior.devices.pc.views" or "blocks.text.dim"; empty when the error
	// concerns no single value.
	Field string
	// Err is the underlying reason.
	Err error
}

// Error renders "fusion: Op: Field: Kind: reason".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("fusion: ")
	b.WriteString(e.Op)
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(string(e.Kind))
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying reason.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's Kind, so errors.Is(err, KindDim) matches.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// Retryable reports false: fusion is deterministic pure math, so a failure
// repeats on retry. Workers should archive the task with the error as reason.
func (e *Error) Retryable() bool { return false }

func newError(kind Kind, op, field, reason string) *Error {
	return &Error{Kind: kind, Op: op, Field: field, Err: errors.New(reason)}
}
