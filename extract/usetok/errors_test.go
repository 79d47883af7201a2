package usetok

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/itemvec/itemvec"
)

func TestCodeKinds(t *testing.T) {
	tests := []struct {
		code string
		want itemvec.Kind
	}{
		{CodeInvalidText, itemvec.KindBadInput},
		{CodeBadVocab, itemvec.KindConfig},
		{"no such code", itemvec.KindInternal},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if got := codeKind(tt.code); got != tt.want {
				t.Errorf("codeKind(%q) = %s, want %s", tt.code, got, tt.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	_, loadErr := Load("/nonexistent/vocab.json")
	_, parseErr := Parse([]byte(`[["\ufffd",0]]`))
	tok, err := Parse([]byte(`[["\ufffd",0],["<s>",0],["</s>",0],["x1",0],["x2",0],["x3",0],["a",-1]]`))
	if err != nil {
		t.Fatal(err)
	}
	_, encErr := tok.Encode("ab\xff")
	tests := []struct {
		name, op, code, message string
		err                     error
	}{
		{"Load", "usetok.Load", CodeBadVocab, "usetok: reading the vocabulary: open /nonexistent/vocab.json: no such file or directory", loadErr},
		{"Parse", "usetok.Parse", CodeBadVocab, "usetok: vocabulary has 1 entries, want more than the 6 reserved ones", parseErr},
		{"Encode", "usetok.Tokenizer.Encode", CodeInvalidText, "usetok: text is not valid UTF-8 (first bad byte at offset 2)", encErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := errors.AsType[*itemvec.Error](tt.err)
			if !ok {
				t.Fatalf("error %v (%T) is not an *itemvec.Error", tt.err, tt.err)
			}
			if e.Op != tt.op || e.Code != tt.code || e.Kind != codeKind(tt.code) || e.Error() != tt.message {
				t.Errorf("got %s, want op %q, code %q, kind %s, message %q", e.DebugString(), tt.op, tt.code, codeKind(tt.code), tt.message)
			}
		})
	}
	if !errors.Is(loadErr, fs.ErrNotExist) {
		t.Errorf("%v does not wrap fs.ErrNotExist", loadErr)
	}
}
