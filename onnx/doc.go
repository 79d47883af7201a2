// Package onnx runs ONNX models with ONNX Runtime (ORT): tensors in, tensors
// out.
//
// It owns the ORT environment ([InitEnvironment]), sessions on an execution
// provider (CPU or CUDA): [NewSession] for image models (one float32 input,
// one [batch, dim] output) and [NewTextSession] for transformer text
// encoders (int64 input_ids / attention_mask / token_type_ids, padded to the
// longest text of a batch, pooled by mean, CLS or the model's pooled
// output); the micro-batchers that group single inputs into model batches
// ([Batcher], and [TextBatcher], which batches texts of similar length
// together); and the model specs that say which model file to load and how
// its input must be prepared ([ModelSpec] with an image section or a
// [TextSpec]).
//
// It must not decode images, tokenize text or do any I/O besides loading
// model files, specs and the ORT library: callers hand it tensors prepared
// by package extract (images) or a tokenizer (token ids) and get float32
// vectors back.
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
