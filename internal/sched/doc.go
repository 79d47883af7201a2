// Package sched sets the Linux CPU scheduling policy of every thread of
// the process: SCHED_BATCH for a worker whose only aim is throughput, or
// back to SCHED_OTHER ("normal").
//
// Under SCHED_BATCH a thread that wakes up does not preempt the one
// running on its core; it waits for the running thread's time slice to end.
// A worker on the CPU runs ONNX Runtime's sessions beside decoders, network
// I/O and Go's runtime on the same cores, and the normal policy hands the
// core to every waking goroutine thread at once: on 2 cores, ~7,500
// context switches a second, 5 % of the CPU in the kernel. SCHED_BATCH cuts
// the switches four-fold and the process's CPU per item by ~4 %
// (README, "Speed"). Nothing needs privileges: any process may move its
// threads between SCHED_OTHER and SCHED_BATCH. Each thread keeps its nice
// value.
//
// Threads inherit the policy of the thread that creates them, so Apply
// covers the threads the process starts later too (Go's, ONNX Runtime's)
// once it has covered every thread that exists.
//
// Elsewhere than Linux, Apply and Count return an error that wraps
// errors.ErrUnsupported.
package sched
