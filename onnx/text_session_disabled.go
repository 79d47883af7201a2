//go:build !cgo

package onnx

import "context"

// TextSession is one loaded text encoder. This build has no cgo, so none
// can be created.
type TextSession struct{}

// NewTextSession fails with a [CodeConfig] error: this build has no cgo.
func NewTextSession(context.Context, *Environment, string, TextSpec, SessionConfig) (*TextSession, error) {
	return nil, newError("onnx.NewTextSession", CodeConfig, errNoCgo)
}

// Run fails with a [CodeConfig] error: this build has no cgo.
func (s *TextSession) Run(context.Context, [][]int64, [][]int64, [][]int64) ([][]float32, error) {
	return nil, newError("onnx.TextSession.Run", CodeConfig, errNoCgo)
}

// CheckText fails with a [CodeConfig] error: this build has no cgo.
func (s *TextSession) CheckText([]int64, []int64, []int64) error {
	return newError("onnx.TextSession.CheckText", CodeConfig, errNoCgo)
}

// Device returns "": this build has no cgo.
func (s *TextSession) Device() Device { return "" }

// ModelPath returns "": this build has no cgo.
func (s *TextSession) ModelPath() string { return "" }

// InputNames returns nil: this build has no cgo.
func (s *TextSession) InputNames() []string { return nil }

// HasTokenTypeIDs returns false: this build has no cgo.
func (s *TextSession) HasTokenTypeIDs() bool { return false }

// OutputName returns "": this build has no cgo.
func (s *TextSession) OutputName() string { return "" }

// OutputDim returns 0: this build has no cgo.
func (s *TextSession) OutputDim() int { return 0 }

// MaxLength returns 0: this build has no cgo.
func (s *TextSession) MaxLength() int { return 0 }

// Pooling returns "": this build has no cgo.
func (s *TextSession) Pooling() Pooling { return "" }

// Close does nothing: this build has no cgo.
func (s *TextSession) Close() error { return nil }
