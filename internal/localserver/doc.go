// Package localserver runs a throw-away server process (redis-server,
// versitygw) on a free loopback port: it picks the port, starts the
// process, polls it until it answers, retries on another port when the
// process exits first, and stops it with SIGTERM (SIGKILL 5s later).
//
// The tests use it through internal/testdeps; itemvec bench uses it to run
// its job against a real redis-server instead of the in-process miniredis.
// It imports nothing from itemvec.
package localserver
