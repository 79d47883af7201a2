package tfjs

import (
	"fmt"

	"github.com/itemvec/itemvec"
)

// Codes of the errors Decode and WeightSpec.Decode return: every one is an
// *itemvec.Error with one of them. The message says which weight and what
// is wrong; none is retryable.
const (
	// CodeMalformed: the manifest and the bytes disagree (a bad shape, a
	// shard too short or too long, a weight listed twice, a quantisation
	// without its constants). Kind itemvec.KindBadInput.
	CodeMalformed = "malformed"
	// CodeUnsupported: a dtype or quantisation this package does not
	// decode. Kind itemvec.KindConfig.
	CodeUnsupported = "unsupported"
)

// errOp is the Op of every error.
const errOp = "tfjs.Decode"

func malformed(format string, args ...any) error {
	return &itemvec.Error{Kind: itemvec.KindBadInput, Op: errOp, Code: CodeMalformed, Err: fmt.Errorf(format, args...)}
}

func unsupported(format string, args ...any) error {
	return &itemvec.Error{Kind: itemvec.KindConfig, Op: errOp, Code: CodeUnsupported, Err: fmt.Errorf(format, args...)}
}
