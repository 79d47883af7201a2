package usetok_test

import (
	"os"
	"path/filepath"
	"testing"
)

// repoRoot is the directory holding go.mod, found by walking up from the
// package directory the test runs in.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// requireDeps returns the path (relative to $ITEMVEC_DEPS or <root>/.deps)
// made absolute, or ends the test when it is missing: t.Fatal under
// ITEMVEC_REQUIRE_DEPS=1 (make test), t.Skip otherwise.
func requireDeps(t *testing.T, rel string) string {
	t.Helper()
	deps := os.Getenv("ITEMVEC_DEPS")
	if deps == "" {
		deps = filepath.Join(repoRoot(t), ".deps")
	}
	p := filepath.Join(deps, rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("ITEMVEC_REQUIRE_DEPS") == "1" {
			t.Fatalf("%s is missing and ITEMVEC_REQUIRE_DEPS=1: run make setup (%v)", p, err)
		}
		t.Skipf("%s is missing: run make setup", p)
	}
	return p
}
