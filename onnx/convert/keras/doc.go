// Package keras converts a pretrained Keras image backbone, as shipped for
// TensorFlow.js, into an ONNX model that the onnx package can run.
//
// The one source it knows today is the MobileNetV2 bundled in the npm package
// nsfwjs: two UMD JavaScript files, model.min.js (the Keras model JSON written
// as a JavaScript object literal, plus the tfjs weights manifest) and
// group1-shard1of1.min.js (the weight shard as a base64 string, uint8
// quantised per tensor). The package reads those files with a small tolerant
// parser for JavaScript literals (no JavaScript engine), dequantises the
// weights exactly as tfjs does (package tfjs: q*scale+min, computed in
// float64 and stored as float32), and builds an ONNX graph of the backbone
// only, up to its global average pooling: input "input" float32 NCHW
// [batch,3,H,W], output "features" float32 [batch,C].
//
// Every Keras layer on the way is mapped one to one (Conv2D and
// DepthwiseConv2D with BatchNormalization folded in, ZeroPadding2D to Pad,
// ReLU with max_value to Clip, Add, AveragePooling2D, Flatten,
// GlobalAveragePooling2D). A layer or a config value the converter does not
// know is an error with code CodeUnsupported; it never approximates. The
// output bytes are a deterministic function of the input files, so a model
// spec can pin their sha256.
//
// This package does no network I/O and does not run models: reading the two
// files (ConvertDir) is its only I/O. Running the result is the onnx
// package's job; testdata/tfjs holds the TensorFlow.js reference that the
// parity test compares against.
//
// Errors are *itemvec.Error: CodeMalformed (kind bad input) for files that
// are not what they claim to be, CodeUnsupported (kind config) for what the
// converter does not map, and ConvertDir's file errors, which wrap the os
// error. Messages read "keras: step: layer "name": <what>: detail".
package keras
