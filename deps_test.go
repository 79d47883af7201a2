package itemvec_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/itemvec/itemvec"
)

func TestDepsDirAndFindInTree(t *testing.T) {
	// A fake repository: <root>/.deps/models and <root>/testdata/x.json,
	// searched from <root>/cmd/itemvec.
	root := t.TempDir()
	sub := filepath.Join(root, "cmd", "itemvec")
	for _, dir := range []string{filepath.Join(root, ".deps", "models"), filepath.Join(root, "testdata"), sub} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "testdata", "x.json"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	exeHasDeps := executableUnderDeps(t)

	tests := []struct {
		name string
		deps string // $ITEMVEC_DEPS
		dir  string // working directory
		rel  string
		want string
		fnd  string // FindInTree(rel)
	}{
		{name: "ITEMVEC_DEPS wins", deps: "/opt/itemvec/deps", dir: sub, rel: "testdata/x.json",
			want: "/opt/itemvec/deps", fnd: filepath.Join(root, "testdata", "x.json")},
		{name: "found above the working directory", dir: sub, rel: "testdata/x.json",
			want: filepath.Join(root, ".deps"), fnd: filepath.Join(root, "testdata", "x.json")},
		{name: "found in the working directory", dir: root, rel: "testdata/x.json",
			want: filepath.Join(root, ".deps"), fnd: filepath.Join(root, "testdata", "x.json")},
		{name: "nowhere", dir: empty, rel: "testdata/nope.json", want: ".deps", fnd: "testdata/nope.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(itemvec.DepsEnv, tt.deps)
			t.Chdir(tt.dir)
			if tt.want == ".deps" && exeHasDeps {
				t.Skip("the test binary is inside a directory with .deps")
			}
			if got := itemvec.DepsDir(); got != tt.want {
				t.Errorf("DepsDir() = %q, want %q", got, tt.want)
			}
			if got := itemvec.FindInTree(tt.rel); got != tt.fnd {
				t.Errorf("FindInTree(%q) = %q, want %q", tt.rel, got, tt.fnd)
			}
		})
	}
}

// executableUnderDeps reports whether a folder above the test binary has
// .deps (go test -c -o inside the repository), where the "nowhere" case
// cannot be observed.
func executableUnderDeps(t *testing.T) bool {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		return false
	}
	for dir := filepath.Dir(exe); ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, ".deps")); err == nil {
			return true
		}
		if filepath.Dir(dir) == dir {
			return false
		}
	}
}
