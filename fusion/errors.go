package fusion

import (
	"errors"
	"strings"

	"github.com/itemvec/itemvec"
)

// Codes of the errors this package returns. Every error a fusion function
// returns is an *itemvec.Error whose Code is one of these, so callers compare
// itemvec.CodeOf(err). Workers store them in failure records as
// "fuse_<code>", so the strings never change. None of the kinds is
// retryable: fusion is deterministic pure math, and the same spec and inputs
// fail the same way every time.
const (
	// CodeInvalidSpec: the fusion spec is malformed or inconsistent, or
	// could not be read. Kind itemvec.KindConfig.
	CodeInvalidSpec = "invalid_spec"
	// CodeInvalidInput: an input value is out of its domain (NaN, Inf, a
	// negative count or price, a rating outside [0, rating_max], an unknown
	// device under the "reject" policy). Kind itemvec.KindBadInput.
	CodeInvalidInput = "invalid_input"
	// CodeDimensionMismatch: an embedding's length differs from the dim the
	// spec gives its block, so the models and the spec disagree. Kind
	// itemvec.KindConfig.
	CodeDimensionMismatch = "dimension_mismatch"
	// CodeMissingModality: no modality is present, or one the spec requires
	// is not. Kind itemvec.KindBadInput.
	CodeMissingModality = "missing_modality"
)

// codeKind is the itemvec.Kind of each code.
func codeKind(code string) itemvec.Kind {
	switch code {
	case CodeInvalidSpec, CodeDimensionMismatch:
		return itemvec.KindConfig
	case CodeInvalidInput, CodeMissingModality:
		return itemvec.KindBadInput
	}
	return itemvec.KindInternal
}

// FieldOf returns the spec or input field that a fusion error names, e.g.
// "image", "behavior.devices.pc.views" or "blocks.text.dim"; "" when the
// error concerns no single value or is not a fusion error.
func FieldOf(err error) string {
	if e, ok := errors.AsType[*fieldError](err); ok {
		return e.field
	}
	return ""
}

// fieldError is the cause inside every error of this package. It renders
// "fusion: Op: Field: <code in words>: reason" and unwraps to the reason.
type fieldError struct {
	op, field, code string
	err             error
}

func (e *fieldError) Error() string {
	var b strings.Builder
	b.WriteString("fusion: ")
	b.WriteString(e.op)
	if e.field != "" {
		b.WriteString(": ")
		b.WriteString(e.field)
	}
	b.WriteString(": ")
	b.WriteString(strings.ReplaceAll(e.code, "_", " "))
	if e.err != nil {
		b.WriteString(": ")
		b.WriteString(e.err.Error())
	}
	return b.String()
}

func (e *fieldError) Unwrap() error { return e.err }

// newError returns the *itemvec.Error of code for the exported function op,
// naming field (or none, for ""), with cause err.
func newError(code, op, field string, err error) error {
	return &itemvec.Error{
		Kind: codeKind(code),
		Op:   "fusion." + op,
		Code: code,
		Err:  &fieldError{op: op, field: field, code: code, err: err},
	}
}
