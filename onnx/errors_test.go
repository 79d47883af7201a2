package onnx

import (
	"errors"
	"testing"

	"github.com/itemvec/itemvec"
)

func TestErrorCodes(t *testing.T) {
	tests := []struct {
		code      string
		kind      itemvec.Kind
		retryable bool
	}{
		{CodeConfig, itemvec.KindConfig, false},
		{CodeInput, itemvec.KindBadInput, false},
		{CodeClosed, itemvec.KindUnavailable, true},
		{CodeRuntime, itemvec.KindUnavailable, true},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			cause := errors.New("cause")
			err := error(newError("op", tt.code, cause))
			if e := assertCode(t, err, tt.code); e.Op != "op" || e.Kind != tt.kind {
				t.Errorf("error %s: want op %q, kind %v", e.DebugString(), "op", tt.kind)
			}
			if got := itemvec.IsRetryable(err); got != tt.retryable {
				t.Errorf("IsRetryable = %v, want %v", got, tt.retryable)
			}
			if !errors.Is(err, cause) || err.Error() != "op: cause" {
				t.Errorf("error %q does not wrap its cause", err)
			}
		})
	}
	t.Run("closed", func(t *testing.T) {
		err := error(closedError("op", "the batcher"))
		if assertCode(t, err, CodeClosed); !errors.Is(err, ErrClosed) || err.Error() != "op: the batcher is closed" {
			t.Errorf("error %q does not wrap ErrClosed", err)
		}
	})
}
