// Package s3test starts S3 servers for tests: versitygw, a real S3 gateway
// over a posix directory, and embedded.S3, the in-memory gofakes3
// server. Both come as a *Server with the same methods, so one test suite
// runs against each.
//
// It is test support only; production code must not import it.
package s3test
