package catalog

import "strings"

// Kind classifies an *Error so that callers branch on what went wrong, not on
// message text. A Kind is itself an error, so errors.Is(err, KindTexts) works
// on any error that wraps an *Error of that kind.
type Kind string

// The kinds of error this package returns.
const (
	// KindTexts: the texts file is unreadable, malformed or inconsistent
	// (an unknown variant, too few listings, a bad price band).
	KindTexts Kind = "invalid texts"
	// KindPhoto: a photo the texts name is missing or does not decode.
	KindPhoto Kind = "bad photo"
	// KindCatalog: a catalog folder given to Load is incomplete or malformed.
	KindCatalog Kind = "invalid catalog"
	// KindWrite: an output file could not be written.
	KindWrite Kind = "write failed"
)

// Error implements error.
func (k Kind) Error() string { return string(k) }

// Error is the error type of package catalog.
type Error struct {
	// Kind says what class of failure this is.
	Kind Kind
	// Op is the function that failed: "Prepare" or "Load".
	Op string
	// Path is the file involved, if any.
	Path string
	// Err is the underlying reason.
	Err error
}

// Error renders "catalog: Op: Path: Kind: reason".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("catalog: ")
	b.WriteString(e.Op)
	if e.Path != "" {
		b.WriteString(": ")
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	b.WriteString(string(e.Kind))
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying reason.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's Kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// Retryable is always false: the catalog is made from local files, and the
// same files fail the same way.
func (e *Error) Retryable() bool { return false }
