package storage

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/itemvec/itemvec"
)

func noSuchKey() error {
	return fmt.Errorf("operation error S3: GetObject: %w", &smithy.GenericAPIError{Code: "NoSuchKey", Message: "The specified key does not exist."})
}

func TestError_Message(t *testing.T) {
	tests := []struct {
		err  *itemvec.Error
		want string
	}{
		{newError("storage.S3Reader.Get", "s3://b/k", CodeObjectMissing, noSuchKey()),
			"s3://b/k: object not found (NoSuchKey)"},
		{newError("storage.S3Reader.Get", "s3://b/k", CodeObjectTooLarge, errors.New("40 bytes, the limit is 32")),
			"s3://b/k: object too large: 40 bytes, the limit is 32"},
		{newError("storage.VectorStore.Current", "redis get current", CodeCanceled, context.Canceled),
			"redis get current: canceled: context canceled"},
		{newError("storage.S3Reader.Get", "s3://b/k", CodeAccessDenied, nil),
			"s3://b/k: access denied, check credentials and policy"},
		{newError("storage.DecodeVector", "decode vector", CodeCorruptRecord, errors.New("3 bytes is not a whole number of float32s")),
			"decode vector: stored record does not follow the itemvec contract: 3 bytes is not a whole number of float32s"},
		{configError("storage.NewS3Reader", "s3 config", errors.New("MaxObjectBytes is -1, want >= 0")),
			"s3 config: invalid input: MaxObjectBytes is -1, want >= 0"},
		{newError("storage.S3Reader.Get", "s3://b/k", CodeThrottled, &smithy.GenericAPIError{}),
			"s3://b/k: throttled by the server, retry later: api error : "},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestCodes_Kind(t *testing.T) {
	tests := []struct {
		code      string
		kind      itemvec.Kind
		retryable bool
	}{
		{CodeBadURI, itemvec.KindBadInput, false},
		{CodeObjectMissing, itemvec.KindNotFound, false},
		{CodeBucketMissing, itemvec.KindNotFound, false},
		{CodeAccessDenied, itemvec.KindConfig, false},
		{CodeObjectTooLarge, itemvec.KindBadInput, false},
		{CodeInvalidInput, itemvec.KindBadInput, false},
		{CodeCorruptRecord, itemvec.KindConfig, false},
		{CodeRejected, itemvec.KindBadInput, false},
		{CodeUnavailable, itemvec.KindUnavailable, true},
		{CodeThrottled, itemvec.KindUnavailable, true},
		{CodeTimeout, itemvec.KindTimeout, true},
		{CodeCanceled, itemvec.KindCanceled, true},
		{CodeOutOfMemory, itemvec.KindConfig, false},
		{CodeServerConfig, itemvec.KindConfig, false},
	}
	if len(tests) != len(codes) {
		t.Fatalf("%d codes tested, the package has %d", len(tests), len(codes))
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			err := newError("storage.Test", "s3://b/k", tc.code, errors.New("cause"))
			if err.Kind != tc.kind || err.Code != tc.code || err.Op != "storage.Test" {
				t.Errorf("newError(%s) = kind %s, code %q, op %q; want kind %s", tc.code, err.Kind, err.Code, err.Op, tc.kind)
			}
			if codes[tc.code].what == "" {
				t.Errorf("code %s has no message", tc.code)
			}
			if got := itemvec.IsRetryable(err); got != tc.retryable {
				t.Errorf("IsRetryable(%s) = %v, want %v", tc.code, got, tc.retryable)
			}
			if got := itemvec.IsRetryable(fmt.Errorf("wrapped: %w", err)); got != tc.retryable {
				t.Errorf("IsRetryable(wrapped %s) = %v, want %v", tc.code, got, tc.retryable)
			}
		})
	}
}

func TestConfigError(t *testing.T) {
	err := configError("storage.NewRedisClient", "redis://host:6379", errors.New("bad"))
	if err.Kind != itemvec.KindConfig || err.Code != CodeInvalidInput || err.Op != "storage.NewRedisClient" {
		t.Errorf("configError = kind %s, code %q, op %q; want config, %s", err.Kind, err.Code, err.Op, CodeInvalidInput)
	}
	if itemvec.IsRetryable(err) {
		t.Error("a configuration error is retryable")
	}
}

func TestError_Chain(t *testing.T) {
	missing := newError("storage.S3Reader.Get", "s3://b/k", CodeObjectMissing, noSuchKey())
	wrapped := fmt.Errorf("embedding sku-1: %w", missing)
	if got := itemvec.KindOf(wrapped); got != itemvec.KindNotFound {
		t.Errorf("KindOf(wrapped) = %s, want %s", got, itemvec.KindNotFound)
	}
	if got := itemvec.CodeOf(wrapped); got != CodeObjectMissing {
		t.Errorf("CodeOf(wrapped) = %q, want %q", got, CodeObjectMissing)
	}
	if api, ok := errors.AsType[smithy.APIError](wrapped); !ok || api.ErrorCode() != "NoSuchKey" {
		t.Errorf("the S3 API error is not reachable from %v", wrapped)
	}
	if got, want := missing.DebugString(), "storage.S3Reader.Get: not_found/object_missing: s3://b/k: object not found (NoSuchKey)"; got != want {
		t.Errorf("DebugString() = %q, want %q", got, want)
	}

	canceled := newError("storage.VectorStore.Publish", "itemvec:v1", CodeCanceled, fmt.Errorf("exec: %w", context.Canceled))
	if !errors.Is(canceled, context.Canceled) {
		t.Errorf("errors.Is(%v, context.Canceled) = false", canceled)
	}

	plain := errors.New("plain")
	if got := itemvec.KindOf(plain); got != itemvec.KindInternal {
		t.Errorf("KindOf(plain) = %s, want %s", got, itemvec.KindInternal)
	}
	if got := itemvec.CodeOf(plain); got != "" {
		t.Errorf("CodeOf(plain) = %q, want \"\"", got)
	}
}
