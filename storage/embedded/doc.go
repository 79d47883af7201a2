// Package embedded runs in-process stand-ins for the two services itemvec
// talks to: an S3 API (gofakes3 with its in-memory backend, served over HTTP
// on a loopback port, so the real aws-sdk-go-v2 client reads from it) and a
// Redis server (miniredis). itemvec run, itemvec bench and fast tests use
// them; a worker never does, and nothing on the worker's code path imports
// this package (a test in package workers checks that).
//
// They are stand-ins, not the real thing: the tests that matter run the same
// suites against redis-server and versitygw as well.
package embedded
