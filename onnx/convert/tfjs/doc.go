// Package tfjs reads TensorFlow.js weights manifests: dequantisation
// exactly as tfjs-core does it.
//
// A tfjs model (a Keras layers model or a graph model) lists its weights in
// a weightsManifest: groups of shard files which, concatenated, hold the
// weights back to back in manifest order, each with a name, a shape, a
// dtype and an optional affine quantisation. Decode splits the shard bytes
// into named tensors. float32 weights, stored as float32 or quantised to
// uint8 or uint16 (value = q*scale+min, computed in float64 and rounded
// once to float32, as tfjs-core's decodeWeight does), and int32 weights
// (widened to int64) are supported; any other dtype or quantisation is an
// error with code CodeUnsupported, and bytes that do not match the manifest
// one with code CodeMalformed (both *itemvec.Error). The converters in
// onnx/convert/keras and onnx/convert/tfgraph use it.
//
// It decodes bytes it is given: it reads no files and builds no models.
package tfjs
