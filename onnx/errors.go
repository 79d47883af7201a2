package onnx

import (
	"errors"
	"fmt"
)

// ErrorKind classifies an [Error] so callers can branch on it instead of on
// message text.
type ErrorKind string

// The kinds of [Error].
const (
	// KindConfig: the setup is wrong and retrying will not help: a missing
	// or corrupt model file, a model whose inputs or outputs this package
	// cannot drive, an invalid model spec, a missing ORT or CUDA library.
	KindConfig ErrorKind = "config"
	// KindInput: the caller passed a tensor of the wrong size or a batch
	// size below 1. The same call fails the same way every time.
	KindInput ErrorKind = "input"
	// KindClosed: the session, environment or batcher was closed. The work
	// itself was fine; another process (or this one after a restart) can do
	// it, so it is retryable.
	KindClosed ErrorKind = "closed"
	// KindRuntime: ORT failed while running a model on a correctly sized
	// input (for example out of GPU memory, or a CUDA error). Such failures
	// are usually transient, so they are retryable; a model that fails
	// deterministically is caught by the worker's retry limit.
	KindRuntime ErrorKind = "runtime"
)

// ErrClosed is wrapped by every [KindClosed] error, for errors.Is.
var ErrClosed = errors.New("closed")

// Error is the error type of this package (besides the caller's own
// ctx.Err(), which is returned unwrapped).
type Error struct {
	// Op names the operation that failed, e.g. "onnx.NewSession" or
	// "onnx.Session.Run".
	Op string
	// Kind says what sort of failure this is.
	Kind ErrorKind
	// Err is the underlying error; its message says what went wrong and,
	// where there is one, what to do about it.
	Err error
}

// Error returns "Op: Err".
func (e *Error) Error() string {
	if e.Err == nil {
		return e.Op + ": " + string(e.Kind) + " error"
	}
	return e.Op + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the same work may succeed if tried again:
// true for [KindRuntime] and [KindClosed], false for [KindConfig] and
// [KindInput].
func (e *Error) Retryable() bool {
	return e.Kind == KindRuntime || e.Kind == KindClosed
}

func errorf(op string, kind ErrorKind, format string, args ...any) *Error {
	return &Error{Op: op, Kind: kind, Err: fmt.Errorf(format, args...)}
}

func closedError(op, what string) *Error {
	return &Error{Op: op, Kind: KindClosed, Err: fmt.Errorf("%s is %w", what, ErrClosed)}
}
