package usetok

import (
	"fmt"

	"github.com/itemvec/itemvec"
)

// Codes are the [itemvec.Error] Codes this package returns. Callers compare
// [itemvec.CodeOf] with them, not the message text. Neither is worth
// retrying: the same text or the same vocabulary file fails the same way
// every time.
const (
	// CodeInvalidText: the text is not valid UTF-8. Kind: bad input.
	CodeInvalidText = "invalid_text"
	// CodeBadVocab: the vocabulary file is missing, unreadable or not a
	// USE vocab.json (a JSON array of [piece, score] pairs). Kind: config.
	CodeBadVocab = "bad_vocab"
)

// codeKind is the Kind of each Code.
func codeKind(code string) itemvec.Kind {
	switch code {
	case CodeInvalidText:
		return itemvec.KindBadInput
	case CodeBadVocab:
		return itemvec.KindConfig
	}
	return itemvec.KindInternal
}

// errorf returns the error of op with code whose message is "usetok: " and
// the formatted text, followed by ": " and err's message when err is not
// nil; err stays reachable with errors.Is and errors.As.
func errorf(op, code string, err error, format string, args ...any) *itemvec.Error {
	return &itemvec.Error{Kind: codeKind(code), Op: op, Code: code, Err: &cause{msg: fmt.Sprintf(format, args...), err: err}}
}

// cause is the Err of this package's errors: what is wrong, for a person,
// and the underlying error, if any.
type cause struct {
	msg string
	err error
}

// Error returns "usetok: msg" followed by the underlying error, if any.
func (c *cause) Error() string {
	if c.err == nil {
		return "usetok: " + c.msg
	}
	return "usetok: " + c.msg + ": " + c.err.Error()
}

// Unwrap returns the underlying error, if any.
func (c *cause) Unwrap() error { return c.err }
