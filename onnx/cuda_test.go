//go:build cgo

package onnx

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMissingLibrary(t *testing.T) {
	tests := []struct {
		name, msg, want string
	}{
		{
			"provider library",
			"provider_bridge_ort.cc:1988 onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library /work/main/.deps/ort/libonnxruntime_providers_shared.so with error: /work/main/.deps/ort/libonnxruntime_providers_shared.so: cannot open shared object file: No such file or directory",
			"libonnxruntime_providers_shared.so",
		},
		{
			"dependency of the provider",
			"Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file: No such file or directory",
			"libcublasLt.so.13",
		},
		{
			"versioned cudnn",
			"with error: libcudnn.so.9.1.0: cannot open shared object file",
			"libcudnn.so.9.1.0",
		},
		{"no library named", "CUDA failure 100: no CUDA-capable device is detected", ""},
		{"undefined symbol", "libonnxruntime_providers_cuda.so: undefined symbol: cudnnCreate", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := missingLibrary(tt.msg); got != tt.want {
				t.Errorf("missingLibrary = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCUDALoadError(t *testing.T) {
	tests := []struct {
		name string
		ort  string
		want []string
	}{
		{"provider missing", "Failed to load library /x/libonnxruntime_providers_cuda.so with error: /x/libonnxruntime_providers_cuda.so: cannot open shared object file",
			[]string{"cannot load libonnxruntime_providers_cuda.so", "run make setup-gpu"}},
		{"cuda library missing", "Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file",
			[]string{"cannot load libcublasLt.so.13", "LD_LIBRARY_PATH", "libcublasLt.so.13: cannot open"}},
		{"no gpu", "CUDA failure 100: no CUDA-capable device is detected",
			[]string{"failed to start", "no CUDA-capable device"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cause := errors.New(tt.ort)
			err := cudaLoadError(cause)
			if !errors.Is(err, cause) {
				t.Error("cudaLoadError does not wrap ORT's error")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestCheckCUDAProviders(t *testing.T) {
	tests := []struct {
		name        string
		present     []string
		wantMissing []string
	}{
		{"none", nil, []string{"libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"}},
		{"shared only", []string{"libonnxruntime_providers_shared.so"}, []string{"libonnxruntime_providers_cuda.so"}},
		{"both", []string{"libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, name := range tt.present {
				if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := checkCUDAProviders(dir)
			if tt.wantMissing == nil {
				if err != nil {
					t.Fatalf("checkCUDAProviders: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("checkCUDAProviders succeeded with libraries missing")
			}
			for _, want := range append(tt.wantMissing, "run make setup-gpu", dir) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q does not contain %q", err, want)
				}
			}
			for _, name := range tt.present {
				if strings.Contains(err.Error(), name) {
					t.Errorf("%q names %s, which is present", err, name)
				}
			}
		})
	}
}
