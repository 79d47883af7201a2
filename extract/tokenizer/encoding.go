package tokenizer

import "fmt"

// Encoding is a tokenized text, ready for a transformer: the four slices
// have one entry per token. IDs, AttentionMask and TypeIDs are int64
// because that is what ONNX text models take (input_ids, attention_mask,
// token_type_ids).
type Encoding struct {
	// IDs are the token ids.
	IDs []int64
	// AttentionMask is 1 for a real token and 0 for padding.
	AttentionMask []int64
	// TypeIDs are the segment ids: 0 for the first sequence of a pair (and
	// its special tokens), usually 1 for the second.
	TypeIDs []int64
	// Tokens are the tokens' strings, as Hugging Face reports them.
	Tokens []string
}

// Len is the number of tokens, padding included.
func (e *Encoding) Len() int { return len(e.IDs) }

func (e *Encoding) grow(n int) {
	if cap(e.IDs)-len(e.IDs) >= n {
		return
	}
	c := len(e.IDs) + n
	e.IDs = append(make([]int64, 0, c), e.IDs...)
	e.AttentionMask = append(make([]int64, 0, c), e.AttentionMask...)
	e.TypeIDs = append(make([]int64, 0, c), e.TypeIDs...)
	e.Tokens = append(make([]string, 0, c), e.Tokens...)
}

func (e *Encoding) push(id int64, token string, typeID int64) {
	e.IDs = append(e.IDs, id)
	e.AttentionMask = append(e.AttentionMask, 1)
	e.TypeIDs = append(e.TypeIDs, typeID)
	e.Tokens = append(e.Tokens, token)
}

// appendEncoding appends o's tokens, with type id typeID.
func (e *Encoding) appendEncoding(o *Encoding, typeID int64) {
	e.IDs = append(e.IDs, o.IDs...)
	e.AttentionMask = append(e.AttentionMask, o.AttentionMask...)
	e.Tokens = append(e.Tokens, o.Tokens...)
	for range o.IDs {
		e.TypeIDs = append(e.TypeIDs, typeID)
	}
}

// concat appends o as it is.
func (e *Encoding) concat(o *Encoding) {
	e.IDs = append(e.IDs, o.IDs...)
	e.AttentionMask = append(e.AttentionMask, o.AttentionMask...)
	e.TypeIDs = append(e.TypeIDs, o.TypeIDs...)
	e.Tokens = append(e.Tokens, o.Tokens...)
}

// truncate keeps n tokens, cutting from side.
func (e *Encoding) truncate(n int, side Side) {
	if n >= len(e.IDs) {
		return
	}
	lo, hi := 0, n
	if side == Left {
		lo, hi = len(e.IDs)-n, len(e.IDs)
	}
	e.IDs = e.IDs[lo:hi]
	e.AttentionMask = e.AttentionMask[lo:hi]
	e.TypeIDs = e.TypeIDs[lo:hi]
	e.Tokens = e.Tokens[lo:hi]
}

// pad fills e up to n tokens.
func (e *Encoding) pad(n int, p *Padding) {
	missing := n - len(e.IDs)
	if missing <= 0 {
		return
	}
	token := p.token()
	if p.Side == Right {
		e.grow(missing)
		for range missing {
			e.IDs = append(e.IDs, p.PadID)
			e.AttentionMask = append(e.AttentionMask, 0)
			e.TypeIDs = append(e.TypeIDs, p.PadTypeID)
			e.Tokens = append(e.Tokens, token)
		}
		return
	}
	ids := make([]int64, n)
	mask := make([]int64, n)
	types := make([]int64, n)
	tokens := make([]string, n)
	for i := range missing {
		ids[i], types[i], tokens[i] = p.PadID, p.PadTypeID, token
	}
	copy(ids[missing:], e.IDs)
	copy(mask[missing:], e.AttentionMask)
	copy(types[missing:], e.TypeIDs)
	copy(tokens[missing:], e.Tokens)
	e.IDs, e.AttentionMask, e.TypeIDs, e.Tokens = ids, mask, types, tokens
}

// padLength is the length p pads encodings of the given longest length to.
func padLength(longest int, p *Padding) int {
	n := longest
	if p.Length > 0 {
		n = p.Length
	}
	if m := p.MultipleOf; m > 0 && n%m != 0 {
		n += m - n%m
	}
	return n
}

// truncatePair truncates a and b (b may be nil) to limit tokens in all, as
// Hugging Face's truncate_encodings does.
func truncatePair(a, b *Encoding, limit int, tr *Truncation) error {
	if limit == 0 {
		a.truncate(0, tr.Side)
		if b != nil {
			b.truncate(0, tr.Side)
		}
		return nil
	}
	total := a.Len()
	if b != nil {
		total += b.Len()
	}
	if total <= limit {
		return nil
	}
	remove := total - limit
	switch tr.Strategy {
	case LongestFirst:
		if b == nil {
			a.truncate(limit, tr.Side)
			return nil
		}
		n1, n2 := a.Len(), b.Len()
		swap := n1 > n2
		if swap {
			n1, n2 = n2, n1
		}
		if n1 > limit {
			n2 = n1
		} else {
			n2 = max(n1, limit-n1)
		}
		if n1+n2 > limit {
			n1 = limit / 2
			n2 = n1 + limit%2
		}
		if swap {
			n1, n2 = n2, n1
		}
		a.truncate(n1, tr.Side)
		b.truncate(n2, tr.Side)
		return nil
	case OnlyFirst, OnlySecond:
		target, which := a, "first"
		if tr.Strategy == OnlySecond {
			if b == nil {
				return newError(CodeTruncation, "truncation strategy OnlySecond needs a second sequence", nil)
			}
			target, which = b, "second"
		}
		if target.Len() <= remove {
			return newError(CodeTruncation, fmt.Sprintf("the %s sequence has %d tokens, too few to remove the %d that max length %d asks for", which, target.Len(), remove, limit), nil)
		}
		target.truncate(target.Len()-remove, tr.Side)
	}
	return nil
}
