package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The Metaspace pre-tokenizer, {"type": "Metaspace"}: SentencePiece's way of
// keeping word boundaries. Every space becomes the replacement character
// (▁ in practice), a piece that does not start with one gets one prepended
// (prepend_scheme "always"; "first": only a piece that starts the input;
// "never"), and with split (the default) the piece is cut before every
// replacement character, which stays at the start of the word it opens:
// "Hey  you" becomes "▁Hey", "▁", "▁you".
//
// Older files say add_prefix_space (true: "always") instead of
// prepend_scheme; as in Hugging Face, add_prefix_space false loads only with
// prepend_scheme "never".

func init() {
	registerPreTokenizer("Metaspace", decodeMetaspace)
}

// metaspacePrepend is a prepend_scheme.
type metaspacePrepend int

const (
	metaspaceAlways metaspacePrepend = iota
	metaspaceFirst
	metaspaceNever
)

// metaspacePreTokenizer is a loaded Metaspace pre-tokenizer.
type metaspacePreTokenizer struct {
	replacement rune
	rep         string // replacement as UTF-8
	prepend     metaspacePrepend
	split       bool
}

// metaspaceConfig is the JSON form; RawMessage fields tell null from absent
// where HF does.
type metaspaceConfig struct {
	Replacement    json.RawMessage `json:"replacement"`
	AddPrefixSpace *bool           `json:"add_prefix_space"`
	PrependScheme  json.RawMessage `json:"prepend_scheme"`
	Split          *bool           `json:"split"`
	StrRep         *string         `json:"str_rep"`
}

func metaspaceConfigError(format string, args ...any) error {
	return newError(CodeInvalidConfig, "Metaspace pre-tokenizer: "+fmt.Sprintf(format, args...), nil)
}

func decodeMetaspace(raw json.RawMessage) (PreTokenizer, error) {
	var cfg metaspaceConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, newError(CodeInvalidConfig, "Metaspace pre-tokenizer", err)
	}
	m := &metaspacePreTokenizer{split: cfg.Split == nil || *cfg.Split}
	var rep *string
	if len(cfg.Replacement) == 0 || json.Unmarshal(cfg.Replacement, &rep) != nil || rep == nil {
		return nil, metaspaceConfigError("replacement must be a one-character string")
	}
	r, n := utf8.DecodeRuneInString(*rep)
	if n == 0 || n != len(*rep) || (r == utf8.RuneError && n == 1) {
		return nil, metaspaceConfigError("replacement %q is not one character", *rep)
	}
	m.replacement, m.rep = r, *rep
	if len(cfg.PrependScheme) > 0 {
		var scheme string
		if bytes.Equal(bytes.TrimSpace(cfg.PrependScheme), []byte("null")) || json.Unmarshal(cfg.PrependScheme, &scheme) != nil {
			return nil, metaspaceConfigError("prepend_scheme must be a string")
		}
		switch scheme {
		case "always":
			m.prepend = metaspaceAlways
		case "first":
			m.prepend = metaspaceFirst
		case "never":
			m.prepend = metaspaceNever
		default:
			return nil, metaspaceConfigError("unknown prepend_scheme %q, want first, never or always", scheme)
		}
	}
	if cfg.AddPrefixSpace != nil && !*cfg.AddPrefixSpace {
		if m.prepend != metaspaceNever {
			return nil, metaspaceConfigError("add_prefix_space does not match declared prepend_scheme")
		}
	}
	return m, nil
}

// PreTokenize rewrites and splits each piece.
func (m *metaspacePreTokenizer) PreTokenize(pieces []Piece) []Piece {
	out := make([]Piece, 0, len(pieces))
	for _, p := range pieces {
		out = m.appendPieces(out, p)
	}
	return out
}

// appendPieces appends what p becomes. A split piece's Offset is p.Offset
// plus where its text starts in p.Text (exact while p.Text is the input's own
// text there).
func (m *metaspacePreTokenizer) appendPieces(out []Piece, p Piece) []Piece {
	if p.Text == "" {
		return out
	}
	startsWithRep := p.Text[0] == ' ' || strings.HasPrefix(p.Text, m.rep)
	prepend := !startsWithRep && (m.prepend == metaspaceAlways || m.prepend == metaspaceFirst && p.Offset == 0)

	// Rewrite the whole piece once; the split pieces are slices of it.
	var b strings.Builder
	b.Grow(len(p.Text) + 2*strings.Count(p.Text, " ") + len(m.rep))
	if prepend {
		b.WriteString(m.rep)
	}
	type cut struct{ at, offset int }
	var cutsBuf [32]cut
	cuts := append(cutsBuf[:0], cut{0, p.Offset})
	for i := 0; i < len(p.Text); {
		c := p.Text[i]
		r, n := rune(c), 1
		if c >= utf8.RuneSelf {
			if r, n = utf8.DecodeRuneInString(p.Text[i:]); n == 1 {
				r = -1 // not valid UTF-8: never the replacement
			}
		}
		if (c == ' ' || r == m.replacement) && m.split && b.Len() > 0 {
			cuts = append(cuts, cut{b.Len(), p.Offset + i})
		}
		if c == ' ' {
			b.WriteString(m.rep)
		} else {
			b.WriteString(p.Text[i : i+n])
		}
		i += n
	}
	text := b.String()
	for k, c := range cuts {
		end := len(text)
		if k+1 < len(cuts) {
			end = cuts[k+1].at
		}
		out = append(out, Piece{Text: text[c.at:end], Offset: c.offset})
	}
	return out
}
