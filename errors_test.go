package itemvec_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/itemvec/itemvec"
)

// summary is a non-*Error type that decides retryability itself, as a
// worker's per-task summary of failed items does.
type summary struct{ retry bool }

func (s summary) Error() string   { return "some items failed" }
func (s summary) Retryable() bool { return s.retry }

func TestClassification(t *testing.T) {
	notFound := &itemvec.Error{Kind: itemvec.KindNotFound, Op: "storage.S3Reader.Get", Code: "object_missing",
		Err: errors.New("s3://b/k: object not found")}
	tests := []struct {
		name      string
		err       error
		kind      itemvec.Kind
		code      string
		retryable bool
	}{
		{"nil", nil, itemvec.KindInternal, "", false},
		{"unclassified", io.ErrUnexpectedEOF, itemvec.KindInternal, "", false},
		{"wrapped unclassified", fmt.Errorf("read: %w", io.EOF), itemvec.KindInternal, "", false},
		{"deadline", context.DeadlineExceeded, itemvec.KindTimeout, "timeout", true},
		{"canceled", fmt.Errorf("stop: %w", context.Canceled), itemvec.KindCanceled, "canceled", true},
		{"not found", notFound, itemvec.KindNotFound, "object_missing", false},
		{"wrapped not found", fmt.Errorf("item x: %w", notFound), itemvec.KindNotFound, "object_missing", false},
		{"unavailable", itemvec.Errorf(itemvec.KindUnavailable, "op", "reset"), itemvec.KindUnavailable, "", true},
		{"timeout kind", itemvec.E(itemvec.KindTimeout, "op", nil), itemvec.KindTimeout, "", true},
		{"config", itemvec.E(itemvec.KindConfig, "op", errors.New("no model")), itemvec.KindConfig, "", false},
		{"bad input", itemvec.E(itemvec.KindBadInput, "op", errors.New("corrupt")), itemvec.KindBadInput, "", false},
		{"outer kind wins, inner code kept", itemvec.E(itemvec.KindConfig, "outer", notFound), itemvec.KindConfig, "object_missing", false},
		{"outer code wins", &itemvec.Error{Kind: itemvec.KindBadInput, Code: "outer", Err: notFound}, itemvec.KindBadInput, "outer", false},
		{"error around a context error keeps its kind", itemvec.E(itemvec.KindUnavailable, "op", context.Canceled), itemvec.KindUnavailable, "", true},
		{"Retryable implementer decides", summary{retry: true}, itemvec.KindInternal, "", true},
		{"Retryable implementer says no", fmt.Errorf("task: %w", summary{}), itemvec.KindInternal, "", false},
		{"Wrap keeps kind and code", itemvec.Wrap("workers.fetch", notFound), itemvec.KindNotFound, "object_missing", false},
		{"Wrap of a context error", itemvec.Wrap("op", context.DeadlineExceeded), itemvec.KindTimeout, "timeout", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := itemvec.KindOf(tt.err); got != tt.kind {
				t.Errorf("KindOf = %v, want %v", got, tt.kind)
			}
			if got := itemvec.CodeOf(tt.err); got != tt.code {
				t.Errorf("CodeOf = %q, want %q", got, tt.code)
			}
			if got := itemvec.IsRetryable(tt.err); got != tt.retryable {
				t.Errorf("IsRetryable = %v, want %v", got, tt.retryable)
			}
		})
	}
	if itemvec.Wrap("op", nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
}

func TestKindNamesAndRetryable(t *testing.T) {
	tests := []struct {
		kind      itemvec.Kind
		name      string
		retryable bool
	}{
		{itemvec.KindInternal, "internal", false},
		{itemvec.KindBadInput, "bad_input", false},
		{itemvec.KindNotFound, "not_found", false},
		{itemvec.KindUnavailable, "unavailable", true},
		{itemvec.KindTimeout, "timeout", true},
		{itemvec.KindCanceled, "canceled", true},
		{itemvec.KindConfig, "config", false},
		{itemvec.Kind(99), "kind(99)", false},
	}
	for _, tt := range tests {
		if got := tt.kind.String(); got != tt.name {
			t.Errorf("Kind(%d).String() = %q, want %q", tt.kind, got, tt.name)
		}
		if got := tt.kind.Retryable(); got != tt.retryable {
			t.Errorf("%s.Retryable() = %v, want %v", tt.name, got, tt.retryable)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	cause := errors.New("s3://b/k: object not found (NoSuchKey)")
	tests := []struct {
		err          *itemvec.Error
		msg, debug   string
		unwrapsCause bool
	}{
		{&itemvec.Error{Kind: itemvec.KindNotFound, Op: "storage.S3Reader.Get", Code: "object_missing", Err: cause},
			cause.Error(), "storage.S3Reader.Get: not_found/object_missing: " + cause.Error(), true},
		{itemvec.Errorf(itemvec.KindConfig, "onnx.NewSession", "model %s: %w", "m.onnx", cause),
			"model m.onnx: " + cause.Error(), "onnx.NewSession: config: model m.onnx: " + cause.Error(), true},
		{&itemvec.Error{Kind: itemvec.KindBadInput, Code: "empty"}, "bad_input: empty", "bad_input/empty", false},
		{itemvec.E(itemvec.KindTimeout, "op", nil), "timeout error", "op: timeout", false},
		{&itemvec.Error{Kind: itemvec.KindBadInput, Op: "tokenizer.Load", Code: "read",
			Err: &itemvec.Cause{Prefix: "tokenizer: ", Msg: "cannot read tokenizer file", Err: cause}},
			"tokenizer: cannot read tokenizer file: " + cause.Error(),
			"tokenizer.Load: bad_input/read: tokenizer: cannot read tokenizer file: " + cause.Error(), true},
		{&itemvec.Error{Kind: itemvec.KindBadInput, Err: &itemvec.Cause{Msg: "image is empty (0 bytes)"}},
			"image is empty (0 bytes)", "bad_input: image is empty (0 bytes)", false},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.msg {
			t.Errorf("Error() = %q, want %q", got, tt.msg)
		}
		if got := tt.err.DebugString(); got != tt.debug {
			t.Errorf("DebugString() = %q, want %q", got, tt.debug)
		}
		if got := errors.Is(tt.err, cause); got != tt.unwrapsCause {
			t.Errorf("errors.Is(%q, cause) = %v", tt.err, got)
		}
	}
}
