package storage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/itemvec/itemvec/storage"
)

func TestError_Message(t *testing.T) {
	tests := []struct {
		err  *storage.Error
		want string
	}{
		{&storage.Error{Op: "s3 get", URI: "s3://b/k", Kind: storage.KindNotFound,
			Err: fmt.Errorf("operation error S3: GetObject: %w", &smithy.GenericAPIError{Code: "NoSuchKey", Message: "The specified key does not exist."})},
			"s3://b/k: object not found (NoSuchKey)"},
		{&storage.Error{Op: "s3 get", URI: "s3://b/k", Kind: storage.KindTooLarge, Err: errors.New("40 bytes, the limit is 32")},
			"s3://b/k: object too large: 40 bytes, the limit is 32"},
		{&storage.Error{Op: "redis get current", Kind: storage.KindCanceled, Err: context.Canceled},
			"redis get current: canceled: context canceled"},
		{&storage.Error{Op: "s3 get", URI: "s3://b/k", Kind: storage.KindForbidden},
			"s3://b/k: access denied, check credentials and policy"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestErrorKind_Retryable(t *testing.T) {
	tests := []struct {
		kind storage.ErrorKind
		want bool
	}{
		{storage.KindBadURI, false},
		{storage.KindNotFound, false},
		{storage.KindNoBucket, false},
		{storage.KindForbidden, false},
		{storage.KindTooLarge, false},
		{storage.KindBadInput, false},
		{storage.KindCorrupt, false},
		{storage.KindRejected, false},
		{storage.KindUnavailable, true},
		{storage.KindThrottled, true},
		{storage.KindTimeout, true},
		{storage.KindCanceled, true},
	}
	for _, tc := range tests {
		if got := tc.kind.Retryable(); got != tc.want {
			t.Errorf("%s.Retryable() = %v, want %v", tc.kind, got, tc.want)
		}
	}
}

func TestKindOf(t *testing.T) {
	wrapped := fmt.Errorf("embedding sku-1: %w", &storage.Error{Kind: storage.KindNotFound})
	if got := storage.KindOf(wrapped); got != storage.KindNotFound {
		t.Errorf("KindOf(wrapped) = %q, want %q", got, storage.KindNotFound)
	}
	if got := storage.KindOf(errors.New("plain")); got != "" {
		t.Errorf("KindOf(plain) = %q, want \"\"", got)
	}
}
