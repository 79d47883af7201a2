// Package extract turns a product's media into model input: it decodes
// images (JPEG, PNG, GIF, WebP), makes them upright and opaque, resizes them
// to what a model expects and lays the pixels out as normalised float32
// values; and it joins a product's text fields into one text and tokenizes
// it into the ids a text model reads.
//
// The package must not do network or storage I/O (bytes arrive from
// storage, tensors and tokens leave for onnx), must not import ONNX Runtime
// or anything that runs a model, and must not keep state between calls
// beyond a loaded tokenizer. Its one file read is [OpenTokenizer] loading a
// tokenizer file, once, at start-up. It must not panic on any input: every
// error is an [*itemvec.Error] with a Code a worker can record (CodeCorrupt,
// CodeTooManyPixels, …) and that is never retryable. Bad images are of kind
// bad input; an unusable ImageSpec, TextPrep or tokenizer setting
// (CodeInvalidSpec) or tokenizer file is of kind config.
//
// The pipeline for one image is
//
//	DecodeImage (limits, EXIF orientation, CMYK→RGB, alpha onto white)
//	  → Fit (center-crop | stretch | pad to Width×Height)
//	  → Tensor (NCHW | NHWC, RGB | BGR, (p/Scale − Mean)/Std)
//
// and PrepareImage runs all three: the reference path, which the
// TensorFlow.js parity test checks. Workers use a [Preparer] instead: the
// same steps in one pass into the caller's tensor, JPEGs decoded by
// libjpeg-turbo (cgo) at a reduced DCT scale (most of them into their Y,
// Cb and Cr planes, converted to RGB at the tensor's pixels), buffers
// pooled, no allocation per image; a pure-Go build (CGO_ENABLED=0 or the
// itemvec_purego tag) decodes JPEGs with image/jpeg and then gives
// exactly PrepareImage's tensors. An ImageSpec says what a model wants;
// Limits bounds what one input may cost (by default 32 MiB of bytes and
// 50 megapixels, checked from the header before any pixel is decompressed).
//
// The text side: a [TextPrep] says which fields make an item's text and how
// they are joined ([TextPrep.Join]), and names the tokenizer file.
// [OpenTokenizer] loads that file, a Hugging Face tokenizer.json (package
// extract/tokenizer) or the vocabulary of Universal Sentence Encoder Lite
// (extract/usetok), as a [TextTokenizer], which turns a text into [Tokens]:
// the ids, attention mask and type ids of one text, truncated to the
// model's max length, and, where the tokenizer can tell, the share of ids
// the vocabulary does not know. The caller resolves and verifies the file;
// running the model on the tokens belongs to onnx.
package extract
