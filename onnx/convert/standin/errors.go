package standin

import "fmt"

// Error is a [Config] this package cannot build a model from.
type Error struct {
	// Field names the Config field at fault, e.g. "Heads".
	Field string
	// Err says what is wrong with it.
	Err error
}

// Error returns "standin: Config.Field: Err".
func (e *Error) Error() string { return "standin: Config." + e.Field + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Retryable is always false: the same Config fails the same way.
func (e *Error) Retryable() bool { return false }

func configError(field, format string, args ...any) *Error {
	return &Error{Field: field, Err: fmt.Errorf(format, args...)}
}
