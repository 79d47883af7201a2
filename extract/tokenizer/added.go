package tokenizer

import (
	"fmt"
	"unicode/utf8"
)

// addedToken is an entry of "added_tokens" in tokenizer.json: a string
// that is cut out of the text before the model sees it ([CLS], <s>, …).
type addedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized *bool  `json:"normalized"`
	Special    bool   `json:"special"`
}

// normalized reports whether the token is matched in the normalized text;
// HF's default is true for ordinary added tokens and false for special ones.
func (a *addedToken) normalized() bool {
	if a.Normalized == nil {
		return !a.Special
	}
	return *a.Normalized
}

// addedVocab finds added tokens in a text the way Hugging Face's
// AddedVocabulary does: first the tokens that match the raw text, then, in
// the rest after normalization, the tokens that match normalized text.
type addedVocab struct {
	// byContent maps a token's content to its id.
	byContent map[string]int
	// raw matches the non-normalized tokens, normed the normalized ones.
	raw, normed *matcher
}

// addedMatch is a found added token: text[start:end] is the token's text
// (its stripped whitespace included), id its id.
type addedMatch struct {
	start, end int
	id         int
}

// newAddedVocab assigns ids to the added tokens as Hugging Face does when it
// loads a file: an added token keeps the id the model gives its content;
// those the model does not know get the ids after the model's vocabulary
// size, in file order, whatever ids the file wrote down.
func newAddedVocab(tokens []addedToken, model Model, normalizer Normalizer) (*addedVocab, error) {
	v := &addedVocab{byContent: map[string]int{}}
	type entry struct {
		tok addedToken
		id  int
	}
	var special, ordinary []entry
	isSpecial := map[string]bool{}
	type flags struct {
		content                                         string
		singleWord, lstrip, rstrip, normalized, special bool
	}
	seen := map[flags]bool{}
	nextID := model.VocabSize()
	for _, tok := range tokens {
		if !utf8.ValidString(tok.Content) {
			return nil, fmt.Errorf("added token %q is not valid UTF-8", tok.Content)
		}
		key := flags{tok.Content, tok.SingleWord, tok.LStrip, tok.RStrip, tok.normalized(), tok.Special}
		if tok.Content == "" || seen[key] {
			continue
		}
		seen[key] = true
		id, ok := v.byContent[tok.Content]
		if !ok {
			if id, ok = model.TokenToID(tok.Content); !ok {
				id = nextID
				nextID++
			}
		}
		v.byContent[tok.Content] = id
		e := entry{tok, id}
		switch {
		case tok.Special && !isSpecial[tok.Content]:
			isSpecial[tok.Content] = true
			special = append(special, e)
		case !isSpecial[tok.Content]:
			ordinary = append(ordinary, e)
		}
	}
	var raw, normed []pattern
	for _, e := range append(special, ordinary...) {
		p := pattern{text: e.tok.Content, id: e.id, singleWord: e.tok.SingleWord, lstrip: e.tok.LStrip, rstrip: e.tok.RStrip}
		if !e.tok.normalized() {
			raw = append(raw, p)
			continue
		}
		if normalizer != nil {
			p.text = normalizer.Normalize(p.text)
		}
		if p.text == "" {
			// Normalized away: there is nothing left to find.
			continue
		}
		normed = append(normed, p)
	}
	v.raw, v.normed = newMatcher(raw), newMatcher(normed)
	return v, nil
}

// pattern is an added token as the matcher sees it.
type pattern struct {
	text                       string
	id                         int
	singleWord, lstrip, rstrip bool
}

// matcher finds the leftmost-longest non-overlapping occurrences of a set
// of patterns (Aho-Corasick with MatchKind::LeftmostLongest in HF) with a
// byte trie; added-token sets are small, so walking the trie from each
// candidate start is fast.
type matcher struct {
	patterns []pattern
	// first marks the bytes a pattern starts with.
	first [256]bool
	nodes []trieNode
}

type trieNode struct {
	// edges are the children, as (byte, node index).
	edges []trieEdge
	// pattern is the index+1 of the pattern ending here, 0 if none.
	pattern int
}

type trieEdge struct {
	b    byte
	next int32
}

func newMatcher(ps []pattern) *matcher {
	m := &matcher{patterns: ps, nodes: []trieNode{{}}}
	for i, p := range ps {
		m.first[p.text[0]] = true
		n := 0
		for j := 0; j < len(p.text); j++ {
			n = m.child(n, p.text[j], true)
		}
		if m.nodes[n].pattern == 0 {
			m.nodes[n].pattern = i + 1
		}
	}
	return m
}

func (m *matcher) child(n int, b byte, create bool) int {
	for _, e := range m.nodes[n].edges {
		if e.b == b {
			return int(e.next)
		}
	}
	if !create {
		return -1
	}
	m.nodes = append(m.nodes, trieNode{})
	next := len(m.nodes) - 1
	m.nodes[n].edges = append(m.nodes[n].edges, trieEdge{b, int32(next)})
	return next
}

func (m *matcher) empty() bool { return len(m.patterns) == 0 }

// longestAt returns the longest pattern that s[i:] starts with.
func (m *matcher) longestAt(s string, i int) (p int, end int) {
	n, best := 0, -1
	for j := i; j < len(s); j++ {
		if n = m.child(n, s[j], false); n < 0 {
			break
		}
		if k := m.nodes[n].pattern; k > 0 {
			best, end = k-1, j+1
		}
	}
	return best, end
}

// find appends to dst the added tokens in s, with HF's single_word, lstrip
// and rstrip rules applied, in order.
func (m *matcher) find(dst []addedMatch, s string) []addedMatch {
	if m.empty() {
		return dst
	}
	prevEnd := 0
	for i := 0; i < len(s); {
		if !m.first[s[i]] {
			i++
			continue
		}
		k, end := m.longestAt(s, i)
		if k < 0 {
			i++
			continue
		}
		start, stop := i, end
		i = end
		p := &m.patterns[k]
		if p.singleWord && !isSingleWord(s, start, stop) {
			continue
		}
		if p.lstrip {
			start = max(trailingSpaceStart(s[:start]), prevEnd)
		}
		if p.rstrip {
			stop += leadingSpaceLen(s[stop:])
		}
		dst = append(dst, addedMatch{start: start, end: stop, id: p.id})
		prevEnd = stop
	}
	return dst
}

// isSingleWord reports whether s[start:stop] has no word character right
// before or after it (HF tests \w$ and ^\w with the regex crate).
func isSingleWord(s string, start, stop int) bool {
	if start > 0 {
		if r, _ := utf8.DecodeLastRuneInString(s[:start]); isWordChar(r) {
			return false
		}
	}
	if stop < len(s) {
		if r, _ := utf8.DecodeRuneInString(s[stop:]); isWordChar(r) {
			return false
		}
	}
	return true
}

// trailingSpaceStart is where the whitespace at the end of s starts.
func trailingSpaceStart(s string) int {
	i := len(s)
	for i > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:i])
		if !isWhitespace(r) {
			break
		}
		i -= n
	}
	return i
}

// leadingSpaceLen is the length of the whitespace s starts with.
func leadingSpaceLen(s string) int {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isWhitespace(r) {
			break
		}
		i += n
	}
	return i
}
