package usetok

import "fmt"

// Reason classifies an [Error], so callers branch on it and not on text.
type Reason string

// The reasons usetok fails.
const (
	// ReasonInvalidText: the text is not valid UTF-8.
	ReasonInvalidText Reason = "invalid_text"
	// ReasonBadVocab: the vocabulary file is missing, unreadable or not a
	// USE vocab.json (a JSON array of [piece, score] pairs).
	ReasonBadVocab Reason = "bad_vocab"
)

// Error is the error every function of this package returns.
type Error struct {
	Reason Reason
	Msg    string // what is wrong, for a human
	Err    error  // the underlying error, if any
}

// Error returns "usetok: Msg" followed by the underlying error, if any.
func (e *Error) Error() string {
	if e.Err == nil {
		return "usetok: " + e.Msg
	}
	return "usetok: " + e.Msg + ": " + e.Err.Error()
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports false: the same text or the same vocabulary file fails
// the same way every time.
func (e *Error) Retryable() bool { return false }

func errorf(reason Reason, err error, format string, args ...any) *Error {
	return &Error{Reason: reason, Msg: fmt.Sprintf(format, args...), Err: err}
}
