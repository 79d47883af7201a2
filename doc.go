// Package itemvec holds the two things every itemvec package shares and no
// pipeline stage owns: the error vocabulary and where make setup put its files.
//
// # Errors
//
// Every fallible function in the module returns either the caller's own
// ctx.Err() or an [*Error]: a [Kind] that says what a caller should do about
// it (fix the input, fix the deployment, retry later), the Op that failed, an
// optional stable Code (the fine-grained reason stored in failure records,
// e.g. "object_missing" or "corrupt"), and the wrapped cause, whose message
// says what went wrong and what to do. Callers branch with [KindOf],
// [CodeOf] and [IsRetryable], never on message text or on another package's
// types.
//
// An error that carries no Kind anywhere in its chain is [KindInternal]: an
// unclassified failure, which is a bug in itemvec to surface, not a reason to
// retry. [IsRetryable] reports false for it; workers record the item as
// failed with kind "<stage>_internal" and log the error at ERROR level.
// Packages at the process edge (storage) classify every error of their
// clients, unknown network-level failures included, so that a transient
// fault never reaches a worker unclassified.
//
// # Setup folder
//
// [DepsDir] finds the folder make setup fills (ONNX Runtime, models, the
// sample catalog); [FindInTree] finds a file of the source tree (testdata)
// from anywhere inside the repository or from bin/itemvec.
//
// This package imports nothing from itemvec; every other package may import
// it.
package itemvec
