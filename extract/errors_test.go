package extract

import (
	"errors"
	"io"
	"testing"

	"github.com/itemvec/itemvec"
)

func TestCodeKinds(t *testing.T) {
	tests := []struct {
		code string
		want itemvec.Kind
	}{
		{CodeEmpty, itemvec.KindBadInput},
		{CodeTooLarge, itemvec.KindBadInput},
		{CodeUnsupportedFormat, itemvec.KindBadInput},
		{CodeCorrupt, itemvec.KindBadInput},
		{CodeTooManyPixels, itemvec.KindBadInput},
		{CodeZeroSize, itemvec.KindBadInput},
		{CodeInvalidSpec, itemvec.KindConfig},
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

func TestNewError(t *testing.T) {
	tests := []struct {
		name string
		err  *itemvec.Error
		want string
	}{
		{"no cause", newError("extract.DecodeImage", CodeEmpty, "image is empty (0 bytes)", nil), "image is empty (0 bytes)"},
		{"cause", newError("extract.DecodeImage", CodeCorrupt, "truncated PNG: data ends after 9 bytes", io.ErrUnexpectedEOF),
			"truncated PNG: data ends after 9 bytes: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if tt.err.Op != "extract.DecodeImage" || tt.err.Kind != itemvec.KindBadInput {
				t.Errorf("got %s, want op extract.DecodeImage and kind bad_input", tt.err.DebugString())
			}
		})
	}
	if err := tests[1].err; !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("%v does not wrap io.ErrUnexpectedEOF", err)
	}
}
