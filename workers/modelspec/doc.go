// Package modelspec reads model specs: JSON files that name a model file
// (checked by sha256) and say how to feed it. An image model's spec carries
// an extract.ImageSpec (size, resize, layout, normalisation); a text model's
// carries a [Text] section, whose fields belong half to extract (tokenizer,
// item fields, prefix) and half to onnx (max length, pooling, input and
// output names). The built-in specs are embedded from specs/.
//
// It lives in workers because it is where extract and onnx meet: each of
// them reads only its own half, neither imports the other, and the worker
// opens models from a Spec. It runs no model and loads no library; it reads
// spec files and hashes model and tokenizer files. Every error is an
// itemvec.KindConfig error: a wrong spec or a stale file is a deployment
// mistake, and the message says how to fix it.
package modelspec
