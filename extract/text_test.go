package extract

import (
	"strings"
	"testing"

	"github.com/itemvec/itemvec"
)

// textPrepForTest is a valid text preparation.
func textPrepForTest() TextPrep {
	return TextPrep{
		Tokenizer:       "tokenizer.json",
		TokenizerSHA256: strings.Repeat("cd", 32),
		Fields:          []string{"title", "description"},
		Separator:       ". ",
	}
}

func TestTextPrepJoin(t *testing.T) {
	prep := textPrepForTest()
	tests := []struct {
		name   string
		values map[string]string
		want   string
	}{
		{"both", map[string]string{"title": "Red mug", "description": "Holds 350 ml."}, "Red mug. Holds 350 ml."},
		{"order from the spec", map[string]string{"description": "Holds 350 ml.", "title": "Red mug"}, "Red mug. Holds 350 ml."},
		{"trimmed", map[string]string{"title": "  Red mug\n", "description": "\tHolds 350 ml. "}, "Red mug. Holds 350 ml."},
		{"blank skipped", map[string]string{"title": "Red mug", "description": "  "}, "Red mug"},
		{"missing skipped", map[string]string{"description": "Holds 350 ml."}, "Holds 350 ml."},
		{"other fields ignored", map[string]string{"title": "Red mug", "brand": "Acme"}, "Red mug"},
		{"nothing", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := prep.Join(tt.values); got != tt.want {
				t.Errorf("Join = %q, want %q", got, tt.want)
			}
		})
	}
	prep.Prefix = "passage: "
	if got := prep.Join(map[string]string{"title": "Red mug"}); got != "passage: Red mug" {
		t.Errorf("with a prefix: %q", got)
	}
	if got := prep.Join(nil); got != "" {
		t.Errorf("with a prefix and no text: %q", got)
	}
}

func TestTextPrepValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*TextPrep)
		wantErr string // "" for success
	}{
		{"valid", func(*TextPrep) {}, ""},
		{"one field, no separator", func(p *TextPrep) { p.Fields, p.Separator = []string{"title"}, "" }, ""},
		{"use kind", func(p *TextPrep) { p.TokenizerKind = TokenizerUSE }, ""},
		{"no tokenizer", func(p *TextPrep) { p.Tokenizer = "" }, "tokenizer is empty"},
		{"unknown kind", func(p *TextPrep) { p.TokenizerKind = "spm" }, `tokenizer_kind "spm"`},
		{"bad tokenizer sha256", func(p *TextPrep) { p.TokenizerSHA256 = "TODO" }, "tokenizer_sha256"},
		{"no fields", func(p *TextPrep) { p.Fields = nil }, "fields is empty"},
		{"blank field", func(p *TextPrep) { p.Fields = []string{"title", " "} }, "field 1 is empty"},
		{"field twice", func(p *TextPrep) { p.Fields = []string{"title", "title"} }, `"title" is listed twice`},
		{"no separator", func(p *TextPrep) { p.Separator = "" }, "separator is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := textPrepForTest()
			tt.edit(&p)
			err := p.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			e, ok := err.(*itemvec.Error)
			if !ok || e.Code != CodeInvalidSpec || e.Kind != itemvec.KindConfig || !strings.Contains(e.Error(), tt.wantErr) || itemvec.IsRetryable(err) {
				t.Fatalf("error %v (%T): want an invalid_spec *itemvec.Error of kind config containing %q, not retryable", err, err, tt.wantErr)
			}
		})
	}
}
