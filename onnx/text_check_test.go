package onnx

import (
	"strings"
	"testing"
)

func TestCheckText(t *testing.T) {
	const maxLen = 8
	tests := []struct {
		name             string
		hasTypeIDs       bool
		ids, mask, types []int64
		wantErr          string // "" for a text that can run
	}{
		{"ids only", true, []int64{101, 5, 102}, nil, nil, ""},
		{"with mask and types", true, []int64{101, 5, 102}, []int64{1, 1, 0}, []int64{0, 0, 1}, ""},
		{"max length", true, make([]int64, maxLen), nil, nil, ""},
		{"zero types, no type input", false, []int64{1, 2}, nil, []int64{0, 0}, ""},
		{"empty", true, nil, nil, nil, "no token ids"},
		{"too long", true, make([]int64, maxLen+1), nil, nil, "9 token ids; the model takes at most 8"},
		{"mask length", true, []int64{1, 2}, []int64{1}, nil, "1 attention mask values"},
		{"type ids length", true, []int64{1, 2}, nil, []int64{0, 0, 0}, "3 token type ids"},
		{"all masked", true, []int64{1, 2}, []int64{0, 0}, nil, "no 1"},
		{"mask value", true, []int64{1, 2}, []int64{1, 2}, nil, "attention mask value 2 at position 1"},
		{"negative id", true, []int64{-1}, nil, nil, "negative"},
		{"negative type", true, []int64{1, 2}, nil, []int64{0, -1}, "token type id -1 at position 1"},
		{"types, no type input", false, []int64{1, 2}, nil, []int64{0, 1}, "no token type input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkText(maxLen, tt.hasTypeIDs, tt.ids, tt.mask, tt.types)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("checkText: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("checkText = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}
