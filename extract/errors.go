package extract

import "github.com/itemvec/itemvec"

// Codes are the [itemvec.Error] Codes this package returns, the reason an
// input or a spec was refused. Callers compare [itemvec.CodeOf] with them (a
// worker records them, e.g. "image_corrupt") instead of matching message
// text. None of them is worth retrying: the same bytes or the same spec
// fail the same way every time.
const (
	// CodeEmpty: the input has no bytes at all. Kind: bad input.
	CodeEmpty = "empty"
	// CodeTooLarge: the input has more bytes than Limits.MaxBytes. Kind:
	// bad input.
	CodeTooLarge = "too_large"
	// CodeUnsupportedFormat: the bytes are not JPEG, PNG, GIF or WebP.
	// Kind: bad input.
	CodeUnsupportedFormat = "unsupported_format"
	// CodeCorrupt: the bytes start like a supported format but are
	// truncated or malformed. Kind: bad input.
	CodeCorrupt = "corrupt"
	// CodeTooManyPixels: the header declares more than Limits.MaxPixels
	// pixels; nothing was decompressed. Kind: bad input.
	CodeTooManyPixels = "too_many_pixels"
	// CodeZeroSize: the header declares a width or height of zero. Kind:
	// bad input.
	CodeZeroSize = "zero_size"
	// CodeInvalidSpec: the ImageSpec, the TextPrep or the tokenizer
	// settings are unusable (unknown resize mode, zero Std, no fields, …).
	// This is a configuration mistake, not bad input. Kind: config.
	CodeInvalidSpec = "invalid_spec"
)

// codeKind is the Kind of each Code.
func codeKind(code string) itemvec.Kind {
	switch code {
	case CodeEmpty, CodeTooLarge, CodeUnsupportedFormat, CodeCorrupt, CodeTooManyPixels, CodeZeroSize:
		return itemvec.KindBadInput
	case CodeInvalidSpec:
		return itemvec.KindConfig
	}
	return itemvec.KindInternal
}

// newError returns the error of op with code: its message is msg, followed
// by ": " and err's message when err is not nil, and err stays reachable
// with errors.Is and errors.As.
func newError(op, code, msg string, err error) *itemvec.Error {
	return &itemvec.Error{Kind: codeKind(code), Op: op, Code: code, Err: &itemvec.Cause{Msg: msg, Err: err}}
}
