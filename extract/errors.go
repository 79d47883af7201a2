package extract

// Reason classifies why an image was refused. Callers branch on it (for
// example to archive a task with a label) instead of matching message text.
type Reason string

// The reasons an image can be refused. All of them describe bad input or a
// bad spec: retrying the same bytes gives the same answer.
const (
	// ReasonEmpty: the input has no bytes at all.
	ReasonEmpty Reason = "empty"
	// ReasonTooLarge: the input has more bytes than Limits.MaxBytes.
	ReasonTooLarge Reason = "too_large"
	// ReasonUnsupportedFormat: the bytes are not JPEG, PNG, GIF or WebP.
	ReasonUnsupportedFormat Reason = "unsupported_format"
	// ReasonCorrupt: the bytes start like a supported format but are
	// truncated or malformed.
	ReasonCorrupt Reason = "corrupt"
	// ReasonTooManyPixels: the header declares more than Limits.MaxPixels
	// pixels; nothing was decompressed.
	ReasonTooManyPixels Reason = "too_many_pixels"
	// ReasonZeroSize: the header declares a width or height of zero.
	ReasonZeroSize Reason = "zero_size"
	// ReasonInvalidSpec: the ImageSpec itself is unusable (unknown resize
	// mode, zero Std, ...). This is a configuration mistake, not bad image
	// bytes, but it is just as permanent.
	ReasonInvalidSpec Reason = "invalid_spec"
)

// Error is the error every function of this package returns. It describes
// bad input, so it is never worth retrying.
type Error struct {
	// Reason is the machine-readable class of the problem.
	Reason Reason
	// Msg says, for a human, what is wrong and what the limit or
	// expectation was, e.g. "image is 20000×20000 = 400.0 MP, over the 50.0 MP limit".
	Msg string
	// Err is the underlying decoder error, if any.
	Err error
}

// Error returns Msg followed by the underlying error, if any.
func (e *Error) Error() string {
	if e.Err == nil {
		return e.Msg
	}
	return e.Msg + ": " + e.Err.Error()
}

// Unwrap returns the underlying decoder error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports false: an image that failed to decode or violated a
// limit fails the same way every time.
func (e *Error) Retryable() bool { return false }
