package onnx

import (
	"log/slog"
	"os"
	"path/filepath"

	"github.com/itemvec/itemvec"
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
	// CUDNNConvAlgoSearch is the CUDA provider's cudnn_conv_algo_search:
	// "HEURISTIC" (the default here), "EXHAUSTIVE" (ORT's own default: it
	// benchmarks every convolution algorithm again for each new input
	// shape, so every new batch size stalls the GPU) or "DEFAULT".
	CUDNNConvAlgoSearch string
	// BatchSizes are the batch sizes [Session.RunBatch] runs: a batch of n
	// inputs is padded with zero inputs up to the smallest listed size
	// that holds it (the padding rows are computed and dropped), so the
	// model sees a few fixed shapes. Batches larger than every listed size
	// run as they are. Nil means [DefaultCUDABatchSizes] on CUDA and no
	// padding on the CPU, where padding only costs.
	BatchSizes []int
	// Logger receives the device choice and the reason for any fallback to
	// CPU. Nil means slog.Default().
	Logger *slog.Logger
}

// DefaultCUDABatchSizes are the fixed batch shapes of a CUDA session.
var DefaultCUDABatchSizes = []int{1, 2, 4, 8, 16, 32, 64, 128, 256}

// cudnnConvAlgoSearches are the values ORT accepts for
// cudnn_conv_algo_search.
var cudnnConvAlgoSearches = []string{"HEURISTIC", "EXHAUSTIVE", "DEFAULT"}

// ORTLibraryName is the file name of the ONNX Runtime library that make
// setup puts in .deps/ort/.
const ORTLibraryName = "libonnxruntime.so.1"

// ORTLibraryEnv names the ONNX Runtime library to load, when set.
const ORTLibraryEnv = "ITEMVEC_ORT_LIB"

// DefaultLibraryPath says where ONNX Runtime is loaded from when
// EnvConfig.LibraryPath is empty. The first of these wins:
//
//  1. $ITEMVEC_ORT_LIB, as given (it need not exist yet);
//  2. ort/libonnxruntime.so.1 in the folder make setup fills,
//     [itemvec.DepsDir]: $ITEMVEC_DEPS when set, else the nearest .deps
//     above the current directory or the running executable. This finds
//     the library from anywhere inside the repository and from bin/itemvec.
//
// It fails with a [CodeConfig] error telling the user to run make setup
// when ITEMVEC_ORT_LIB is not set and the setup folder has no library.
func DefaultLibraryPath() (string, error) {
	if p := os.Getenv(ORTLibraryEnv); p != "" {
		return p, nil
	}
	p := filepath.Join(itemvec.DepsDir(), "ort", ORTLibraryName)
	if _, err := os.Stat(p); err != nil {
		return "", errorf("onnx.DefaultLibraryPath", CodeConfig,
			"ONNX Runtime library not found: no %s, and %s is not set; run make setup (or set %s to the folder it filled)",
			p, ORTLibraryEnv, itemvec.DepsEnv)
	}
	return p, nil
}

func loggerOrDefault(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
