package tokenizer

// Reason classifies why a tokenizer could not be loaded or a text could not
// be encoded. Callers branch on it instead of matching message text.
type Reason string

// The reasons. All of them describe bad input or a bad tokenizer file:
// trying again with the same bytes gives the same answer.
const (
	// ReasonInvalidUTF8: the text to encode is not valid UTF-8.
	ReasonInvalidUTF8 Reason = "invalid_utf8"
	// ReasonRead: the tokenizer file could not be read.
	ReasonRead Reason = "read"
	// ReasonInvalidConfig: tokenizer.json is malformed, or an Option
	// contradicts it (for example a max length below the number of special
	// tokens the post-processor adds).
	ReasonInvalidConfig Reason = "invalid_config"
	// ReasonUnsupported: tokenizer.json names a component type this package
	// does not implement.
	ReasonUnsupported Reason = "unsupported"
	// ReasonModel: the model refused a piece of text, as Hugging Face's
	// does (for example a WordPiece vocabulary without its unk_token).
	ReasonModel Reason = "model"
	// ReasonTruncation: the text cannot be truncated as configured (for
	// example OnlySecond without a second sequence).
	ReasonTruncation Reason = "truncation"
)

// Error is the error every function of this package returns.
type Error struct {
	// Reason is the machine-readable class of the problem.
	Reason Reason
	// Msg says, for a human, what is wrong.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

// Error returns Msg followed by the underlying error, if any.
func (e *Error) Error() string {
	if e.Err == nil {
		return "tokenizer: " + e.Msg
	}
	return "tokenizer: " + e.Msg + ": " + e.Err.Error()
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports false: tokenizing is a pure function of the tokenizer
// file and the text, so a failure repeats every time.
func (e *Error) Retryable() bool { return false }
