package storage

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/aws/smithy-go"

	"github.com/itemvec/itemvec"
)

// Codes of the errors this package returns: the Code of the *itemvec.Error,
// compared with itemvec.CodeOf. Workers store them in failure records
// ("<stage>_<code>", see docs/contract.md), so their values never change.
//
// Each code has one Kind, except CodeInvalidInput: it is
// itemvec.KindBadInput when the data given to a call is invalid (Publish of
// a bad item, a space name that breaks the key layout, RecordFailures with
// an empty id) and itemvec.KindConfig when NewS3Reader or NewRedisClient
// refuse their configuration.
const (
	// CodeBadURI: not a valid s3://bucket/key URI (KindBadInput).
	CodeBadURI = "bad_uri"
	// CodeObjectMissing: no object under that key, NoSuchKey or 404
	// (KindNotFound).
	CodeObjectMissing = "object_missing"
	// CodeBucketMissing: the bucket does not exist, NoSuchBucket
	// (KindNotFound).
	CodeBucketMissing = "bucket_missing"
	// CodeAccessDenied: credentials or policy refuse the request, 403 or
	// NOAUTH (KindConfig: an operator must fix them).
	CodeAccessDenied = "access_denied"
	// CodeObjectTooLarge: the object exceeds S3Config.MaxObjectBytes
	// (KindBadInput).
	CodeObjectTooLarge = "object_too_large"
	// CodeInvalidInput: the caller passed something the contract cannot
	// store (KindBadInput), or a configuration that cannot work
	// (KindConfig).
	CodeInvalidInput = "invalid_input"
	// CodeCorruptRecord: stored data does not follow the contract
	// (KindConfig: a deployment problem).
	CodeCorruptRecord = "corrupt_record"
	// CodeRejected: the server refused the request for another reason,
	// another 4xx or ERR reply (KindBadInput).
	CodeRejected = "rejected"
	// CodeUnavailable: connection refused or reset, 5xx, a Redis that is
	// loading, busy, read-only, failing over or resharding, or an
	// unclassified client failure (KindUnavailable).
	CodeUnavailable = "unavailable"
	// CodeThrottled: the server asked us to slow down, SlowDown or 429
	// (KindUnavailable).
	CodeThrottled = "throttled"
	// CodeTimeout: a deadline passed before the server answered
	// (KindTimeout).
	CodeTimeout = "timeout"
	// CodeCanceled: the caller's context was canceled (KindCanceled).
	CodeCanceled = "canceled"
	// CodeOutOfMemory: Redis reached maxmemory and refuses writes, OOM
	// (KindConfig: an operator must give it memory or free some).
	CodeOutOfMemory = "out_of_memory"
	// CodeServerConfig: the Redis server is configured in a way the
	// contract cannot work with, e.g. an allkeys-* eviction policy
	// (KindConfig).
	CodeServerConfig = "server_config"
)

// codes gives each code its kind and the words its message uses.
//
// CodeAccessDenied is not retryable: a 403 or NOAUTH means the credentials
// or the bucket policy are wrong, which a retry loop only hides. The one
// exception is an expired temporary token, which the credential chain
// refreshes; classifyS3 gives it CodeUnavailable.
var codes = map[string]struct {
	kind itemvec.Kind
	what string
}{
	CodeBadURI:         {itemvec.KindBadInput, "invalid S3 URI"},
	CodeObjectMissing:  {itemvec.KindNotFound, "object not found"},
	CodeBucketMissing:  {itemvec.KindNotFound, "bucket not found"},
	CodeAccessDenied:   {itemvec.KindConfig, "access denied, check credentials and policy"},
	CodeObjectTooLarge: {itemvec.KindBadInput, "object too large"},
	CodeInvalidInput:   {itemvec.KindBadInput, "invalid input"},
	CodeCorruptRecord:  {itemvec.KindConfig, "stored record does not follow the itemvec contract"},
	CodeRejected:       {itemvec.KindBadInput, "request rejected"},
	CodeUnavailable:    {itemvec.KindUnavailable, "service unavailable, retry later"},
	CodeThrottled:      {itemvec.KindUnavailable, "throttled by the server, retry later"},
	CodeTimeout:        {itemvec.KindTimeout, "timed out"},
	CodeCanceled:       {itemvec.KindCanceled, "canceled"},
	CodeOutOfMemory:    {itemvec.KindConfig, "Redis is out of memory"},
	CodeServerConfig:   {itemvec.KindConfig, "Redis server settings do not suit itemvec"},
}

// newError returns the *itemvec.Error of op for code, of the code's kind.
// subject is what the operation was about (an s3:// URI, a Redis key or
// key prefix, a redacted Redis URL); where there is none, a few words
// naming the operation stand in for it. err is the cause and may be nil.
func newError(op, subject, code string, err error) *itemvec.Error {
	return &itemvec.Error{Kind: codes[code].kind, Op: op, Code: code, Err: &cause{subject: subject, code: code, err: err}}
}

// configError is a CodeInvalidInput error of kind itemvec.KindConfig: a
// configuration a constructor refuses.
func configError(op, subject string, err error) *itemvec.Error {
	e := newError(op, subject, CodeInvalidInput, err)
	e.Kind = itemvec.KindConfig
	return e
}

// cause is the message of a storage error, with the underlying error
// reachable through Unwrap.
type cause struct {
	subject string
	code    string
	err     error
}

// Error formats as "<subject>: <what went wrong> (<server code>)" when the
// server answered with an error code, else "<subject>: <what went wrong>:
// <cause>", or "<subject>: <what went wrong>" without a cause.
func (c *cause) Error() string {
	s := c.subject + ": " + codes[c.code].what
	if c.err == nil {
		return s
	}
	if api, ok := errors.AsType[smithy.APIError](c.err); ok && api.ErrorCode() != "" {
		return s + " (" + api.ErrorCode() + ")"
	}
	return s + ": " + c.err.Error()
}

// Unwrap returns the underlying error.
func (c *cause) Unwrap() error { return c.err }

// classifyTransport classifies errors that are not a server's answer:
// context expiry and network failures. ok is false when err is neither.
func classifyTransport(err error) (code string, ok bool) {
	switch {
	case errors.Is(err, context.Canceled):
		return CodeCanceled, true
	case errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout, true
	}
	if netErr, ok := errors.AsType[net.Error](err); ok && netErr.Timeout() {
		return CodeTimeout, true
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF):
		return CodeUnavailable, true
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return CodeUnavailable, true
	}
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return CodeUnavailable, true
	}
	return "", false
}
