package tokenizer

import (
	"encoding/json"
	"fmt"
)

// Side is the end of a sequence that truncation cuts or padding fills.
type Side int

// The sides.
const (
	// Right is the end of the text (the default).
	Right Side = iota
	// Left is the start of the text.
	Left
)

func (s Side) String() string {
	if s == Left {
		return "left"
	}
	return "right"
}

// TruncationStrategy says which sequence of a pair gives up tokens.
type TruncationStrategy int

// The strategies, as Hugging Face names them.
const (
	// LongestFirst takes tokens from the longer sequence until both fit
	// (the default).
	LongestFirst TruncationStrategy = iota
	// OnlyFirst takes tokens from the first sequence only.
	OnlyFirst
	// OnlySecond takes tokens from the second sequence only.
	OnlySecond
)

func (s TruncationStrategy) String() string {
	switch s {
	case OnlyFirst:
		return "OnlyFirst"
	case OnlySecond:
		return "OnlySecond"
	}
	return "LongestFirst"
}

// Truncation limits the length of an encoding, special tokens included.
type Truncation struct {
	// MaxLength is the most tokens an encoding has, special tokens
	// included. It must leave room for the post-processor's special tokens.
	MaxLength int
	// Strategy picks the sequence of a pair that loses tokens.
	Strategy TruncationStrategy
	// Stride is how many tokens Hugging Face repeats in its overflowing
	// windows. This package returns no overflow; Stride is checked (it must
	// be below MaxLength less the special tokens, as in HF) and kept so a
	// file's settings survive.
	Stride int
	// Side is the end tokens are cut from.
	Side Side
}

// Padding fills encodings up to a common length with a pad token whose
// attention mask is 0.
type Padding struct {
	// Length pads every encoding to at least this many tokens. 0 pads the
	// encodings of one EncodeBatch call to the longest among them (HF's
	// BatchLongest); a single Encode then is not padded beyond MultipleOf.
	Length int
	// MultipleOf, if above 0, rounds the padded length up to a multiple of it.
	MultipleOf int
	// Side is the end the pad tokens go to.
	Side Side
	// PadID, PadTypeID and PadToken fill the padded positions. As in Hugging
	// Face, they are not looked up: an empty PadToken means "[PAD]" and
	// PadID is used as given (0 unless set).
	PadID     int64
	PadTypeID int64
	PadToken  string
}

func (p Padding) token() string {
	if p.PadToken == "" {
		return "[PAD]"
	}
	return p.PadToken
}

// Option changes how a Tokenizer truncates and pads. Pass options to Load,
// FromJSON or (*Tokenizer).With; they override what tokenizer.json says.
type Option func(*Tokenizer) error

// WithTruncation truncates every encoding as tr says.
func WithTruncation(tr Truncation) Option {
	return func(t *Tokenizer) error {
		t.truncation = &tr
		return nil
	}
}

// WithoutTruncation turns off the truncation tokenizer.json configures.
func WithoutTruncation() Option {
	return func(t *Tokenizer) error {
		t.truncation = nil
		return nil
	}
}

// WithPadding pads every encoding as p says.
func WithPadding(p Padding) Option {
	return func(t *Tokenizer) error {
		t.padding = &p
		return nil
	}
}

// WithoutPadding turns off the padding tokenizer.json configures.
func WithoutPadding() Option {
	return func(t *Tokenizer) error {
		t.padding = nil
		return nil
	}
}

// checkSettings rejects truncation and padding settings that Hugging Face
// rejects or that make no sense.
func (t *Tokenizer) checkSettings() error {
	if tr := t.truncation; tr != nil {
		added := t.addedTokens(false)
		switch {
		case tr.MaxLength < 0 || tr.Stride < 0:
			return newError(CodeInvalidConfig, fmt.Sprintf("truncation max length %d and stride %d must not be negative", tr.MaxLength, tr.Stride), nil)
		case tr.MaxLength < added:
			return newError(CodeInvalidConfig, fmt.Sprintf("truncation max length %d leaves no room for the %d special tokens the post-processor adds", tr.MaxLength, added), nil)
		case tr.Stride > 0 && tr.MaxLength-added <= tr.Stride:
			return newError(CodeInvalidConfig, fmt.Sprintf("truncation stride %d is not below the effective max length %d (%d less %d special tokens)", tr.Stride, tr.MaxLength-added, tr.MaxLength, added), nil)
		case tr.Strategy < LongestFirst || tr.Strategy > OnlySecond || tr.Side < Right || tr.Side > Left:
			return newError(CodeInvalidConfig, "unknown truncation strategy or side", nil)
		}
	}
	if p := t.padding; p != nil {
		if p.Length < 0 || p.MultipleOf < 0 || p.Side < Right || p.Side > Left {
			return newError(CodeInvalidConfig, fmt.Sprintf("bad padding length %d, multiple %d or side", p.Length, p.MultipleOf), nil)
		}
	}
	return nil
}

// truncationJSON is "truncation" in tokenizer.json.
type truncationJSON struct {
	Direction string `json:"direction"`
	MaxLength int    `json:"max_length"`
	Strategy  string `json:"strategy"`
	Stride    int    `json:"stride"`
}

func parseTruncation(raw json.RawMessage) (*Truncation, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var j *truncationJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, err
	}
	if j == nil {
		return nil, nil
	}
	tr := &Truncation{MaxLength: j.MaxLength, Stride: j.Stride}
	switch j.Strategy {
	case "LongestFirst", "":
	case "OnlyFirst":
		tr.Strategy = OnlyFirst
	case "OnlySecond":
		tr.Strategy = OnlySecond
	default:
		return nil, fmt.Errorf("unknown truncation strategy %q", j.Strategy)
	}
	side, err := parseSide(j.Direction)
	tr.Side = side
	return tr, err
}

// paddingJSON is "padding" in tokenizer.json.
type paddingJSON struct {
	Strategy        json.RawMessage `json:"strategy"`
	Direction       string          `json:"direction"`
	PadToMultipleOf *int            `json:"pad_to_multiple_of"`
	PadID           int64           `json:"pad_id"`
	PadTypeID       int64           `json:"pad_type_id"`
	PadToken        string          `json:"pad_token"`
}

func parsePadding(raw json.RawMessage) (*Padding, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var j *paddingJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, err
	}
	if j == nil {
		return nil, nil
	}
	p := &Padding{PadID: j.PadID, PadTypeID: j.PadTypeID, PadToken: j.PadToken}
	if p.PadToken == "" {
		p.PadToken = "[PAD]"
	}
	if j.PadToMultipleOf != nil {
		p.MultipleOf = *j.PadToMultipleOf
	}
	var name string
	var fixed struct {
		Fixed *int `json:"Fixed"`
	}
	switch {
	case len(j.Strategy) == 0:
	case json.Unmarshal(j.Strategy, &name) == nil:
		if name != "BatchLongest" {
			return nil, fmt.Errorf("unknown padding strategy %q", name)
		}
	case json.Unmarshal(j.Strategy, &fixed) == nil && fixed.Fixed != nil:
		p.Length = *fixed.Fixed
	default:
		return nil, fmt.Errorf("unknown padding strategy %s", j.Strategy)
	}
	side, err := parseSide(j.Direction)
	p.Side = side
	return p, err
}

func parseSide(s string) (Side, error) {
	switch s {
	case "Right", "right", "":
		return Right, nil
	case "Left", "left":
		return Left, nil
	}
	return Right, fmt.Errorf("unknown direction %q", s)
}
