// Package demo is the embedded job of itemvec run and itemvec bench: the
// sample catalog (package catalog) uploaded to an S3 API, enqueued as
// itemvec:embed tasks, served by a workers.Worker until the queue drains,
// and read back from Redis into a [Report] a person reads (items done and
// failed with reasons, throughput, the most similar products). [StartEnv]
// runs it on in-process stand-ins (storage/embedded); the end-to-end tests
// run the same [RunJob] on redis-server and versitygw.
//
// It is demo and benchmark code: a worker serving tasks never imports it.
package demo
