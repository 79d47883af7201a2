package tokenizer

import (
	"errors"
	"io/fs"
	"os"
	"testing"

	"github.com/itemvec/itemvec"
)

func TestCodeKinds(t *testing.T) {
	tests := []struct {
		code string
		want itemvec.Kind
	}{
		{CodeInvalidUTF8, itemvec.KindBadInput},
		{CodeRead, itemvec.KindConfig},
		{CodeInvalidConfig, itemvec.KindConfig},
		{CodeUnsupported, itemvec.KindConfig},
		{CodeModel, itemvec.KindBadInput},
		{CodeTruncation, itemvec.KindBadInput},
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

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"no cause", newError(CodeModel, "the model refused the text", nil), "tokenizer: the model refused the text"},
		{"cause", newError(CodeRead, "cannot read tokenizer file", fs.ErrNotExist), "tokenizer: cannot read tokenizer file: file does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
	if err := newError(CodeRead, "cannot read tokenizer file", fs.ErrNotExist); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%v does not wrap fs.ErrNotExist", err)
	}
}

// The exported functions name themselves in the Op, whatever internal step
// failed, and keep the code, kind and message.
func TestErrorOp(t *testing.T) {
	tk, err := FromJSON(tinyJSON(t))
	if err != nil {
		t.Fatal(err)
	}
	_, loadErr := Load("testdata/no-such-tokenizer.json")
	_, jsonErr := FromJSON([]byte("{"))
	_, withErr := tk.With(WithTruncation(Truncation{MaxLength: -1}))
	_, encErr := tk.Encode("a\xffb")
	_, pairErr := tk.EncodePair("a", "\xff")
	_, batchErr := tk.EncodeBatch([]string{"a", "\xff"})
	tests := []struct {
		name, op, code, message string
		err                     error
	}{
		{"Load", "tokenizer.Load", CodeRead, "tokenizer: cannot read tokenizer file: open testdata/no-such-tokenizer.json: no such file or directory", loadErr},
		{"FromJSON", "tokenizer.FromJSON", CodeInvalidConfig, "tokenizer: tokenizer.json is not valid JSON of the expected shape: unexpected end of JSON input", jsonErr},
		{"With", "tokenizer.Tokenizer.With", CodeInvalidConfig, "tokenizer: truncation max length -1 and stride 0 must not be negative", withErr},
		{"Encode", "tokenizer.Tokenizer.Encode", CodeInvalidUTF8, "tokenizer: text is not valid UTF-8 (first bad byte at offset 1)", encErr},
		{"EncodePair", "tokenizer.Tokenizer.EncodePair", CodeInvalidUTF8, "tokenizer: text is not valid UTF-8 (first bad byte at offset 0)", pairErr},
		{"EncodeBatch", "tokenizer.Tokenizer.EncodeBatch", CodeInvalidUTF8, "tokenizer: text 1 of 2: text is not valid UTF-8 (first bad byte at offset 0)", batchErr},
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
}

func tinyJSON(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	return data
}
