package onnx

import (
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/itemvec/itemvec"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// codeKinds is the Kind each Code must have.
var codeKinds = map[string]itemvec.Kind{
	CodeConfig:  itemvec.KindConfig,
	CodeInput:   itemvec.KindBadInput,
	CodeClosed:  itemvec.KindUnavailable,
	CodeRuntime: itemvec.KindUnavailable,
}

// assertCode fails the test unless err is an [*itemvec.Error] with code
// and the Kind that code must have, and returns it.
func assertCode(t *testing.T, err error, code string) *itemvec.Error {
	t.Helper()
	e, ok := errors.AsType[*itemvec.Error](err)
	if !ok {
		t.Fatalf("error %v (%T) is not an *itemvec.Error", err, err)
	}
	if got := itemvec.CodeOf(err); got != code {
		t.Fatalf("error %q has code %q, want %q", err, got, code)
	}
	if got, want := itemvec.KindOf(err), codeKinds[code]; got != want {
		t.Fatalf("error %q has kind %v, want %v", err, got, want)
	}
	return e
}
