package catalog

import (
	"strings"

	"github.com/itemvec/itemvec"
)

// Codes of the errors this package returns: every one is an *itemvec.Error
// with one of them, so callers compare itemvec.CodeOf(err). None is
// retryable: the catalog is made from local files, and the same files fail
// the same way.
const (
	// CodeTexts: the texts file is unreadable, malformed or inconsistent
	// (an unknown variant, too few listings, a bad price band). Kind bad
	// input.
	CodeTexts = "invalid_texts"
	// CodePhoto: a photo the texts name is missing or does not decode.
	// Kind bad input.
	CodePhoto = "bad_photo"
	// CodeCatalog: a catalog folder given to Load is incomplete or
	// malformed. Kind bad input.
	CodeCatalog = "invalid_catalog"
	// CodeWrite: an output file could not be written (a missing or
	// read-only folder, a full disk). Kind config.
	CodeWrite = "write_failed"
)

// newError returns the error of code for the function op about the file
// path (none for ""), with cause err. Its message is
// "catalog: Op: Path: <code in words>: cause".
func newError(code, op, path string, err error) error {
	kind := itemvec.KindBadInput
	if code == CodeWrite {
		kind = itemvec.KindConfig
	}
	msg := op
	if path != "" {
		msg += ": " + path
	}
	return &itemvec.Error{Kind: kind, Op: "catalog." + op, Code: code,
		Err: &itemvec.Cause{Prefix: "catalog: ", Msg: msg + ": " + words(code), Err: err}}
}

// words is a code as the message says it: "invalid texts", "bad photo",
// "invalid catalog", "write failed".
func words(code string) string { return strings.ReplaceAll(code, "_", " ") }
