package onnx

import (
	"errors"
	"io"
	"log/slog"
	"testing"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func assertKind(t *testing.T, err error, kind ErrorKind) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *onnx.Error", err, err)
	}
	if e.Kind != kind {
		t.Fatalf("error %q has kind %q, want %q", err, e.Kind, kind)
	}
	return e
}
