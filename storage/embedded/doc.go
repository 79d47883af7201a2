// Package embedded runs the two services itemvec talks to for itemvec run,
// itemvec bench and fast tests: an S3 API (gofakes3 with its in-memory
// backend, served over HTTP on a loopback port, so the real aws-sdk-go-v2
// client reads from it) and a Redis server, in-process (miniredis) or, for
// itemvec bench, a throw-away redis-server process on a free loopback port
// (StartRedisServer), so that the worker's Redis work costs what it does in
// production. A worker never uses them, and nothing on the worker's code
// path imports this package (a test in package workers checks that).
//
// The in-process ones are stand-ins, not the real thing: the tests that
// matter run the same suites against redis-server and versitygw as well.
package embedded
