// Package standin builds TEST STAND-IN ONNX models: small networks with the
// architecture of a real model and RANDOMLY INITIALISED weights.
//
// THE VECTORS THESE MODELS PRODUCE ARE MEANINGLESS. They exist so that the
// text path (tokenizer → [onnx.TextSession] → pooling) can be tested end to
// end against ONNX Runtime, and against an independent implementation
// (testdata/textenc), without downloading real weights. Never ship one, never
// compare vectors from one with vectors from a real model.
//
// [BERT] writes a BERT-architecture encoder (word, position and token-type
// embeddings, LayerNorm, multi-head self-attention masked by
// attention_mask, GELU feed-forward layers, optional tanh pooler) with the
// input and output names of a Hugging Face export. Its weights come from a
// seeded PRNG (splitmix64), so the bytes are a deterministic function of
// [Config]: a model spec can pin their sha256, and two machines build the
// same file. The graph uses opset 13 operators only (LayerNormalization and
// GELU are spelled out in primitives), so any ONNX Runtime from 1.8 on runs
// it.
//
// This package does no I/O besides [WriteFile] and does not run models.
//
// Errors are *itemvec.Error: code [CodeInvalidConfig] for a [Config] it
// cannot build, kind config for a file [WriteFile] cannot write.
package standin
