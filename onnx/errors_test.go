package onnx

import (
	"errors"
	"testing"
)

func TestErrorRetryable(t *testing.T) {
	tests := []struct {
		kind ErrorKind
		want bool
	}{
		{KindConfig, false},
		{KindInput, false},
		{KindClosed, true},
		{KindRuntime, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			cause := errors.New("cause")
			err := error(&Error{Op: "op", Kind: tt.kind, Err: cause})
			var r interface{ Retryable() bool }
			if !errors.As(err, &r) || r.Retryable() != tt.want {
				t.Errorf("Retryable() = %v, want %v", r.Retryable(), tt.want)
			}
			if !errors.Is(err, cause) || err.Error() != "op: cause" {
				t.Errorf("error %q does not wrap its cause", err)
			}
		})
	}
}
