//go:build !cgo

package onnx

import (
	"context"
	"errors"
)

// errNoCgo is what every ORT entry point returns in a build without cgo.
var errNoCgo = errors.New("itemvec was built without cgo (CGO_ENABLED=0); ONNX Runtime needs cgo: rebuild with CGO_ENABLED=1")

// Environment is a handle on the process-wide ONNX Runtime. This build has
// no cgo, so none can be created.
type Environment struct{}

// InitEnvironment fails with a [CodeConfig] error: this build has no cgo.
func InitEnvironment(EnvConfig) (*Environment, error) {
	return nil, newError("onnx.InitEnvironment", CodeConfig, errNoCgo)
}

// LibraryPath returns "": this build has no cgo.
func (e *Environment) LibraryPath() string { return "" }

// Version returns "": this build has no cgo.
func (e *Environment) Version() string { return "" }

// Close does nothing: this build has no cgo.
func (e *Environment) Close() error { return nil }

// Session is one loaded model. This build has no cgo, so none can be
// created.
type Session struct{}

// NewSession fails with a [CodeConfig] error: this build has no cgo.
func NewSession(context.Context, *Environment, string, SessionConfig) (*Session, error) {
	return nil, newError("onnx.NewSession", CodeConfig, errNoCgo)
}

// Run fails with a [CodeConfig] error: this build has no cgo.
func (s *Session) Run(context.Context, []float32, int) ([]float32, error) {
	return nil, newError("onnx.Session.Run", CodeConfig, errNoCgo)
}

// Check fails with a [CodeConfig] error: this build has no cgo.
func (s *Session) Check([]float32) error {
	return newError("onnx.Session.Check", CodeConfig, errNoCgo)
}

// RunBatch fails with a [CodeConfig] error: this build has no cgo.
func (s *Session) RunBatch(context.Context, [][]float32) ([][]float32, error) {
	return nil, newError("onnx.Session.RunBatch", CodeConfig, errNoCgo)
}

// Device returns "": this build has no cgo.
func (s *Session) Device() Device { return "" }

// ModelPath returns "": this build has no cgo.
func (s *Session) ModelPath() string { return "" }

// InputName returns "": this build has no cgo.
func (s *Session) InputName() string { return "" }

// OutputName returns "": this build has no cgo.
func (s *Session) OutputName() string { return "" }

// InputShape returns nil: this build has no cgo.
func (s *Session) InputShape() []int64 { return nil }

// InputSize returns 0: this build has no cgo.
func (s *Session) InputSize() int { return 0 }

// BatchSizes returns nil: this build has no cgo.
func (s *Session) BatchSizes() []int { return nil }

// OutputDim returns 0: this build has no cgo.
func (s *Session) OutputDim() int { return 0 }

// Close does nothing: this build has no cgo.
func (s *Session) Close() error { return nil }
