// Package redistest starts a real redis-server for tests: a private,
// throw-away instance on a free loopback port, without persistence, stopped
// when the test ends.
//
// It is test support only; production code must not import it.
package redistest
