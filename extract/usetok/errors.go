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
	return &itemvec.Error{Kind: codeKind(code), Op: op, Code: code, Err: &itemvec.Cause{Prefix: prefix, Msg: fmt.Sprintf(format, args...), Err: err}}
}

// prefix starts the message of every error of this package.
const prefix = "usetok: "
