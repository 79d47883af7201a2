package onnx

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
)

// EnvConfig configures [InitEnvironment].
type EnvConfig struct {
	// LibraryPath is the ONNX Runtime shared library to load. Empty means
	// [DefaultLibraryPath].
	LibraryPath string
	// Logger receives start-up information. Nil means slog.Default().
	Logger *slog.Logger
}

// SessionConfig configures [NewSession].
type SessionConfig struct {
	// Device is the execution provider to use. Empty means [DeviceCPU].
	Device Device
	// IntraOpThreads is the number of threads ORT uses inside one operator.
	// 0 means ORT's default (one per physical core).
	IntraOpThreads int
	// Spin lets ORT's idle intra-op threads spin-wait for work instead of
	// sleeping: lower latency when the session has the cores to itself,
	// much lower throughput when other sessions or goroutines share them.
	// Off by default.
	Spin bool
	// CUDADeviceID is the GPU to use with [DeviceCUDA] or [DeviceAuto].
	CUDADeviceID int
	// Logger receives the device choice and the reason for any fallback to
	// CPU. Nil means slog.Default().
	Logger *slog.Logger
}

// ORTLibraryName is the file name of the ONNX Runtime library that make
// setup puts in .deps/ort/.
const ORTLibraryName = "libonnxruntime.so.1"

// DefaultLibraryPath says where ONNX Runtime is loaded from when
// EnvConfig.LibraryPath is empty. The first of these wins:
//
//  1. $ITEMVEC_ORT_LIB, as given (it need not exist yet);
//  2. $ITEMVEC_DEPS/ort/libonnxruntime.so.1, when ITEMVEC_DEPS is set;
//  3. .deps/ort/libonnxruntime.so.1 in the current directory or the nearest
//     parent that has it, then the same starting from the directory of the
//     running executable. This finds the library from anywhere inside the
//     repository and from bin/itemvec.
//
// It fails with a [KindConfig] error telling the user to run make setup
// when none of them applies.
func DefaultLibraryPath() (string, error) {
	if p := os.Getenv("ITEMVEC_ORT_LIB"); p != "" {
		return p, nil
	}
	if d := os.Getenv("ITEMVEC_DEPS"); d != "" {
		return filepath.Join(d, "ort", ORTLibraryName), nil
	}
	rel := filepath.Join(".deps", "ort", ORTLibraryName)
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range starts {
		if p, ok := findUp(dir, rel); ok {
			return p, nil
		}
	}
	return "", &Error{Op: "onnx.DefaultLibraryPath", Kind: KindConfig, Err: errors.New(
		"ONNX Runtime library not found: no " + rel + " above the current directory or the executable, " +
			"and neither ITEMVEC_ORT_LIB nor ITEMVEC_DEPS is set; run make setup")}
}

// findUp returns dir/rel, or the same under the nearest parent of dir, if
// that file exists.
func findUp(dir, rel string) (string, bool) {
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func loggerOrDefault(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
