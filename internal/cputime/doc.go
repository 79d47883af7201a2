// Package cputime reads CPU time: the calling OS thread's (for work that a
// goroutine does while locked to its thread) and the whole process's. The
// benchmarks and the worker's per-stage statistics use it to say where each
// core-millisecond goes, not only how long a stage took on the wall clock.
//
// On platforms without per-thread CPU clocks Thread returns 0 and Supported
// reports false.
package cputime
