// Package onnx runs ONNX models with ONNX Runtime (ORT): tensors in, tensors
// out.
//
// It owns the ORT environment ([InitEnvironment]); sessions on an execution
// provider (CPU or CUDA): [NewSession] for image models (one float32 input,
// one [batch, dim] output) and [NewTextSession] for transformer text
// encoders (int64 input_ids / attention_mask / token_type_ids, padded to the
// longest text of a batch, pooled by mean, CLS or the model's pooled output,
// as a [TextSpec] says); and the micro-batcher, [Batcher], which groups
// concurrent single inputs into model batches for any [BatchRunner]. Its
// [Pick] policy runs inputs in arrival order ([PickArrival], for images; a
// [*Session] is a BatchRunner of image tensors) or the oldest with those
// closest to it in length ([PickNearestLength], for texts, so that little
// of the model's work goes on padding).
//
// It must not decode images, tokenize text, read model specs or do any I/O
// besides loading model files and the ORT library: callers hand it tensors
// prepared by package extract and get float32 vectors back. It imports no
// other pipeline package; a worker adapts extract's token type to
// [TextSession.Run] and [TextSession.CheckText].
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
// [*itemvec.Error] whose Code ([CodeConfig], [CodeInput], [CodeClosed],
// [CodeRuntime]) tells configuration mistakes, bad input, a closed session
// and runtime failures apart; its Kind says whether a worker should retry.
package onnx
