package workers

import (
	"fmt"
	"strings"

	"github.com/itemvec/itemvec"
)

// Stages of the pipeline, as they appear first in a failure record's kind
// ("<stage>_<code>", docs/contract.md).
const (
	StageValidate = "validate"
	StageFetch    = "fetch"
	StageDecode   = "decode"
	StageEncode   = "encode"
	StageText     = "text"
	StageFuse     = "fuse"
	// StagePublish: Redis refused the item's vector.
	StagePublish = "publish"
	// StageTask: the task was archived without a result for the item
	// (written by the sweep of archived tasks).
	StageTask = "task"
)

// ItemError is the failure of one item of a task: where it failed and why.
// Its cause is an itemvec error (or the task's ctx.Err()); the worker
// branches on the cause's kind, never on the package it came from.
type ItemError struct {
	ItemID string
	// Stage is where it failed: one of the Stage constants.
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

// Retryable reports whether another attempt may succeed: the cause's
// itemvec.IsRetryable. An unclassified cause is not retried (it is a bug;
// see package itemvec).
func (e *ItemError) Retryable() bool { return itemvec.IsRetryable(e.Err) }

// Code is the short machine-readable kind of the failure stored in Redis:
// the stage, then the cause's itemvec code when it has one, e.g.
// "fetch_object_missing" or "decode_corrupt"; "<stage>_internal" for an
// unclassified cause.
func (e *ItemError) Code() string {
	if c := itemvec.CodeOf(e.Err); c != "" {
		return e.Stage + "_" + c
	}
	if itemvec.KindOf(e.Err) == itemvec.KindInternal {
		return e.Stage + "_" + itemvec.KindInternal.String()
	}
	return e.Stage
}

// RetryError says some items of a task failed in a way another attempt may
// fix. Final means this was the last attempt: the items were recorded as
// failed and the task is to be archived. Its message names the first few.
type RetryError struct {
	Items []*ItemError
	Final bool
}

func (e *RetryError) Error() string {
	msg := fmt.Sprintf("%d item(s) failed with retryable errors", len(e.Items))
	if e.Final {
		msg = fmt.Sprintf("gave up on %d item(s) after the last attempt (recorded as failed)", len(e.Items))
	}
	for i, it := range e.Items {
		if i == 3 {
			msg += "; …"
			break
		}
		msg += "; " + it.Error()
	}
	return msg
}

// Retryable is always true: asynq retries the task, and on the last
// attempt archives it with this message.
func (e *RetryError) Retryable() bool { return true }

// StoreError says Redis could not take a task's results (vectors or
// failure records) within one attempt, after the worker's own tries: an
// outage, a restart still loading, a failover. It is retryable and does
// not count as a failed attempt (asynq's IsFailure): Redis being away is
// not the items' fault, and the items must not run out of attempts over it.
type StoreError struct{ Err error }

func (e *StoreError) Error() string {
	return "Redis did not take the results, the task will run again: " + e.Err.Error()
}
func (e *StoreError) Unwrap() error { return e.Err }

// Retryable is always true.
func (e *StoreError) Retryable() bool { return true }
