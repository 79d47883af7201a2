package onnx

import (
	"errors"
	"fmt"

	"github.com/itemvec/itemvec"
)

// Codes are the [itemvec.Error] Codes this package returns, besides the
// caller's own ctx.Err(). Callers compare [itemvec.CodeOf] with them (a
// worker records them, e.g. "encode_runtime") instead of matching message
// text; [itemvec.IsRetryable] says whether to try again.
const (
	// CodeConfig: the setup is wrong and retrying will not help: a missing
	// or corrupt model file, a model whose inputs or outputs this package
	// cannot drive, an invalid text spec, a missing ORT or CUDA library, a
	// batcher configured without what its policy needs. Kind: config.
	CodeConfig = "config"
	// CodeInput: the caller passed a tensor of the wrong size, a batch
	// size below 1 or token ids the model cannot take. The same call fails
	// the same way every time. Kind: bad input.
	CodeInput = "input"
	// CodeClosed: the session, environment or batcher was closed. The work
	// itself was fine; another process (or this one after a restart) can
	// do it, so it is retried. Such errors wrap [ErrClosed]. Kind:
	// unavailable.
	CodeClosed = "closed"
	// CodeRuntime: ORT failed while running a model on a well-formed input
	// (out of GPU memory, a CUDA error), or a batch runner returned the
	// wrong number or size of rows. Such failures are usually transient,
	// so they are retried; a model that fails deterministically is caught
	// by the worker's retry limit. Kind: unavailable.
	CodeRuntime = "runtime"
)

// ErrClosed is wrapped by every [CodeClosed] error, for errors.Is.
var ErrClosed = errors.New("closed")

// codeKind is the Kind of each Code.
func codeKind(code string) itemvec.Kind {
	switch code {
	case CodeConfig:
		return itemvec.KindConfig
	case CodeInput:
		return itemvec.KindBadInput
	case CodeClosed, CodeRuntime:
		return itemvec.KindUnavailable
	}
	return itemvec.KindInternal
}

// newError returns the error of op with code and cause err. Its message is
// "op: " followed by err's message, e.g. "onnx.Session.Run: batch size 0:
// must be between 1 and 65536", and err stays reachable with errors.Is and
// errors.As.
func newError(op, code string, err error) *itemvec.Error {
	return &itemvec.Error{Kind: codeKind(code), Op: op, Code: code, Err: fmt.Errorf("%s: %w", op, err)}
}

// errorf returns the error of op with code whose cause is
// fmt.Errorf(format, args...).
func errorf(op, code, format string, args ...any) *itemvec.Error {
	return newError(op, code, fmt.Errorf(format, args...))
}

// closedError is the [CodeClosed] error of op on what ("the session").
func closedError(op, what string) *itemvec.Error {
	return errorf(op, CodeClosed, "%s is %w", what, ErrClosed)
}
