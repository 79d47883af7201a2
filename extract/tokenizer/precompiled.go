package tokenizer

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// The Precompiled normalizer, {"type": "Precompiled"}: SentencePiece's
// compiled normalization rules (nmt_nfkc and the like: NFKC folding,
// full-width to ASCII, control characters dropped, …) as Hugging Face's
// converters copy them out of a .model file into "precompiled_charsmap".
//
// The charsmap is a little-endian uint32 byte size of a Darts-clone double
// array trie, the trie's uint32 units, then the replacement strings, each
// ended by a NUL; a trie leaf holds the offset of its replacement.
//
// Hugging Face (the spm_precompiled crate) walks the text by extended
// grapheme cluster. A cluster shorter than 6 bytes is looked up whole, and if
// the trie maps any prefix of it, the whole cluster becomes the replacement of
// the shortest such prefix. Otherwise each character is looked up alone and
// replaced, or kept. That is not quite SentencePiece's own longest-match walk,
// and this file reproduces HF, not SentencePiece.

func init() {
	registerNormalizer("Precompiled", decodePrecompiled)
}

// precompiledGraphemeMax is the cluster length, in bytes, from which HF
// looks characters up one by one only.
const precompiledGraphemeMax = 6

// precompiledNormalizer is a loaded charsmap.
type precompiledNormalizer struct {
	units []uint32
	// replacements is the NUL-separated replacement strings.
	replacements string
	// ascii caches the lookup of each ASCII character.
	ascii [utf8.RuneSelf]precompiledASCII
}

type precompiledASCII struct {
	repl   string
	mapped bool
}

func precompiledConfigError(msg string) error {
	return newError(CodeInvalidConfig, "Precompiled normalizer: "+msg, nil)
}

func decodePrecompiled(raw json.RawMessage) (Normalizer, error) {
	var cfg struct {
		Charsmap *string `json:"precompiled_charsmap"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, newError(CodeInvalidConfig, "Precompiled normalizer", err)
	}
	if cfg.Charsmap == nil {
		return nil, precompiledConfigError("missing precompiled_charsmap")
	}
	blob, err := decodePrecompiledBase64(*cfg.Charsmap)
	if err != nil {
		return nil, newError(CodeInvalidConfig, "Precompiled normalizer: precompiled_charsmap", err)
	}
	return newPrecompiled(blob)
}

// decodePrecompiledBase64 decodes standard base64, padded or not, and
// nothing else (Go's decoder would skip line breaks; HF's refuses them).
func decodePrecompiledBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, base64.CorruptInputError(strings.IndexAny(s, "\r\n"))
	}
	if len(s)%4 != 0 {
		return base64.RawStdEncoding.Strict().DecodeString(s)
	}
	return base64.StdEncoding.Strict().DecodeString(s)
}

// newPrecompiled parses a charsmap. HF refuses the same blobs (it panics on
// them); an empty trie, on which HF panics when it normalizes, is refused too.
func newPrecompiled(blob []byte) (*precompiledNormalizer, error) {
	if len(blob) < 4 {
		return nil, precompiledConfigError("charsmap shorter than its 4-byte header")
	}
	n := uint64(binary.LittleEndian.Uint32(blob)) / 4
	rest := blob[4:]
	if n > uint64(len(rest))/4 {
		return nil, precompiledConfigError("charsmap shorter than the trie its header announces")
	}
	if n == 0 {
		return nil, precompiledConfigError("charsmap has an empty trie")
	}
	p := &precompiledNormalizer{units: make([]uint32, n)}
	for i := range p.units {
		p.units[i] = binary.LittleEndian.Uint32(rest[4*i:])
	}
	repl := rest[4*n:]
	if !utf8.Valid(repl) {
		return nil, precompiledConfigError("charsmap replacements are not valid UTF-8")
	}
	p.replacements = string(repl)
	for c := range p.ascii {
		r, ok := p.lookup(string(rune(c)))
		p.ascii[c] = precompiledASCII{repl: r, mapped: ok}
	}
	return p, nil
}

// Normalize applies the charsmap cluster by cluster, as HF does.
func (p *precompiledNormalizer) Normalize(s string) string {
	var out []byte
	done := 0 // s[:done] is in out
	changed := false
	replace := func(from, to int, repl string) {
		if !changed {
			out = make([]byte, 0, len(s)+len(s)/4)
			changed = true
		}
		out = append(out, s[done:from]...)
		out = append(out, repl...)
		done = to
	}
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf && c != '\r' && (i+1 == len(s) || s[i+1] < utf8.RuneSelf) {
			if a := p.ascii[c]; a.mapped {
				replace(i, i+1, a.repl)
			}
			i++
			continue
		}
		n := graphemeLen(s[i:])
		g := s[i : i+n]
		if n < precompiledGraphemeMax {
			if repl, ok := p.lookup(g); ok {
				replace(i, i+n, repl)
				i += n
				continue
			}
			if utf8.RuneCountInString(g) == 1 {
				i += n
				continue
			}
		}
		for j := 0; j < n; {
			_, m := utf8.DecodeRuneInString(g[j:])
			if repl, ok := p.lookup(g[j : j+m]); ok {
				replace(i+j, i+j+m, repl)
			}
			j += m
		}
		i += n
	}
	if !changed {
		return s
	}
	return string(append(out, s[done:]...))
}

// lookup returns the replacement of the shortest prefix of key that the trie
// maps, as the first result of Darts-clone's common prefix search. A NUL ends
// the key. Offsets outside the trie or the replacements, on which HF would
// panic, mean no mapping.
func (p *precompiledNormalizer) lookup(key string) (string, bool) {
	units := p.units
	pos := uint64(precompiledOffset(units[0]))
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == 0 {
			break
		}
		pos ^= uint64(c)
		if pos >= uint64(len(units)) {
			return "", false
		}
		unit := units[pos]
		if unit&(1<<31|0xff) != uint32(c) {
			return "", false
		}
		pos ^= uint64(precompiledOffset(unit))
		if unit>>8&1 == 1 {
			if pos >= uint64(len(units)) {
				return "", false
			}
			return p.replacementAt(units[pos] & (1<<31 - 1))
		}
	}
	return "", false
}

// precompiledOffset is a unit's offset field (Darts-clone's offset()).
func precompiledOffset(unit uint32) uint32 {
	return (unit >> 10) << ((unit & (1 << 9)) >> 6)
}

// replacementAt returns the NUL-ended replacement string at offset at.
func (p *precompiledNormalizer) replacementAt(at uint32) (string, bool) {
	r := p.replacements
	if uint64(at) > uint64(len(r)) {
		return "", false
	}
	rest := r[at:]
	if rest != "" && !utf8.RuneStart(rest[0]) {
		return "", false
	}
	if end := strings.IndexByte(rest, 0); end >= 0 {
		rest = rest[:end]
	}
	return rest, true
}
