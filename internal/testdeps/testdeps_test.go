package testdeps_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/itemvec/itemvec/internal/testdeps"
)

// recorder is a testing.TB whose Fatal and Skip end only the goroutine
// that calls them, recording how the test would have ended.
type recorder struct {
	testing.TB
	ended string // "fatal: msg", "skip: msg" or ""
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.ended = "fatal: " + fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skip(args ...any) {
	r.ended = "skip: " + fmt.Sprint(args...)
	runtime.Goexit()
}

// call runs f with a recorder and returns how it ended.
func call(t *testing.T, f func(tb testing.TB)) string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.ended
}

func TestRootAndDir(t *testing.T) {
	root := testdeps.Root(t)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("Root %s has no go.mod: %v", root, err)
	}
	t.Setenv(testdeps.DirEnv, "")
	if got, want := testdeps.Dir(t), filepath.Join(root, ".deps"); got != want {
		t.Errorf("Dir without %s = %s, want %s", testdeps.DirEnv, got, want)
	}
	t.Setenv(testdeps.DirEnv, "/somewhere")
	if got := testdeps.Dir(t); got != "/somewhere" {
		t.Errorf("Dir with %s=/somewhere = %s", testdeps.DirEnv, got)
	}
}

func TestRequire(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "ort"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ort", "lib.so"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(testdeps.DirEnv, dir)

	tests := []struct {
		name     string
		required string
		require  func(testing.TB, ...string) []string
		rel      string
		want     string // prefix of how the test ends; "" when it goes on
	}{
		{"present", "1", testdeps.Require, "ort/lib.so", ""},
		{"missing, skipped", "", testdeps.Require, "ort/other.so", "skip: " + filepath.Join(dir, "ort", "other.so") + " is missing: run make setup"},
		{"missing, required", "1", testdeps.Require, "ort/other.so", "fatal: " + filepath.Join(dir, "ort", "other.so") + " is missing: run make setup"},
		{"setup-test", "", testdeps.RequireTest, "tokenizers/x.json", "skip: " + filepath.Join(dir, "tokenizers", "x.json") + " is missing: run make setup-test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(testdeps.RequireEnv, tt.required)
			var got []string
			ended := call(t, func(tb testing.TB) { got = tt.require(tb, tt.rel) })
			if tt.want == "" {
				if ended != "" || len(got) != 1 || got[0] != filepath.Join(dir, filepath.FromSlash(tt.rel)) {
					t.Fatalf("ended %q, returned %q", ended, got)
				}
				return
			}
			if !strings.HasPrefix(ended, tt.want) {
				t.Fatalf("ended %q, want %q…", ended, tt.want)
			}
			if tt.required == "1" && !strings.HasSuffix(ended, "(ITEMVEC_REQUIRE_DEPS=1)") {
				t.Errorf("failure %q does not name ITEMVEC_REQUIRE_DEPS=1", ended)
			}
		})
	}
}
