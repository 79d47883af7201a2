package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Hugging Face's Unigram model, {"type": "Unigram"}: SentencePiece's unigram
// language model, as XLM-RoBERTa, multilingual-e5, T5 and ALBERT use it. A
// piece becomes the segmentation whose tokens' scores (log probabilities) sum
// highest, found by a Viterbi pass over every vocabulary match. Like HF:
//
//   - a character no token starts with becomes unk_id with the score of the
//     worst token minus 10, and runs of unknowns fuse into one token;
//   - with byte_fallback, an unknown run becomes its bytes' <0xXX> tokens
//     when the vocabulary has them all;
//   - of equally good paths to a position the first found wins, starts
//     scanned left to right and the tokens from each start shortest first;
//   - scores are read with serde_json's default float parser, which can be a
//     unit in the last place off the exact value; matching it keeps near-ties
//     breaking as HF breaks them.

func init() {
	registerModel("Unigram", decodeUnigram)
}

const (
	// unigramUnkPenalty is HF's K_UNK_PENALTY: an unknown character scores
	// this much below the worst token.
	unigramUnkPenalty = 10.0
	// unigramCacheCapacity and unigramCacheMaxPiece bound the piece cache:
	// at most this many pieces, each shorter than this many bytes.
	unigramCacheCapacity = 10_000
	unigramCacheMaxPiece = 256
)

// unigramModel is a loaded Unigram model. It is safe for concurrent use.
type unigramModel struct {
	tokens []string
	scores []float64
	// ids maps a token to its id; a token listed twice maps to its last id,
	// as in HF.
	ids  map[string]int
	trie unigramTrie
	// unkID is the unk_id, -1 for none.
	unkID        int
	unkScore     float64
	byteFallback bool
	// byteIDs holds the ids of <0x00> … <0xFF>, -1 where the vocabulary
	// lacks one.
	byteIDs [256]int
	cache   *unigramCache
	scratch sync.Pool
}

// unigramConfig is the JSON form of a Unigram model.
type unigramConfig struct {
	UnkID        json.RawMessage     `json:"unk_id"`
	Vocab        [][]json.RawMessage `json:"vocab"`
	ByteFallback *bool               `json:"byte_fallback"`
}

func unigramConfigError(format string, args ...any) error {
	return newError(CodeInvalidConfig, "Unigram model: "+fmt.Sprintf(format, args...), nil)
}

func decodeUnigram(raw json.RawMessage) (Model, error) {
	var cfg unigramConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, newError(CodeInvalidConfig, "Unigram model", err)
	}
	if cfg.Vocab == nil {
		return nil, unigramConfigError("missing vocab")
	}
	unkID := -1
	if u := bytes.TrimSpace(cfg.UnkID); len(u) > 0 && !bytes.Equal(u, []byte("null")) {
		id, err := strconv.ParseUint(string(u), 10, 63)
		if err != nil {
			return nil, unigramConfigError("unk_id %s is not a non-negative integer", u)
		}
		if id >= uint64(len(cfg.Vocab)) {
			if len(cfg.Vocab) == 0 {
				return nil, unigramConfigError("the vocabulary is empty but unk_id is set")
			}
			return nil, unigramConfigError("unk_id %d is outside the vocabulary of %d tokens", id, len(cfg.Vocab))
		}
		unkID = int(id)
	}
	tokens := make([]string, len(cfg.Vocab))
	scores := make([]float64, len(cfg.Vocab))
	for i, pair := range cfg.Vocab {
		if len(pair) != 2 {
			return nil, unigramConfigError("vocab entry %d is not a [token, score] pair", i)
		}
		tok, ok := unigramToken(pair[0])
		if !ok {
			return nil, unigramConfigError("vocab entry %d: the token is not a string", i)
		}
		tokens[i] = tok
		score, err := parseSerdeFloat(pair[1])
		if err != nil {
			return nil, unigramConfigError("vocab entry %d (%q): score: %v", i, tokens[i], err)
		}
		scores[i] = score
	}
	return newUnigram(tokens, scores, unkID, cfg.ByteFallback != nil && *cfg.ByteFallback), nil
}

// unigramToken decodes a JSON string, without reflection when it has no
// escapes.
func unigramToken(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		if body := raw[1 : len(raw)-1]; bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
			return string(body), true
		}
	}
	var tok *string
	if err := json.Unmarshal(raw, &tok); err != nil || tok == nil {
		return "", false
	}
	return *tok, true
}

// newUnigram builds a model from its vocabulary in id order.
func newUnigram(tokens []string, scores []float64, unkID int, byteFallback bool) *unigramModel {
	m := &unigramModel{
		tokens:       tokens,
		scores:       scores,
		ids:          make(map[string]int, len(tokens)),
		unkID:        unkID,
		byteFallback: byteFallback,
		cache:        &unigramCache{pieces: map[string][]Token{}},
	}
	minScore := math.Inf(1)
	for id, tok := range tokens {
		m.ids[tok] = id
		minScore = min(minScore, scores[id])
	}
	m.unkScore = minScore - unigramUnkPenalty
	m.trie = newUnigramTrie(m.ids)
	for b := range m.byteIDs {
		id, ok := m.ids[fmt.Sprintf("<0x%02X>", b)]
		if !ok {
			id = -1
		}
		m.byteIDs[b] = id
	}
	return m
}

// Tokenize returns the best segmentation of piece.
func (m *unigramModel) Tokenize(piece string) ([]Token, error) {
	if piece == "" {
		return nil, nil
	}
	cacheable := len(piece) < unigramCacheMaxPiece
	if cacheable {
		if toks, ok := m.cache.get(piece); ok {
			return slices.Clone(toks), nil
		}
	}
	toks, err := m.encode(piece)
	if err != nil {
		return nil, err
	}
	if cacheable {
		m.cache.set(piece, slices.Clone(toks))
	}
	return toks, nil
}

// unigramNode is the best path ending at one byte position.
type unigramNode struct {
	score float64
	// start is where the path's last token starts, -1 while no path ends here.
	start int
	id    int
}

// encode runs HF's optimized Viterbi pass (SentencePiece's
// EncodeOptimized) and turns the best path into tokens.
func (m *unigramModel) encode(s string) ([]Token, error) {
	size := len(s)
	p, _ := m.scratch.Get().(*[]unigramNode)
	if p == nil {
		p = new([]unigramNode)
	}
	best := slices.Grow((*p)[:0], size+1)[:size+1]
	defer func() {
		*p = best
		m.scratch.Put(p)
	}()
	for i := range best {
		best[i] = unigramNode{start: -1}
	}

	for start := 0; start < size; {
		here := best[start].score
		charLen := unigramCharLen(s[start:])
		single := false
		node := int32(unigramRoot)
		for end := start; end < size; {
			node = m.trie.child(node, s[end])
			if node < 0 {
				break
			}
			end++
			id := int(m.trie.ids[node])
			if id < 0 {
				continue
			}
			cand := m.scores[id] + here
			if t := &best[end]; t.start < 0 || cand > t.score {
				*t = unigramNode{score: cand, start: start, id: id}
			}
			if end-start == charLen {
				single = true
			}
		}
		if !single {
			cand := m.unkScore + here
			if t := &best[start+charLen]; t.start < 0 || cand > t.score {
				if m.unkID < 0 {
					return nil, newError(CodeModel, fmt.Sprintf(
						"Unigram model: the vocabulary lacks %q and the model has no unk_id", s[start:start+charLen]), nil)
				}
				*t = unigramNode{score: cand, start: start, id: m.unkID}
			}
		}
		start += charLen
	}

	// Walk the best path back from the end; a run of unk_id nodes fuses
	// into one segment.
	type segment struct {
		start, end int
		unk        bool
	}
	var segs []segment // last first
	for end := size; end > 0; {
		n := best[end]
		if n.start < 0 || n.start >= end {
			return nil, newError(CodeModel, "Unigram model: no segmentation of the piece", nil)
		}
		unk := m.unkID >= 0 && n.id == m.unkID
		if last := len(segs) - 1; unk && last >= 0 && segs[last].unk {
			segs[last].start = n.start
		} else {
			segs = append(segs, segment{n.start, end, unk})
		}
		end = n.start
	}
	toks := make([]Token, 0, len(segs))
	for i := len(segs) - 1; i >= 0; i-- {
		toks = m.appendToken(toks, s[segs[i].start:segs[i].end])
	}
	return toks, nil
}

// appendToken appends the token(s) for one segment of the best path: its
// vocabulary id, else its bytes' <0xXX> tokens (byte_fallback), else unk_id.
func (m *unigramModel) appendToken(toks []Token, seg string) []Token {
	if id, ok := m.ids[seg]; ok {
		return append(toks, Token{ID: id, Value: seg})
	}
	if m.byteFallback && m.hasByteTokens(seg) {
		for i := 0; i < len(seg); i++ {
			id := m.byteIDs[seg[i]]
			toks = append(toks, Token{ID: id, Value: m.tokens[id]})
		}
		return toks
	}
	return append(toks, Token{ID: m.unkID, Value: seg})
}

func (m *unigramModel) hasByteTokens(seg string) bool {
	for i := 0; i < len(seg); i++ {
		if m.byteIDs[seg[i]] < 0 {
			return false
		}
	}
	return true
}

// unigramCharLen is the byte length of the character s starts with; a byte
// that starts no valid UTF-8 sequence counts as one.
func unigramCharLen(s string) int {
	if s[0] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s)
	return n
}

// TokenToID returns the id of token.
func (m *unigramModel) TokenToID(token string) (int, bool) {
	id, ok := m.ids[token]
	return id, ok
}

// IDToToken returns the token with id.
func (m *unigramModel) IDToToken(id int) (string, bool) {
	if id < 0 || id >= len(m.tokens) {
		return "", false
	}
	return m.tokens[id], true
}

// VocabSize is the number of vocabulary entries.
func (m *unigramModel) VocabSize() int { return len(m.tokens) }

// unigramTrie is a byte trie of the vocabulary: every node's children sit
// side by side, sorted by label, so a lookup scans a short run of bytes.
type unigramTrie struct {
	// first and count locate a node's children in labels/children.
	first []int32
	count []uint16
	// ids is the token id a node completes, -1 for none.
	ids      []int32
	labels   []byte
	children []int32
	// rootChild is the root's children by label, -1 for none.
	rootChild [256]int32
}

const unigramRoot = 0

func newUnigramTrie(ids map[string]int) unigramTrie {
	keys := make([]unigramKey, 0, len(ids))
	nodes := 1
	for k, id := range ids {
		if k != "" {
			keys = append(keys, unigramKey{k, id})
			nodes += len(k)
		}
	}
	slices.SortFunc(keys, func(a, b unigramKey) int { return strings.Compare(a.key, b.key) })
	t := unigramTrie{
		first:    make([]int32, 0, nodes),
		count:    make([]uint16, 0, nodes),
		ids:      make([]int32, 0, nodes),
		labels:   make([]byte, 0, nodes),
		children: make([]int32, 0, nodes),
	}
	t.addNode()
	t.build(unigramRoot, keys, 0)
	// The capacities were an upper bound; keep only what is used.
	t.first, t.count, t.ids = slices.Clone(t.first), slices.Clone(t.count), slices.Clone(t.ids)
	t.labels, t.children = slices.Clone(t.labels), slices.Clone(t.children)
	for i := range t.rootChild {
		t.rootChild[i] = -1
	}
	for k := int32(0); k < int32(t.count[unigramRoot]); k++ {
		e := t.first[unigramRoot] + k
		t.rootChild[t.labels[e]] = t.children[e]
	}
	return t
}

// unigramKey is a vocabulary token and its id.
type unigramKey struct {
	key string
	id  int
}

func (t *unigramTrie) addNode() int32 {
	t.first = append(t.first, 0)
	t.count = append(t.count, 0)
	t.ids = append(t.ids, -1)
	return int32(len(t.ids) - 1)
}

// build gives node the children for keys, which are sorted and share their
// first depth bytes (the path to node); a key that ends here marks node.
func (t *unigramTrie) build(node int32, keys []unigramKey, depth int) {
	if len(keys) > 0 && len(keys[0].key) == depth {
		t.ids[node] = int32(keys[0].id)
		keys = keys[1:]
	}
	// First the children's edges, side by side, then their subtrees.
	t.first[node] = int32(len(t.labels))
	for rest := keys; len(rest) > 0; {
		c := rest[0].key[depth]
		n := 1
		for n < len(rest) && rest[n].key[depth] == c {
			n++
		}
		t.labels = append(t.labels, c)
		t.children = append(t.children, t.addNode())
		t.count[node]++
		rest = rest[n:]
	}
	for e := t.first[node]; len(keys) > 0; e++ {
		c := keys[0].key[depth]
		n := 1
		for n < len(keys) && keys[n].key[depth] == c {
			n++
		}
		t.build(t.children[e], keys[:n], depth+1)
		keys = keys[n:]
	}
}

// child is node's child along byte c, -1 for none.
func (t *unigramTrie) child(node int32, c byte) int32 {
	if node == unigramRoot {
		return t.rootChild[c]
	}
	first, n := t.first[node], int32(t.count[node])
	labels := t.labels[first : first+n]
	if n <= 8 {
		for i, l := range labels {
			if l == c {
				return t.children[first+int32(i)]
			}
		}
		return -1
	}
	if i, ok := slices.BinarySearch(labels, c); ok {
		return t.children[first+int32(i)]
	}
	return -1
}

// unigramCache remembers the tokens of pieces already encoded. It holds at
// most unigramCacheCapacity pieces and, once full, keeps the ones it has.
type unigramCache struct {
	mu     sync.RWMutex
	pieces map[string][]Token
}

func (c *unigramCache) get(piece string) ([]Token, bool) {
	c.mu.RLock()
	toks, ok := c.pieces[piece]
	c.mu.RUnlock()
	return toks, ok
}

func (c *unigramCache) set(piece string, toks []Token) {
	c.mu.Lock()
	if len(c.pieces) < unigramCacheCapacity {
		c.pieces[piece] = toks
	}
	c.mu.Unlock()
}

// parseSerdeFloat reads a JSON number the way serde_json does without its
// float_roundtrip feature, as Hugging Face's tokenizers build it: the
// decimal digits accumulate into a uint64 (digits past its range are
// dropped), which is converted to float64 and then multiplied or divided by
// a power of ten. That is exact for up to 15 or so significant digits and
// otherwise can be one unit in the last place off the nearest float64.
func parseSerdeFloat(raw json.RawMessage) (float64, error) {
	s := bytes.TrimSpace(raw)
	bad := errSerdeNumber
	i := 0
	positive := true
	if i < len(s) && s[i] == '-' {
		positive = false
		i++
	}
	if i >= len(s) || s[i] < '0' || s[i] > '9' {
		return 0, bad
	}
	isDigit := func(i int) bool { return i < len(s) && s[i] >= '0' && s[i] <= '9' }
	var sig uint64
	exp := int64(0)
	if s[i] == '0' {
		i++
		if isDigit(i) {
			return 0, bad
		}
	} else {
		long := false // parse_long_integer: later digits only scale
		for ; isDigit(i); i++ {
			d := uint64(s[i] - '0')
			if long || sig > (math.MaxUint64-d)/10 {
				long = true
				exp++
				continue
			}
			sig = sig*10 + d
		}
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !isDigit(i) {
			return 0, bad
		}
		overflowed := false
		for ; isDigit(i); i++ {
			d := uint64(s[i] - '0')
			if overflowed || sig > (math.MaxUint64-d)/10 {
				overflowed = true // parse_decimal_overflow drops the rest
				continue
			}
			sig = sig*10 + d
			exp--
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		expPositive := true
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			expPositive = s[i] == '+'
			i++
		}
		if !isDigit(i) {
			return 0, bad
		}
		var e int64
		for ; isDigit(i); i++ {
			e = e*10 + int64(s[i]-'0')
			if e > math.MaxInt32 {
				// parse_exponent_overflow: zero, or out of range.
				if sig != 0 && expPositive {
					return 0, fmt.Errorf("%q is out of range", s)
				}
				for isDigit(i) {
					i++
				}
				if i != len(s) {
					return 0, bad
				}
				return math.Copysign(0, serdeSign(positive)), nil
			}
		}
		if expPositive {
			exp = min(exp+e, math.MaxInt32)
		} else {
			exp = max(exp-e, math.MinInt32)
		}
	}
	if i != len(s) {
		return 0, bad
	}
	f := float64(sig)
	for {
		if a := abs64(exp); a < int64(len(serdePow10)) {
			if exp >= 0 {
				f *= serdePow10[a]
				if math.IsInf(f, 0) {
					return 0, fmt.Errorf("%q is out of range", s)
				}
			} else {
				f /= serdePow10[a]
			}
			break
		}
		if f == 0 {
			break
		}
		if exp >= 0 {
			return 0, fmt.Errorf("%q is out of range", s)
		}
		f /= 1e308
		exp += 308
	}
	return serdeSign(positive) * f, nil
}

// errSerdeNumber reports a score that is not a JSON number.
var errSerdeNumber = errors.New("not a JSON number")

func serdeSign(positive bool) float64 {
	if positive {
		return 1
	}
	return -1
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// serdePow10 is serde_json's POW10: 1e0 … 1e308, each correctly rounded.
var serdePow10 = func() (p [309]float64) {
	for i := range p {
		p[i], _ = strconv.ParseFloat("1e"+strconv.Itoa(i), 64)
	}
	return p
}()
