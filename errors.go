package itemvec

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Kind says what a caller should do about an [Error]. The set is small on
// purpose: a worker needs to know whether to retry, record the item as bad,
// or stop and tell an operator; the detail is in the Code and the message.
type Kind uint8

// The kinds. The zero value is KindInternal.
const (
	// KindInternal: nobody classified the failure. It is a bug in itemvec,
	// not a property of the input or of the deployment; it is not retried.
	KindInternal Kind = iota
	// KindBadInput: the input is wrong (a corrupt image, invalid behaviour
	// numbers, text that is not UTF-8, an object over the size limit). The
	// same input fails the same way: record it and move on.
	KindBadInput
	// KindNotFound: what the input names does not exist (an S3 object or
	// bucket). Not retried; a re-run after the object appears succeeds.
	KindNotFound
	// KindUnavailable: a dependency is down, overloaded, throttling or
	// restarting (connection refused or reset, 5xx, SlowDown, Redis
	// LOADING), or a model run failed in a way that may pass (out of GPU
	// memory). Retry with backoff.
	KindUnavailable
	// KindTimeout: a deadline passed before the work finished. Retry.
	KindTimeout
	// KindCanceled: the work was interrupted (shutdown, a caller that gave
	// up). Nothing was wrong with it; another attempt will do it.
	KindCanceled
	// KindConfig: the deployment is wrong (a missing or corrupt model file,
	// an invalid spec, a fusion spec that does not match the models, wrong
	// credentials, a missing library). Retrying cannot help; an operator
	// must fix it, and the message says how.
	KindConfig
)

var kindNames = [...]string{
	KindInternal:    "internal",
	KindBadInput:    "bad_input",
	KindNotFound:    "not_found",
	KindUnavailable: "unavailable",
	KindTimeout:     "timeout",
	KindCanceled:    "canceled",
	KindConfig:      "config",
}

// String returns the kind's stable name, e.g. "bad_input".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Retryable reports whether work that failed with this kind may succeed
// if tried again later: true for KindUnavailable, KindTimeout and
// KindCanceled.
func (k Kind) Retryable() bool {
	return k == KindUnavailable || k == KindTimeout || k == KindCanceled
}

// Error is the error type of the whole module.
type Error struct {
	// Kind says what to do about the failure.
	Kind Kind
	// Op names the operation that failed, e.g. "storage.S3Reader.Get" or
	// "extract.DecodeImage". It is for logs and debugging
	// ([Error.DebugString]); the message does not repeat it.
	Op string
	// Code is an optional stable, machine-readable reason finer than Kind,
	// e.g. "object_missing", "corrupt" or "dimension_mismatch". Failure
	// records in Redis store it (docs/contract.md); callers may branch on
	// it. Empty when Kind says it all.
	Code string
	// Err is the cause. Its message says, for a person, what went wrong
	// and what to do about it.
	Err error
}

// Error returns the cause's message, or the kind (and code) when there is
// no cause.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	if e.Code != "" {
		return e.Kind.String() + ": " + e.Code
	}
	return e.Kind.String() + " error"
}

// DebugString returns "Op: kind[/code]: message", for logs.
func (e *Error) DebugString() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	if e.Code != "" {
		b.WriteString("/")
		b.WriteString(e.Code)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the same work may succeed later; see
// [Kind.Retryable].
func (e *Error) Retryable() bool { return e.Kind.Retryable() }

// Cause is the Err of an [*Error] whose message says more than its
// underlying error: Msg, what is wrong for a person, after the package's
// Prefix (e.g. "tokenizer: "), then ": " and Err's message when Err is set.
// It unwraps to Err, so errors.Is and errors.As reach the underlying error.
type Cause struct {
	Prefix, Msg string
	Err         error
}

// Error returns Prefix + Msg, then ": " and Err's message when there is one.
func (c *Cause) Error() string {
	if c.Err == nil {
		return c.Prefix + c.Msg
	}
	return c.Prefix + c.Msg + ": " + c.Err.Error()
}

// Unwrap returns the underlying error, if any.
func (c *Cause) Unwrap() error { return c.Err }

// Retryable is what an error implements to say whether the work that failed
// is worth another attempt. [*Error] implements it from its Kind; a type that
// summarises several failures (a task's items) implements it itself.
type Retryable interface {
	Retryable() bool
}

// E returns an [*Error] of kind for op with cause err.
func E(kind Kind, op string, err error) *Error {
	return &Error{Kind: kind, Op: op, Err: err}
}

// Errorf returns an [*Error] of kind for op whose cause is
// fmt.Errorf(format, args...), so %w wraps.
func Errorf(kind Kind, op, format string, args ...any) *Error {
	return &Error{Kind: kind, Op: op, Err: fmt.Errorf(format, args...)}
}

// Wrap returns an [*Error] for op that keeps the kind and code of err's
// chain (see [KindOf], [CodeOf]): for a layer that adds where a failure
// happened without reclassifying it. It returns nil for a nil err.
func Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: KindOf(err), Op: op, Code: CodeOf(err), Err: err}
}

// KindOf returns the Kind of the first [*Error] in err's chain. Without one,
// context.DeadlineExceeded is KindTimeout, context.Canceled is KindCanceled
// and anything else, nil included, is KindInternal.
func KindOf(err error) Kind {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Kind
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.Is(err, context.Canceled):
		return KindCanceled
	}
	return KindInternal
}

// CodeOf returns the Code of the first [*Error] in err's chain that has one,
// or "" when none has. Without an [*Error], context.DeadlineExceeded is
// "timeout" and context.Canceled "canceled".
func CodeOf(err error) string {
	for e := err; e != nil; {
		ie, ok := errors.AsType[*Error](e)
		if !ok {
			break
		}
		if ie.Code != "" {
			return ie.Code
		}
		e = ie.Err
	}
	if _, ok := errors.AsType[*Error](err); !ok {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return "timeout"
		case errors.Is(err, context.Canceled):
			return "canceled"
		}
	}
	return ""
}

// IsRetryable reports whether the work that failed with err may succeed if
// tried again. The first error in the chain that implements [Retryable]
// decides; without one, [KindOf] does. An unclassified error is not
// retryable: see the package documentation.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var r Retryable
	if errors.As(err, &r) {
		return r.Retryable()
	}
	return KindOf(err).Retryable()
}
