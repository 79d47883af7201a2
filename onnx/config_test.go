package onnx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/itemvec/itemvec"
)

func TestDefaultLibraryPath(t *testing.T) {
	// A fake repository: <root>/.deps/ort/libonnxruntime.so.1, run from
	// <root>/cmd/itemvec.
	root := t.TempDir()
	deps := filepath.Join(root, ".deps")
	lib := filepath.Join(deps, "ort", ORTLibraryName)
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
		{name: "ITEMVEC_DEPS", deps: deps, dir: empty, want: lib},
		{name: "ITEMVEC_DEPS without the library", deps: empty, dir: sub, wantErr: true},
		{name: "found above the current directory", dir: sub, want: lib},
		{name: "found in the current directory", dir: root, want: lib},
		{name: "nowhere", dir: empty, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(ORTLibraryEnv, tt.ortLib)
			t.Setenv(itemvec.DepsEnv, tt.deps)
			t.Chdir(tt.dir)
			if tt.wantErr && tt.deps == "" && executableInRepository() {
				t.Skip("the test binary is inside a directory with .deps/ort")
			}
			got, err := DefaultLibraryPath()
			if tt.wantErr {
				if e := assertCode(t, err, CodeConfig); !strings.Contains(e.Error(), "run make setup") {
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

// executableInRepository reports whether the setup folder lookup, run from
// a directory without .deps, still finds a library: from the test binary's
// directory (go test -c -o inside the repository).
func executableInRepository() bool {
	_, err := os.Stat(filepath.Join(itemvec.DepsDir(), "ort", ORTLibraryName))
	return err == nil
}
