package tokenizer

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/itemvec/itemvec"
)

func metaspaceFromJSON(t *testing.T, cfg string) PreTokenizer {
	t.Helper()
	p, err := decodeMetaspace(json.RawMessage(cfg))
	if err != nil {
		t.Fatalf("decodeMetaspace(%s): %v", cfg, err)
	}
	return p
}

// The texts were taken from Hugging Face's tokenizers 0.23.2; Offsets are
// bytes where HF counts characters.
func TestMetaspacePreTokenize(t *testing.T) {
	const (
		always = `{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}`
		legacy = `{"type":"Metaspace","replacement":"▁","add_prefix_space":true}`
		first  = `{"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":false}`
		never  = `{"type":"Metaspace","replacement":"▁","prepend_scheme":"never"}`
		under  = `{"type":"Metaspace","replacement":"_","prepend_scheme":"always"}`
	)
	tests := []struct {
		name string
		cfg  string
		in   []Piece
		want []Piece
	}{
		{"words", always, []Piece{{"Hey friend!", 0}}, []Piece{{"▁Hey", 0}, {"▁friend!", 3}}},
		{"legacy add_prefix_space", legacy, []Piece{{"Hey friend!", 0}}, []Piece{{"▁Hey", 0}, {"▁friend!", 3}}},
		{"a run of spaces", always, []Piece{{"Hey   friend!", 0}},
			[]Piece{{"▁Hey", 0}, {"▁", 3}, {"▁", 4}, {"▁friend!", 5}}},
		{"a leading space is the prefix", always, []Piece{{" Hey", 0}}, []Piece{{"▁Hey", 0}}},
		{"replacement characters in the text split too", always, []Piece{{"a▁▁b ", 0}},
			[]Piece{{"▁a", 0}, {"▁", 1}, {"▁b", 4}, {"▁", 8}}},
		{"the replacement alone", always, []Piece{{"▁", 0}}, []Piece{{"▁", 0}}},
		{"always prepends to every piece", always, []Piece{{"a", 0}, {"b", 5}}, []Piece{{"▁a", 0}, {"▁b", 5}}},
		{"first prepends only at the start of the input, no split", first,
			[]Piece{{"Hey my friend ", 0}, {"how▁are you", 17}},
			[]Piece{{"▁Hey▁my▁friend▁", 0}, {"how▁are▁you", 17}}},
		{"never", never, []Piece{{"a b", 0}}, []Piece{{"a", 0}, {"▁b", 1}}},
		{"ASCII replacement", under, []Piece{{"a_b c", 0}}, []Piece{{"_a", 0}, {"_b", 1}, {"_c", 3}}},
		{"empty pieces vanish", always, []Piece{{"", 0}, {"x", 1}}, []Piece{{"▁x", 1}}},
		{"invalid UTF-8 passes through", never, []Piece{{"a\xe2\x96 b", 0}}, []Piece{{"a\xe2\x96", 0}, {"▁b", 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := metaspaceFromJSON(t, tt.cfg).PreTokenize(tt.in)
			if !slices.Equal(got, tt.want) {
				t.Errorf("PreTokenize(%+v) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecodeMetaspace(t *testing.T) {
	ok := []string{
		`{"type":"Metaspace","replacement":"▁","add_prefix_space":false,"prepend_scheme":"never"}`,
		`{"type":"Metaspace","replacement":"▁","add_prefix_space":null,"split":null}`,
		`{"type":"Metaspace","replacement":"▁","str_rep":"▁","add_prefix_space":true,"prepend_scheme":"always"}`,
		`{"type":"Metaspace","replacement":"▁","unknown":5}`,
	}
	for _, cfg := range ok {
		if _, err := decodeMetaspace(json.RawMessage(cfg)); err != nil {
			t.Errorf("decodeMetaspace(%s): %v", cfg, err)
		}
	}
	bad := []string{
		`{"type":"Metaspace"}`,
		`{"type":"Metaspace","replacement":null}`,
		`{"type":"Metaspace","replacement":""}`,
		`{"type":"Metaspace","replacement":"ab"}`,
		`{"type":"Metaspace","replacement":1}`,
		`{"type":"Metaspace","replacement":"▁","add_prefix_space":false}`,
		`{"type":"Metaspace","replacement":"▁","add_prefix_space":false,"prepend_scheme":"first"}`,
		`{"type":"Metaspace","replacement":"▁","prepend_scheme":"First"}`,
		`{"type":"Metaspace","replacement":"▁","prepend_scheme":null}`,
		`{"type":"Metaspace","replacement":"▁","split":"yes"}`,
		`{"type":"Metaspace","replacement":"▁","str_rep":5}`,
	}
	for _, cfg := range bad {
		_, err := decodeMetaspace(json.RawMessage(cfg))
		var e *itemvec.Error
		if !errors.As(err, &e) || e.Code != CodeInvalidConfig {
			t.Errorf("decodeMetaspace(%s) error = %v, want a %s *itemvec.Error", cfg, err, CodeInvalidConfig)
		}
	}
}
