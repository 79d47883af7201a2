package storage

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/aws/smithy-go"
)

// ErrorKind says what went wrong in a way a caller can branch on. Its string
// form is a short stable code, suitable as the kind of a failure record.
type ErrorKind string

// Kinds of errors. The first group is bad input or configuration: retrying
// the same request cannot help. The second group is transient.
const (
	KindBadURI      ErrorKind = "bad_uri"          // not a valid s3://bucket/key URI
	KindNotFound    ErrorKind = "object_missing"   // no object under that key (NoSuchKey, 404)
	KindNoBucket    ErrorKind = "bucket_missing"   // the bucket does not exist (NoSuchBucket)
	KindForbidden   ErrorKind = "access_denied"    // credentials or policy refuse the request (403, NOAUTH)
	KindTooLarge    ErrorKind = "object_too_large" // the object exceeds S3Config.MaxObjectBytes
	KindBadInput    ErrorKind = "invalid_input"    // the caller passed something the contract cannot store
	KindCorrupt     ErrorKind = "corrupt_record"   // stored data does not follow the contract
	KindRejected    ErrorKind = "rejected"         // the server refused the request for another reason (4xx, ERR)
	KindUnavailable ErrorKind = "unavailable"      // connection refused or reset, 5xx, server loading or read-only
	KindThrottled   ErrorKind = "throttled"        // the server asked us to slow down (SlowDown, 429, 503)
	KindTimeout     ErrorKind = "timeout"          // a deadline passed before the server answered
	KindCanceled    ErrorKind = "canceled"         // the caller's context was canceled
)

// Retryable reports whether an error of this kind may go away if the same
// request is made again later.
//
// KindForbidden is not retryable: a 403 or NOAUTH means the credentials or
// the bucket policy are wrong, which is a configuration problem a retry
// loop only hides. The one exception is an expired temporary token, which
// the credential chain refreshes; it is classified as KindUnavailable.
//
// KindCanceled is retryable: the work was interrupted (shutdown, task
// deadline), nothing was wrong with it.
func (k ErrorKind) Retryable() bool {
	switch k {
	case KindUnavailable, KindThrottled, KindTimeout, KindCanceled:
		return true
	}
	return false
}

func (k ErrorKind) describe() string {
	switch k {
	case KindBadURI:
		return "invalid S3 URI"
	case KindNotFound:
		return "object not found"
	case KindNoBucket:
		return "bucket not found"
	case KindForbidden:
		return "access denied, check credentials and policy"
	case KindTooLarge:
		return "object too large"
	case KindBadInput:
		return "invalid input"
	case KindCorrupt:
		return "stored record does not follow the itemvec contract"
	case KindRejected:
		return "request rejected"
	case KindUnavailable:
		return "service unavailable, retry later"
	case KindThrottled:
		return "throttled by the server, retry later"
	case KindTimeout:
		return "timed out"
	case KindCanceled:
		return "canceled"
	}
	return "failed"
}

// Error is the error type of every fallible operation in this package.
type Error struct {
	// Op names the operation: "s3 get", "redis publish", ...
	Op string
	// URI is what the operation was about: an s3:// URI, a Redis key or
	// key prefix, or a redacted Redis URL. It may be empty.
	URI string
	// Kind classifies the failure.
	Kind ErrorKind
	// Err is the underlying cause; it may be nil.
	Err error
}

// Error formats as "<uri>: <what went wrong> (<server code>)" when the
// server answered with an error code, else "<uri>: <what went wrong>: <cause>".
// The operation name stands in for an empty URI.
func (e *Error) Error() string {
	s := e.URI
	if s == "" {
		s = e.Op
	}
	s += ": " + e.Kind.describe()
	if e.Err == nil {
		return s
	}
	if api, ok := errors.AsType[smithy.APIError](e.Err); ok && api.ErrorCode() != "" {
		return s + " (" + api.ErrorCode() + ")"
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the same request may succeed later; see
// ErrorKind.Retryable.
func (e *Error) Retryable() bool { return e.Kind.Retryable() }

// KindOf returns the kind of the first *Error in err's chain, or "" when
// there is none.
func KindOf(err error) ErrorKind {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Kind
	}
	return ""
}

// classifyTransport classifies errors that are not a server's answer:
// context expiry and network failures. ok is false when err is neither.
func classifyTransport(err error) (kind ErrorKind, ok bool) {
	switch {
	case errors.Is(err, context.Canceled):
		return KindCanceled, true
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout, true
	}
	if netErr, ok := errors.AsType[net.Error](err); ok && netErr.Timeout() {
		return KindTimeout, true
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF):
		return KindUnavailable, true
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return KindUnavailable, true
	}
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return KindUnavailable, true
	}
	return "", false
}
