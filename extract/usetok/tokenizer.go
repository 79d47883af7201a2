package usetok

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// UnknownID is the id of the unknown piece: the output for a code point (or
// a run of them) that no vocabulary piece covers.
const UnknownID = 0

// WordSeparator is the piece text that marks a word start ("▁", U+2581).
const WordSeparator = "\u2581"

// reservedPieces is how many ids at the start of the vocabulary (unknown,
// <s>, </s>, three extra ids) are never produced by segmentation, as in the
// JavaScript tokenizer's RESERVED_SYMBOLS_COUNT.
const reservedPieces = 6

// Tokenizer encodes text for Universal Sentence Encoder Lite. It is
// immutable after Load and safe for concurrent use.
type Tokenizer struct {
	pieces   []string
	utf16Len []int // length of each piece in UTF-16 code units, as JavaScript's String.length
	root     *trieNode
	sepID    int // id of the bare WordSeparator piece, -1 if the vocabulary has none
}

type trieNode struct {
	children map[rune]*trieNode
	end      bool    // a piece ends here
	score    float64 // its score
	id       int     // its id
}

// Load reads a USE vocab.json: a JSON array whose i-th element is
// [piece, score] for id i.
func Load(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errorf("usetok.Load", CodeBadVocab, err, "reading the vocabulary")
	}
	t, err := Parse(data)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Parse builds a Tokenizer from the contents of a vocab.json file.
func Parse(data []byte) (*Tokenizer, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, errorf("usetok.Parse", CodeBadVocab, err, "vocabulary is not a JSON array")
	}
	if len(raw) <= reservedPieces {
		return nil, errorf("usetok.Parse", CodeBadVocab, nil, "vocabulary has %d entries, want more than the %d reserved ones", len(raw), reservedPieces)
	}
	t := &Tokenizer{
		pieces:   make([]string, len(raw)),
		utf16Len: make([]int, len(raw)),
		root:     &trieNode{},
		sepID:    -1,
	}
	for id, r := range raw {
		piece, score, err := parseEntry(r)
		if err != nil {
			return nil, errorf("usetok.Parse", CodeBadVocab, err, "vocabulary entry %d", id)
		}
		t.pieces[id] = piece
		t.utf16Len[id] = len(utf16.Encode([]rune(piece)))
		if id < reservedPieces {
			continue
		}
		if piece == WordSeparator {
			t.sepID = id
		}
		t.insert(piece, score, id)
	}
	// The way back through the lattice steps by the unknown piece's length;
	// an empty one would never get back to the start.
	if t.utf16Len[UnknownID] == 0 {
		return nil, errorf("usetok.Parse", CodeBadVocab, nil, "the unknown piece (id %d) is empty", UnknownID)
	}
	return t, nil
}

// parseEntry decodes one [piece, score] pair.
func parseEntry(r json.RawMessage) (string, float64, error) {
	var pair []json.RawMessage
	if err := json.Unmarshal(r, &pair); err != nil || len(pair) != 2 {
		return "", 0, fmt.Errorf("want a [piece, score] pair, got %s", truncate(r))
	}
	var piece string
	if err := json.Unmarshal(pair[0], &piece); err != nil {
		return "", 0, fmt.Errorf("piece is not a string: %s", truncate(pair[0]))
	}
	var score float64
	if err := json.Unmarshal(pair[1], &score); err != nil || math.IsNaN(score) {
		return "", 0, fmt.Errorf("score is not a number: %s", truncate(pair[1]))
	}
	return piece, score, nil
}

func truncate(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// insert adds a piece to the trie. A piece listed twice keeps the later id
// and score, as in the JavaScript trie; an empty piece is never matched.
func (t *Tokenizer) insert(piece string, score float64, id int) {
	if piece == "" {
		return
	}
	node := t.root
	for _, r := range piece {
		child := node.children[r]
		if child == nil {
			if node.children == nil {
				node.children = map[rune]*trieNode{}
			}
			child = &trieNode{}
			node.children[r] = child
		}
		node = child
	}
	node.end, node.score, node.id = true, score, id
}

// Len is the size of the vocabulary: every id Encode returns is below it.
func (t *Tokenizer) Len() int { return len(t.pieces) }

// Piece returns the text of piece id, or "" for an id outside the
// vocabulary.
func (t *Tokenizer) Piece(id int64) string {
	if id < 0 || id >= int64(len(t.pieces)) {
		return ""
	}
	return t.pieces[id]
}

// candidate is a piece that ends at some position of the lattice.
type candidate struct {
	start int
	score float64
	id    int
}

// Encode returns the piece ids of text, exactly as the JavaScript tokenizer
// of @energetic-ai/embeddings 0.2.0 computes them (see the package
// documentation). The empty text, and any text that NFKC-normalises to the
// empty string, has no ids. Text that is not valid UTF-8 is an
// [*itemvec.Error] of kind bad input with Code CodeInvalidText.
func (t *Tokenizer) Encode(text string) ([]int64, error) {
	if !utf8.ValidString(text) {
		return nil, errorf("usetok.Tokenizer.Encode", CodeInvalidText, nil, "text is not valid UTF-8 (first bad byte at offset %d)", firstInvalid(text))
	}
	s := norm.NFKC.String(text)
	if s == "" {
		return []int64{}, nil
	}
	symbols := []rune(WordSeparator + strings.ReplaceAll(s, " ", WordSeparator))
	n := len(symbols)

	// ends[e] lists the candidates that end at e, by ascending start.
	ends := make([][]candidate, n+1)
	for i := range n {
		found := false
		node := t.root.children[symbols[i]]
		for j := i; node != nil; {
			if node.end {
				ends[j+1] = append(ends[j+1], candidate{start: i, score: node.score, id: node.id})
				found = true
			}
			j++
			if j == n {
				break
			}
			node = node.children[symbols[j]]
		}
		if !found {
			ends[i+1] = append(ends[i+1], candidate{start: i, score: 0, id: UnknownID})
		}
	}

	best := make([]float64, n+1)
	words := make([]int, n+1)
	for e := range ends {
		for _, c := range ends[e] {
			score := c.score + best[c.start]
			if best[e] == 0 || score >= best[e] {
				best[e] = score
				words[e] = c.id
			}
		}
	}

	var reversed []int
	for pos := n; pos > 0; pos -= t.utf16Len[words[pos]] {
		reversed = append(reversed, words[pos])
	}
	ids := make([]int64, 0, len(reversed))
	prevUnknown := false
	for i := len(reversed) - 1; i >= 0; i-- {
		id := reversed[i]
		if !(prevUnknown && id == UnknownID) {
			ids = append(ids, int64(id))
		}
		prevUnknown = id == UnknownID
	}
	return ids, nil
}

// UnknownRatio is the share of unknown pieces among the pieces of ids that
// carry content, i.e. all but the bare word separator "▁" (which Encode
// emits for every space that does not start a known word). It is 0 for no
// content at all. English product text scores near 0; text in a script the
// vocabulary does not cover (Chinese, Japanese, Korean, emoji) scores 0.5
// or more, and the model's vectors for such texts are close to one
// another whatever they say: log a warning, or skip the text, above a
// threshold such as 0.5.
func (t *Tokenizer) UnknownRatio(ids []int64) float64 {
	unknown, content := 0, 0
	for _, id := range ids {
		if id == int64(t.sepID) {
			continue
		}
		content++
		if id == UnknownID {
			unknown++
		}
	}
	if content == 0 {
		return 0
	}
	return float64(unknown) / float64(content)
}

func firstInvalid(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return len(s)
}
