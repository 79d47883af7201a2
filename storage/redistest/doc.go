// Package redistest starts a real redis-server for tests: Start gives a
// private, throw-away instance on a free loopback port without persistence;
// StartPersistent gives one with the append-only file on that a test can
// stop, restart (and watch LOADING) or kill. Both are stopped when the test
// ends.
//
// It is test support only; production code must not import it.
package redistest
