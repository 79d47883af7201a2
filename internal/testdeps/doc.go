// Package testdeps finds and starts what make setup and make setup-test
// install for tests: the repository root, the .deps folder and files
// under it, and throw-away server processes (redis-server, versitygw) on
// free loopback ports. A test that needs something missing is skipped with
// the make target that installs it, or fails when ITEMVEC_REQUIRE_DEPS=1
// (make test sets it), so that a full run never passes by skipping.
//
// It imports nothing from itemvec but internal/localserver (which imports
// nothing from itemvec), so any package's tests can use it,
// internal tests included. It is test support only; production code must
// not import it.
package testdeps
