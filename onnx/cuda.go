//go:build cgo

package onnx

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// cudaProviderLibraries are the libraries ORT loads, from the directory of
// libonnxruntime.so.1, when a session asks for the CUDA execution provider.
// make setup-gpu puts them there.
var cudaProviderLibraries = []string{
	"libonnxruntime_providers_shared.so",
	"libonnxruntime_providers_cuda.so",
}

// checkCUDAProviders fails, naming the missing files, unless the CUDA
// provider libraries are in ortDir. It catches the common case (make
// setup-gpu never ran) before ORT prints its own, longer complaint.
func checkCUDAProviders(ortDir string) error {
	var missing []string
	for _, name := range cudaProviderLibraries {
		if _, err := os.Stat(filepath.Join(ortDir, name)); err != nil {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("CUDA execution provider libraries missing from %s: %s; run make setup-gpu",
		ortDir, strings.Join(missing, ", "))
}

// convAlgoSearch returns the cudnn_conv_algo_search value for a
// SessionConfig's CUDNNConvAlgoSearch: HEURISTIC when empty, the value in
// upper case when ORT knows it.
func convAlgoSearch(s string) (string, error) {
	if s == "" {
		return "HEURISTIC", nil
	}
	if v := strings.ToUpper(s); slices.Contains(cudnnConvAlgoSearches, v) {
		return v, nil
	}
	return "", fmt.Errorf("unknown cudnn_conv_algo_search %q (want one of %s)", s, strings.Join(cudnnConvAlgoSearches, ", "))
}

// cudaLoadError rewrites an ORT error from enabling or starting the CUDA
// execution provider so that it names the library that could not be loaded
// and what to do about it, keeping ORT's message for detail.
func cudaLoadError(err error) error {
	lib := missingLibrary(err.Error())
	switch {
	case lib == "":
		return fmt.Errorf("CUDA execution provider failed to start: %w", err)
	case strings.HasPrefix(lib, "libonnxruntime_providers_"):
		return fmt.Errorf("CUDA execution provider: cannot load %s; run make setup-gpu: %w", lib, err)
	default:
		return fmt.Errorf("CUDA execution provider: cannot load %s (a CUDA/cuDNN library the provider needs; install it or put it on LD_LIBRARY_PATH): %w", lib, err)
	}
}

// missingLibraryRE matches the dlopen message glibc gives for a shared
// library it cannot find, as ORT passes it on, e.g.
// "libcublasLt.so.13: cannot open shared object file: No such file or directory".
var missingLibraryRE = regexp.MustCompile(`([^\s:'"]+\.so(?:\.[0-9]+)*): cannot open shared object file`)

// missingLibrary returns the base name of the first shared library that an
// ORT error message says could not be opened, or "" if it names none. When
// a library could be found but one of its own dependencies could not, glibc
// names only the dependency, which is the one to install.
func missingLibrary(msg string) string {
	m := missingLibraryRE.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	return filepath.Base(m[1])
}
