package tokenizer

import (
	"errors"

	"github.com/itemvec/itemvec"
)

// Codes are the [itemvec.Error] Codes this package returns, the reason a
// tokenizer could not be loaded or a text could not be encoded. Callers
// compare [itemvec.CodeOf] with them instead of matching message text. None
// of them is worth retrying: tokenizing is a pure function of the tokenizer
// file and the text, so a failure repeats every time.
const (
	// CodeInvalidUTF8: the text to encode is not valid UTF-8. Kind: bad
	// input.
	CodeInvalidUTF8 = "invalid_utf8"
	// CodeRead: the tokenizer file could not be read. Kind: config.
	CodeRead = "read"
	// CodeInvalidConfig: tokenizer.json is malformed, or an Option
	// contradicts it (for example a max length below the number of special
	// tokens the post-processor adds). Kind: config.
	CodeInvalidConfig = "invalid_config"
	// CodeUnsupported: tokenizer.json names a component type this package
	// does not implement. Kind: config.
	CodeUnsupported = "unsupported"
	// CodeModel: the model refused a piece of text, as Hugging Face's does
	// (for example a WordPiece vocabulary without its unk_token). Kind: bad
	// input.
	CodeModel = "model"
	// CodeTruncation: the text cannot be truncated as configured (for
	// example OnlySecond without a second sequence). Kind: bad input.
	CodeTruncation = "truncation"
)

// codeKind is the Kind of each Code.
func codeKind(code string) itemvec.Kind {
	switch code {
	case CodeInvalidUTF8, CodeModel, CodeTruncation:
		return itemvec.KindBadInput
	case CodeRead, CodeInvalidConfig, CodeUnsupported:
		return itemvec.KindConfig
	}
	return itemvec.KindInternal
}

// newError returns the error for code whose message is "tokenizer: msg",
// followed by ": " and err's message when err is not nil; err stays
// reachable with errors.Is and errors.As. The exported function that
// returns it sets the Op ([withOp]).
func newError(code, msg string, err error) *itemvec.Error {
	return &itemvec.Error{Kind: codeKind(code), Code: code, Err: &itemvec.Cause{Prefix: prefix, Msg: msg, Err: err}}
}

// ownError returns the first error of this package in err's chain.
func ownError(err error) (*itemvec.Error, *itemvec.Cause, bool) {
	for e := err; e != nil; {
		ie, ok := errors.AsType[*itemvec.Error](e)
		if !ok {
			break
		}
		if c, ok := ie.Err.(*itemvec.Cause); ok && c.Prefix == prefix {
			return ie, c, true
		}
		e = ie.Err
	}
	return nil, nil, false
}

// withOp replaces *err, when it is an [*itemvec.Error], by a copy whose Op
// is op. Exported functions defer it, so the Op names what the caller
// called, not the internal step that failed.
func withOp(err *error, op string) {
	if e, ok := (*err).(*itemvec.Error); ok {
		c := *e
		c.Op = op
		*err = &c
	}
}

// prefix starts the message of every error of this package.
const prefix = "tokenizer: "
