package tokenizer

import "unicode/utf8"

// Extended grapheme clusters (UAX #29, Unicode 17.0.0), which the
// Precompiled normalizer walks as Hugging Face's does through the
// unicode-segmentation crate. The properties come from grapheme_tables.go.

// graphemeProps packs one code point's properties: Grapheme_Cluster_Break in
// the low four bits, Indic_Conjunct_Break in bits 4–5 and
// Extended_Pictographic in bit 6.
type graphemeProps uint8

// graphemeRange gives the code points lo…hi the properties props.
type graphemeRange struct {
	lo, hi rune
	props  graphemeProps
}

// Grapheme_Cluster_Break values, in the generator's order.
const (
	gcbOther = iota
	gcbCR
	gcbLF
	gcbControl
	gcbExtend
	gcbZWJ
	gcbRegionalIndicator
	gcbPrepend
	gcbSpacingMark
	gcbL
	gcbV
	gcbT
	gcbLV
	gcbLVT
)

// Indic_Conjunct_Break values, in the generator's order.
const (
	incbNone = iota
	incbConsonant
	incbExtend
	incbLinker
)

func (p graphemeProps) gcb() uint8    { return uint8(p) & 0x0f }
func (p graphemeProps) incb() uint8   { return uint8(p) >> 4 & 0x03 }
func (p graphemeProps) extPict() bool { return p&0x40 != 0 }

// graphemeBMP holds the properties of the Basic Multilingual Plane
// (U+0000…U+FFFF) for a lookup without a search.
var graphemeBMP = func() (bmp [0x10000]graphemeProps) {
	for _, r := range graphemeRanges {
		for c := r.lo; c <= r.hi && c < rune(len(bmp)); c++ {
			bmp[c] = r.props
		}
	}
	for c := rune(0xAC00); c <= 0xD7A3; c++ { // Hangul syllables
		bmp[c] = gcbLVT
		if (c-0xAC00)%28 == 0 {
			bmp[c] = gcbLV
		}
	}
	return bmp
}()

// graphemePropsOf returns the properties of r.
func graphemePropsOf(r rune) graphemeProps {
	if r >= 0 && r < rune(len(graphemeBMP)) {
		return graphemeBMP[r]
	}
	lo, hi := 0, len(graphemeRanges)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch {
		case graphemeRanges[mid].hi < r:
			lo = mid + 1
		case graphemeRanges[mid].lo > r:
			hi = mid
		default:
			return graphemeRanges[mid].props
		}
	}
	return 0
}

// graphemeLen returns the byte length of the extended grapheme cluster s
// starts with (s is not empty). A byte that starts no valid UTF-8 sequence is
// a cluster of its own.
func graphemeLen(s string) int {
	if c := s[0]; c < utf8.RuneSelf && c != '\r' && (len(s) == 1 || s[1] < utf8.RuneSelf) {
		return 1
	}
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && n == 1 {
		return 1
	}
	var st graphemeState
	prev := st.push(graphemePropsOf(r))
	for i := n; i < len(s); i += n {
		r, n = utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		cur := graphemePropsOf(r)
		if st.breaksBefore(prev, cur) {
			return i
		}
		prev = st.push(cur)
	}
	return len(s)
}

// graphemeState is what the rules with context (GB9c, GB11, GB12/13) need to
// know about the cluster so far.
type graphemeState struct {
	// emoji: 1 after \p{ExtPict} Extend*, 2 after \p{ExtPict} Extend* ZWJ.
	emoji uint8
	// conjunct: 1 after an InCB Consonant followed by InCB Extend/Linker
	// marks without a Linker, 2 once a Linker has come.
	conjunct uint8
	// ri counts the Regional_Indicators that end the cluster so far.
	ri int
}

// push records code point properties p, which join the cluster, and returns p.
func (st *graphemeState) push(p graphemeProps) graphemeProps {
	gcb := p.gcb()
	switch {
	case p.extPict():
		st.emoji = 1
	case st.emoji == 1 && gcb == gcbExtend:
	case st.emoji == 1 && gcb == gcbZWJ:
		st.emoji = 2
	default:
		st.emoji = 0
	}
	switch incb := p.incb(); {
	case incb == incbConsonant:
		st.conjunct = 1
	case st.conjunct > 0 && incb == incbLinker:
		st.conjunct = 2
	case st.conjunct > 0 && incb == incbExtend:
	default:
		st.conjunct = 0
	}
	if gcb == gcbRegionalIndicator {
		st.ri++
	} else {
		st.ri = 0
	}
	return p
}

// breaksBefore reports whether a cluster boundary falls between a code point
// with properties prev and the next, cur (rules GB3 to GB999).
func (st *graphemeState) breaksBefore(prev, cur graphemeProps) bool {
	p, c := prev.gcb(), cur.gcb()
	switch {
	case p == gcbCR && c == gcbLF: // GB3
		return false
	case p == gcbControl || p == gcbCR || p == gcbLF: // GB4
		return true
	case c == gcbControl || c == gcbCR || c == gcbLF: // GB5
		return true
	case p == gcbL && (c == gcbL || c == gcbV || c == gcbLV || c == gcbLVT): // GB6
		return false
	case (p == gcbLV || p == gcbV) && (c == gcbV || c == gcbT): // GB7
		return false
	case (p == gcbLVT || p == gcbT) && c == gcbT: // GB8
		return false
	case c == gcbExtend || c == gcbZWJ || c == gcbSpacingMark: // GB9, GB9a
		return false
	case p == gcbPrepend: // GB9b
		return false
	case st.conjunct == 2 && cur.incb() == incbConsonant: // GB9c
		return false
	case st.emoji == 2 && cur.extPict(): // GB11
		return false
	case p == gcbRegionalIndicator && c == gcbRegionalIndicator: // GB12, GB13
		return st.ri%2 == 0
	}
	return true // GB999
}
