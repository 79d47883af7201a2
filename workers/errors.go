package workers

import (
	"context"
	"errors"
	"strings"

	"github.com/itemvec/itemvec/extract"
	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/storage"
)

// retryable reports whether err is worth another attempt. Every typed error in
// itemvec says so through a Retryable method; an error that does not is
// treated as retryable, because an unknown failure is more often a transient
// one than a property of the input, and asynq bounds the retries anyway.
func retryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var r interface{ Retryable() bool }
	if errors.As(err, &r) {
		return r.Retryable()
	}
	return true
}

// ItemError is the failure of one item of a task.
type ItemError struct {
	ItemID string
	// Stage is where it failed: "validate", "fetch", "decode", "encode",
	// "fuse" or "publish".
	Stage string
	// URI is the object involved, if any.
	URI string
	Err error
	// unkeyed marks failures that cannot be stored under the item's id
	// (no id, an id Redis keys cannot hold, or a second item with the same
	// id in one task, whose first copy was processed). They are logged.
	unkeyed bool
}

func (e *ItemError) Error() string {
	cause := e.Err.Error()
	msg := "item " + e.ItemID + ": " + e.Stage
	if e.URI != "" && !strings.Contains(cause, e.URI) {
		msg += " " + e.URI
	}
	return msg + ": " + cause
}

func (e *ItemError) Unwrap() error { return e.Err }

// Retryable reports whether another attempt may succeed.
func (e *ItemError) Retryable() bool { return retryable(e.Err) }

// Kind is a short machine-readable code such as "fetch_not_found" or
// "decode_corrupt", stored with the failure record in Redis.
func (e *ItemError) Kind() string {
	if k := causeKind(e.Err); k != "" {
		return e.Stage + "_" + k
	}
	return e.Stage
}

// causeKind is the short code of the typed error in err's chain, if any.
func causeKind(err error) string {
	if e, ok := errors.AsType[*storage.Error](err); ok {
		return string(e.Kind)
	}
	if e, ok := errors.AsType[*extract.Error](err); ok {
		return string(e.Reason)
	}
	if e, ok := errors.AsType[*fusion.Error](err); ok {
		return strings.ReplaceAll(string(e.Kind), " ", "_")
	}
	if e, ok := errors.AsType[*onnx.Error](err); ok {
		return string(e.Kind)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	if errors.Is(err, context.Canceled) {
		return "canceled"
	}
	return ""
}
