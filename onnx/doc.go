// Package onnx runs ONNX models with ONNX Runtime (ORT): tensors in, tensors
// out.
//
// It owns the ORT environment ([InitEnvironment]), sessions on an execution
// provider ([NewSession], CPU or CUDA), the micro-batcher that groups single
// inputs into model batches ([Batcher]) and the model specs that say which
// model file to load and how its input must be prepared ([ModelSpec]).
//
// It must not decode images, tokenize text or do any I/O besides loading
// model files, specs and the ORT library: callers hand it float32 tensors
// prepared by package extract and get float32 tensors back.
//
// ONNX Runtime is loaded at run time from a shared library
// (libonnxruntime.so.1, see [DefaultLibraryPath]), so no ORT headers or
// libraries are needed to build, but the package needs cgo. Built with
// CGO_ENABLED=0, [InitEnvironment] and [NewSession] return an error saying
// so. The CUDA execution provider needs no build tag either: ORT loads
// libonnxruntime_providers_cuda.so from beside libonnxruntime.so.1 when a
// session asks for [DeviceCUDA], and a missing library is reported when the
// session is created, never later.
//
// Every error this package returns is either the caller's ctx.Err() or an
// [*Error] whose Kind tells configuration mistakes, bad input, a closed
// session and runtime failures apart; [Error.Retryable] says which of them
// a worker should retry.
package onnx
