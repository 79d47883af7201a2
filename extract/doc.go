// Package extract turns the bytes of a product's media into model input
// tensors: it decodes images (JPEG, PNG, GIF, WebP), makes them upright and
// opaque, resizes them to what a model expects and lays the pixels out as
// normalised float32 values.
//
// Everything here is a pure function of its arguments. The package must not
// do I/O (bytes arrive from storage, tensors leave for onnx), must not import
// ONNX Runtime or anything that runs a model, and must not keep state
// between calls. It must not panic on any input bytes: bad input comes back
// as an *Error whose Reason a worker can record and whose Retryable is false.
//
// The pipeline for one image is
//
//	DecodeImage (limits, EXIF orientation, CMYK→RGB, alpha onto white)
//	  → Fit (center-crop | stretch | pad to Width×Height)
//	  → Tensor (NCHW | NHWC, RGB | BGR, (p/Scale − Mean)/Std)
//
// and PrepareImage runs all three. An ImageSpec says what a model wants;
// Limits bounds what one input may cost (by default 32 MiB of bytes and
// 50 megapixels, checked from the header before any pixel is decompressed).
package extract
