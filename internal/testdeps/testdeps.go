package testdeps

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// Environment variables the tests read.
const (
	// RequireEnv, when "1", turns a missing dependency into a test failure
	// instead of a skip. make test sets it.
	RequireEnv = "ITEMVEC_REQUIRE_DEPS"
	// DirEnv names the folder make setup installs into, instead of
	// <root>/.deps.
	DirEnv = "ITEMVEC_DEPS"
)

// Required reports whether a missing dependency fails the test
// (ITEMVEC_REQUIRE_DEPS=1) rather than skipping it.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// Missing ends the test because something it needs is not installed:
// tb.Fatal when [Required], tb.Skip otherwise. The message should say how
// to install it.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if Required() {
		tb.Fatalf("%s (%s=1)", msg, RequireEnv)
	}
	tb.Skip(msg)
}

// Root is the repository root: the nearest directory holding go.mod at or
// above the directory the test runs in.
func Root(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// Dir is the folder make setup installs into: $ITEMVEC_DEPS, else
// <root>/.deps. It need not exist.
func Dir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv(DirEnv); d != "" {
		return d
	}
	return filepath.Join(Root(tb), ".deps")
}

// Require returns the paths, relative to [Dir], made absolute, or ends the
// test as [Missing] does when one does not exist, saying to run make setup.
// Use it for what make setup (make run) installs: ONNX Runtime, the image
// and text models, the photos and the sample catalog.
func Require(tb testing.TB, rel ...string) []string {
	tb.Helper()
	return require(tb, "setup", rel)
}

// RequireTest is [Require] for what only make setup-test installs: the
// tokenizer files and the BERT test stand-in.
func RequireTest(tb testing.TB, rel ...string) []string {
	tb.Helper()
	return require(tb, "setup-test", rel)
}

func require(tb testing.TB, target string, rel []string) []string {
	tb.Helper()
	dir := Dir(tb)
	out := make([]string, len(rel))
	for i, r := range rel {
		p := filepath.Join(dir, filepath.FromSlash(r))
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			Missing(tb, "%s is missing: run make %s", p, target)
		} else if err != nil {
			Missing(tb, "%v: run make %s", err, target)
		}
		out[i] = p
	}
	return out
}
