//go:build cgo

package onnx

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// ortState is the one ORT runtime of the process. onnxruntime_go keeps a
// single global environment, so this package counts its users: every open
// [Environment] handle and every open [Session] holds one reference, and the
// runtime is destroyed when the last one is released.
var ortState struct {
	mu      sync.Mutex
	refs    int
	libPath string // absolute path the runtime was loaded from
}

// Environment is a handle on the process-wide ONNX Runtime. Create it with
// [InitEnvironment] and release it with Close.
type Environment struct {
	libPath string
	version string

	mu     sync.Mutex
	closed bool
}

// InitEnvironment loads ONNX Runtime from cfg.LibraryPath (or
// [DefaultLibraryPath]) and returns a handle on it.
//
// ORT can be loaded only once per process. A second call with the same
// library path (or with an empty one that resolves to it) returns a new
// handle on the already loaded runtime; a call naming a different library
// while the first is in use fails with a [CodeConfig] error. The runtime is
// unloaded when every handle and every [Session] created from them has been
// closed, so closing an Environment never pulls the library from under an
// open session. This package must be the only user of onnxruntime_go in the
// process.
func InitEnvironment(cfg EnvConfig) (*Environment, error) {
	const op = "onnx.InitEnvironment"
	logger := loggerOrDefault(cfg.Logger)
	path := cfg.LibraryPath
	if path == "" {
		p, err := DefaultLibraryPath()
		if err != nil {
			return nil, err
		}
		path = p
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, newError(op, CodeConfig, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, errorf(op, CodeConfig, "ONNX Runtime library: %w; run make setup or set ITEMVEC_ORT_LIB", err)
	}

	ortState.mu.Lock()
	defer ortState.mu.Unlock()
	if ortState.refs > 0 {
		if ortState.libPath != abs {
			return nil, errorf(op, CodeConfig, "ONNX Runtime is already loaded from %s in this process; cannot also load %s", ortState.libPath, abs)
		}
		ortState.refs++
		return &Environment{libPath: abs, version: ort.GetVersion()}, nil
	}
	if ort.IsInitialized() {
		return nil, errorf(op, CodeConfig, "onnxruntime_go was initialised outside package onnx; let this package own the ORT environment")
	}
	ort.SetSharedLibraryPath(abs)
	if err := ort.InitializeEnvironment(ort.WithLogLevelWarning()); err != nil {
		return nil, errorf(op, CodeConfig, "loading ONNX Runtime from %s: %w", abs, err)
	}
	ortState.refs = 1
	ortState.libPath = abs
	env := &Environment{libPath: abs, version: ort.GetVersion()}
	logger.Info("onnx runtime loaded", "version", env.version, "library", abs)
	return env, nil
}

// LibraryPath is the absolute path ONNX Runtime was loaded from.
func (e *Environment) LibraryPath() string { return e.libPath }

// Version is the ONNX Runtime version, e.g. "1.29.0".
func (e *Environment) Version() string { return e.version }

// Close releases this handle. The runtime itself is unloaded once no handle
// and no session uses it. Close is idempotent.
func (e *Environment) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	if err := releaseORT(); err != nil {
		return newError("onnx.Environment.Close", CodeRuntime, err)
	}
	return nil
}

// acquire takes a runtime reference on behalf of a new session, failing if
// this handle has been closed.
func (e *Environment) acquire(op string) error {
	if e == nil {
		return errorf(op, CodeConfig, "nil *Environment; call InitEnvironment first")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return closedError(op, "the environment")
	}
	ortState.mu.Lock()
	defer ortState.mu.Unlock()
	ortState.refs++
	return nil
}

// releaseORT drops one runtime reference and unloads ORT with the last.
func releaseORT() error {
	ortState.mu.Lock()
	defer ortState.mu.Unlock()
	ortState.refs--
	if ortState.refs > 0 {
		return nil
	}
	ortState.libPath = ""
	if err := ort.DestroyEnvironment(); err != nil {
		return fmt.Errorf("unloading ONNX Runtime: %w", err)
	}
	return nil
}
