package tokenizer

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Hugging Face's byte-pair-encoding model, {"type": "BPE"}: a word starts as
// its characters and the merges, best rank first, join neighbouring symbols
// until none applies. The merge order, tie-breaking and the handling of
// unknown characters follow Hugging Face's tokenizers exactly.

func init() {
	registerModel("BPE", decodeBPE)
}

const (
	// bpeCacheCapacity and bpeCacheMaxWord bound the word cache as Hugging
	// Face's do: at most this many words, each shorter than this many bytes.
	bpeCacheCapacity = 10_000
	bpeCacheMaxWord  = 256
)

// bpeConfigError reports a BPE model that cannot be loaded.
func bpeConfigError(format string, args ...any) error {
	return newError(CodeInvalidConfig, "BPE model: "+fmt.Sprintf(format, args...), nil)
}

// bpeModel is a loaded BPE model. It is safe for concurrent use.
type bpeModel struct {
	vocab  map[string]int
	tokens idTokens
	// merges maps a pair of ids (left<<32 | right) to the merge's rank
	// (rank<<32 | id of the merged token).
	merges map[uint64]uint64
	// unk is the unk_token, if the model has one.
	unk    *string
	prefix string // continuing_subword_prefix
	suffix string // end_of_word_suffix
	// byteIDs holds the ids of the tokens <0x00> … <0xFF> for byte_fallback,
	// -1 where the vocabulary lacks one.
	byteIDs      [256]int
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool
	cache        *bpeCache
	scratch      sync.Pool
}

// bpeConfig is the JSON form of a BPE model.
type bpeConfig struct {
	Dropout                 *float64        `json:"dropout"`
	UnkToken                *string         `json:"unk_token"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	FuseUnk                 *bool           `json:"fuse_unk"`
	ByteFallback            *bool           `json:"byte_fallback"`
	IgnoreMerges            *bool           `json:"ignore_merges"`
	Vocab                   map[string]int  `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
}

func decodeBPE(raw json.RawMessage) (Model, error) {
	var cfg bpeConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, newError(CodeInvalidConfig, "BPE model", err)
	}
	if cfg.Dropout != nil && *cfg.Dropout != 0 {
		return nil, newError(CodeUnsupported, fmt.Sprintf(
			"BPE model: dropout %v makes tokenization random; only null or 0 is supported", *cfg.Dropout), nil)
	}
	if cfg.Vocab == nil || cfg.Merges == nil || string(cfg.Merges) == "null" {
		return nil, bpeConfigError("missing vocab or merges")
	}
	merges, err := parseMerges(cfg.Merges)
	if err != nil {
		return nil, err
	}
	m := &bpeModel{
		vocab:        cfg.Vocab,
		unk:          cfg.UnkToken,
		prefix:       deref(cfg.ContinuingSubwordPrefix),
		suffix:       deref(cfg.EndOfWordSuffix),
		fuseUnk:      deref(cfg.FuseUnk),
		byteFallback: deref(cfg.ByteFallback),
		ignoreMerges: deref(cfg.IgnoreMerges),
		cache:        newBPECache(bpeCacheCapacity),
	}
	if m.tokens, err = newIDTokens(cfg.Vocab); err != nil {
		return nil, err
	}
	if m.merges, err = m.mergeMap(merges); err != nil {
		return nil, err
	}
	for b := range m.byteIDs {
		id, ok := m.vocab[fmt.Sprintf("<0x%02X>", b)]
		if !ok {
			id = -1
		}
		m.byteIDs[b] = id
	}
	return m, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// parseMerges reads merges in either form Hugging Face writes: strings
// "left right" (older files; a "#version" line is skipped) or pairs
// ["left", "right"].
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	var pairs [][2]string
	if err := json.Unmarshal(raw, &pairs); err == nil {
		return pairs, nil
	}
	var lines []string
	if err := json.Unmarshal(raw, &lines); err != nil {
		return nil, bpeConfigError(`merges must be strings "a b" or pairs ["a", "b"]`)
	}
	pairs = make([][2]string, 0, len(lines))
	for _, line := range lines {
		if strings.HasPrefix(line, "#version") {
			continue
		}
		left, right, ok := strings.Cut(line, " ")
		if !ok || strings.Contains(right, " ") {
			return nil, bpeConfigError("merge %d, %q, is not two tokens separated by one space", len(pairs)+1, line)
		}
		pairs = append(pairs, [2]string{left, right})
	}
	return pairs, nil
}

// mergeMap resolves merges to ids. A merge's result is left + right without
// right's continuing_subword_prefix. Where a pair is listed twice, the later
// rank wins, as in Hugging Face's hash map.
func (m *bpeModel) mergeMap(merges [][2]string) (map[uint64]uint64, error) {
	out := make(map[uint64]uint64, len(merges))
	for rank, pair := range merges {
		left, okL := m.vocab[pair[0]]
		right, okR := m.vocab[pair[1]]
		if !okL || !okR {
			return nil, bpeConfigError("merge %d (%q %q) has a token not in the vocabulary", rank, pair[0], pair[1])
		}
		if len(pair[1]) < len(m.prefix) {
			return nil, bpeConfigError("merge %d (%q %q): right token is shorter than continuing_subword_prefix", rank, pair[0], pair[1])
		}
		merged := pair[0] + pair[1][len(m.prefix):]
		id, ok := m.vocab[merged]
		if !ok {
			return nil, bpeConfigError("merge %d (%q %q): merged token %q is not in the vocabulary", rank, pair[0], pair[1], merged)
		}
		out[uint64(left)<<32|uint64(right)] = uint64(rank)<<32 | uint64(id)
	}
	return out, nil
}

// Tokenize splits one pre-tokenized word into BPE tokens.
func (m *bpeModel) Tokenize(word string) ([]Token, error) {
	if word == "" {
		return nil, nil
	}
	if m.ignoreMerges {
		if id, ok := m.vocab[word]; ok {
			return []Token{{ID: id, Value: word}}, nil
		}
	}
	if toks, ok := m.cache.get(word); ok {
		return slices.Clone(toks), nil
	}
	sc, _ := m.scratch.Get().(*bpeScratch)
	if sc == nil {
		sc = new(bpeScratch)
	}
	defer m.scratch.Put(sc)
	toks, err := m.mergeWord(word, sc)
	if err != nil {
		return nil, err
	}
	if len(word) < bpeCacheMaxWord {
		m.cache.set(word, slices.Clone(toks))
	}
	return toks, nil
}

// TokenToID returns the id of a vocabulary token.
func (m *bpeModel) TokenToID(token string) (int, bool) {
	id, ok := m.vocab[token]
	return id, ok
}

// IDToToken returns the vocabulary token with this id.
func (m *bpeModel) IDToToken(id int) (string, bool) { return m.tokens.lookup(id) }

// VocabSize returns the number of vocabulary entries.
func (m *bpeModel) VocabSize() int { return len(m.vocab) }

// bpeSymbol is one symbol of a word being merged, in a linked list over
// bpeScratch.symbols.
type bpeSymbol struct {
	id         uint32
	prev, next int32
	// size is the number of input bytes the symbol covers; 0 once it has
	// been merged into its left neighbour.
	size int32
}

// bpeMerge is a candidate merge of the symbol at pos with its right
// neighbour into newID. Candidates are taken lowest rank first, then
// leftmost first.
type bpeMerge struct {
	rank, pos, newID uint32
}

func (a bpeMerge) before(b bpeMerge) bool {
	return a.rank < b.rank || a.rank == b.rank && a.pos < b.pos
}

// bpeScratch is reused across words to avoid allocating per word.
type bpeScratch struct {
	symbols []bpeSymbol
	queue   []bpeMerge
}

func (sc *bpeScratch) push(x bpeMerge) {
	q := append(sc.queue, x)
	i := len(q) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !q[i].before(q[parent]) {
			break
		}
		q[i], q[parent] = q[parent], q[i]
		i = parent
	}
	sc.queue = q
}

func (sc *bpeScratch) pop() bpeMerge {
	q := sc.queue
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q = q[:last]
	for i := 0; ; {
		least, l, r := i, 2*i+1, 2*i+2
		if l < len(q) && q[l].before(q[least]) {
			least = l
		}
		if r < len(q) && q[r].before(q[least]) {
			least = r
		}
		if least == i {
			break
		}
		q[i], q[least] = q[least], q[i]
		i = least
	}
	sc.queue = q
	return top
}

// mergeWord is Hugging Face's BPE::merge_word followed by Word::merge_all.
func (m *bpeModel) mergeWord(w string, sc *bpeScratch) ([]Token, error) {
	syms := sc.symbols[:0]
	add := func(id, size int) {
		n := int32(len(syms))
		if n > 0 {
			syms[n-1].next = n
		}
		syms = append(syms, bpeSymbol{id: uint32(id), prev: n - 1, next: -1, size: int32(size)})
	}
	// A run of unknown characters waits here, to be fused if fuse_unk.
	unkID, unkSize := -1, 0
	for i := 0; i < len(w); {
		_, n := utf8.DecodeRuneInString(w[i:])
		char := w[i : i+n]
		if i > 0 && m.prefix != "" {
			char = m.prefix + char
		}
		if i+n == len(w) && m.suffix != "" {
			char += m.suffix
		}
		i += n
		if id, ok := m.vocab[char]; ok {
			if unkID >= 0 {
				add(unkID, unkSize)
				unkID = -1
			}
			add(id, n)
			continue
		}
		if m.byteFallback && m.allBytesKnown(char) {
			// Like Hugging Face, this does not flush a waiting unknown run.
			for j := range len(char) {
				add(m.byteIDs[char[j]], 1)
			}
			continue
		}
		if m.unk == nil {
			continue // no unk_token: the character is dropped
		}
		switch {
		case unkID >= 0 && m.fuseUnk:
			unkSize += n
		default:
			if unkID >= 0 {
				add(unkID, unkSize)
			}
			id, ok := m.vocab[*m.unk]
			if !ok {
				sc.symbols = syms
				return nil, newError(CodeModel, fmt.Sprintf("BPE model: unk_token %q is not in the vocabulary", *m.unk), nil)
			}
			unkID, unkSize = id, n
		}
	}
	if unkID >= 0 {
		add(unkID, unkSize)
	}
	sc.symbols = syms
	m.mergeAll(sc)

	toks := make([]Token, 0, len(sc.symbols))
	for _, s := range sc.symbols {
		if s.size != 0 {
			toks = append(toks, Token{ID: int(s.id), Value: m.tokens.get(int(s.id))})
		}
	}
	return toks, nil
}

func (m *bpeModel) allBytesKnown(s string) bool {
	for i := range len(s) {
		if m.byteIDs[s[i]] < 0 {
			return false
		}
	}
	return true
}

func (m *bpeModel) lookupMerge(left, right uint32) (rank, newID uint32, ok bool) {
	v, ok := m.merges[uint64(left)<<32|uint64(right)]
	return uint32(v >> 32), uint32(v), ok
}

// mergeAll applies merges to sc.symbols in Hugging Face's order: the
// queued candidate with the lowest (rank, position) first; a candidate whose
// symbols have changed since it was queued is skipped.
func (m *bpeModel) mergeAll(sc *bpeScratch) {
	syms := sc.symbols
	sc.queue = sc.queue[:0]
	for i := 0; i+1 < len(syms); i++ {
		if rank, id, ok := m.lookupMerge(syms[i].id, syms[i+1].id); ok {
			sc.push(bpeMerge{rank: rank, pos: uint32(i), newID: id})
		}
	}
	for len(sc.queue) > 0 {
		top := sc.pop()
		cur := &syms[top.pos]
		if cur.size == 0 || cur.next == -1 {
			continue
		}
		rightPos := cur.next
		right := syms[rightPos]
		if _, id, ok := m.lookupMerge(cur.id, right.id); !ok || id != top.newID {
			continue
		}
		cur.id = top.newID
		cur.size += right.size
		cur.next = right.next
		syms[rightPos].size = 0
		if right.next >= 0 {
			syms[right.next].prev = int32(top.pos)
		}
		if cur.prev >= 0 {
			if rank, id, ok := m.lookupMerge(syms[cur.prev].id, cur.id); ok {
				sc.push(bpeMerge{rank: rank, pos: uint32(cur.prev), newID: id})
			}
		}
		if cur.next >= 0 {
			if rank, id, ok := m.lookupMerge(cur.id, syms[cur.next].id); ok {
				sc.push(bpeMerge{rank: rank, pos: top.pos, newID: id})
			}
		}
	}
}

// idTokens maps ids back to vocabulary tokens: a slice for the usual dense
// ids, a map for any far-off ones.
type idTokens struct {
	dense  []string
	known  []bool
	sparse map[int]string
}

func newIDTokens(vocab map[string]int) (idTokens, error) {
	t := idTokens{}
	limit := 2*len(vocab) + 1024
	for tok, id := range vocab {
		if id < 0 || id > 1<<32-1 {
			return idTokens{}, bpeConfigError("token %q has id %d, outside 0…2³²-1", tok, id)
		}
		if id < limit {
			if id >= len(t.dense) {
				t.dense = append(t.dense, make([]string, id+1-len(t.dense))...)
				t.known = append(t.known, make([]bool, id+1-len(t.known))...)
			}
			if !t.known[id] || tok < t.dense[id] {
				t.dense[id], t.known[id] = tok, true
			}
			continue
		}
		if t.sparse == nil {
			t.sparse = map[int]string{}
		}
		if old, ok := t.sparse[id]; !ok || tok < old {
			t.sparse[id] = tok
		}
	}
	return t, nil
}

func (t idTokens) lookup(id int) (string, bool) {
	if id >= 0 && id < len(t.dense) {
		return t.dense[id], t.known[id]
	}
	tok, ok := t.sparse[id]
	return tok, ok
}

func (t idTokens) get(id int) string {
	tok, _ := t.lookup(id)
	return tok
}

// bpeCache remembers the tokens of words already merged. It holds at most
// capacity words and, once full, keeps the words it has. Its slices are
// never handed out: callers get copies.
type bpeCache struct {
	mu       sync.RWMutex
	words    map[string][]Token
	capacity int
}

func newBPECache(capacity int) *bpeCache {
	return &bpeCache{words: make(map[string][]Token), capacity: capacity}
}

func (c *bpeCache) get(word string) ([]Token, bool) {
	c.mu.RLock()
	toks, ok := c.words[word]
	c.mu.RUnlock()
	return toks, ok
}

func (c *bpeCache) set(word string, toks []Token) {
	c.mu.Lock()
	if len(c.words) < c.capacity {
		c.words[word] = toks
	}
	c.mu.Unlock()
}
