package onnx

import (
	"fmt"
	"slices"
)

// checkText reports what is wrong with one tokenized text for a model that
// takes at most maxLen tokens and, when hasTypeIDs is false, has no token
// type input. See [TextSession.CheckText] for what is accepted.
func checkText(maxLen int, hasTypeIDs bool, ids, mask, typeIDs []int64) error {
	n := len(ids)
	if n == 0 {
		return fmt.Errorf("no token ids")
	}
	if n > maxLen {
		return fmt.Errorf("%d token ids; the model takes at most %d (max_length): truncate when tokenizing", n, maxLen)
	}
	if mask != nil && len(mask) != n {
		return fmt.Errorf("%d token ids but %d attention mask values", n, len(mask))
	}
	if typeIDs != nil && len(typeIDs) != n {
		return fmt.Errorf("%d token ids but %d token type ids", n, len(typeIDs))
	}
	for i, id := range ids {
		if id < 0 {
			return fmt.Errorf("token id %d at position %d is negative", id, i)
		}
	}
	if mask != nil {
		ones := 0
		for i, m := range mask {
			if m != 0 && m != 1 {
				return fmt.Errorf("attention mask value %d at position %d: want 0 or 1", m, i)
			}
			ones += int(m)
		}
		if ones == 0 {
			return fmt.Errorf("the attention mask has no 1: nothing to embed")
		}
	}
	for i, t := range typeIDs {
		if t < 0 {
			return fmt.Errorf("token type id %d at position %d is negative", t, i)
		}
	}
	if !hasTypeIDs && slices.ContainsFunc(typeIDs, func(t int64) bool { return t != 0 }) {
		return fmt.Errorf("non-zero token type ids, but the model has no token type input")
	}
	return nil
}
