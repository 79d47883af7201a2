// Package faults is itemvec's fault-injection suite and the fault-injecting
// S3 proxy it runs.
//
// The suite (faults_test.go, run by make test and make test-faults) puts a
// real worker, with the real models, between a real redis-server and a real
// S3 server (versitygw) and breaks things while it works:
//
//   - redis-server is restarted mid-run, with enough data (and redis'
//     key-load-delay) that it answers LOADING for seconds;
//   - S3 answers through Proxy, which fails a share of the GETs with 500
//     InternalError, 503 SlowDown, connection resets, stalls and bodies cut
//     short, forwarding the Host header unchanged so that SigV4 signatures
//     still verify;
//   - a worker subprocess is killed with SIGKILL mid-run and another one
//     takes over;
//   - a table of bad inputs is sent with good batch-mates.
//
// Each case asserts the invariant of docs/contract.md: every enqueued item
// ends published or with a failure record that says why (published +
// failed = enqueued, none lost), no published vector is corrupt (its
// length is the space's dimension, its norm is 1), and no item is announced
// twice on the update stream.
//
// Proxy is test support; production code does not import this package.
package faults
