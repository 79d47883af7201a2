package onnx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultLibraryPath(t *testing.T) {
	// A fake repository: <root>/.deps/ort/libonnxruntime.so.1, run from
	// <root>/cmd/itemvec.
	root := t.TempDir()
	lib := filepath.Join(root, ".deps", "ort", ORTLibraryName)
	sub := filepath.Join(root, "cmd", "itemvec")
	for _, dir := range []string{filepath.Dir(lib), sub} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(lib, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()

	tests := []struct {
		name    string
		ortLib  string
		deps    string
		dir     string
		want    string
		wantErr bool
	}{
		{name: "ITEMVEC_ORT_LIB wins", ortLib: "/opt/ort/libonnxruntime.so", deps: "/deps", dir: sub, want: "/opt/ort/libonnxruntime.so"},
		{name: "ITEMVEC_DEPS", deps: "/deps", dir: sub, want: filepath.Join("/deps", "ort", ORTLibraryName)},
		{name: "found above the current directory", dir: sub, want: lib},
		{name: "found in the current directory", dir: root, want: lib},
		{name: "nowhere", dir: empty, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("ITEMVEC_ORT_LIB", tt.ortLib)
			t.Setenv("ITEMVEC_DEPS", tt.deps)
			t.Chdir(tt.dir)
			if tt.wantErr && executableInRepository() {
				t.Skip("the test binary is inside a directory with .deps/ort")
			}
			got, err := DefaultLibraryPath()
			if tt.wantErr {
				if e := assertKind(t, err, KindConfig); !strings.Contains(e.Error(), "run make setup") {
					t.Fatalf("error %q does not say to run make setup", e)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("DefaultLibraryPath() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// executableInRepository reports whether DefaultLibraryPath would find a
// library starting from the test binary's directory (go test -c -o inside
// the repository).
func executableInRepository() bool {
	exe, err := os.Executable()
	if err != nil {
		return false
	}
	_, ok := findUp(filepath.Dir(exe), filepath.Join(".deps", "ort", ORTLibraryName))
	return ok
}
