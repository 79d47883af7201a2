package modelspec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/itemvec/itemvec/extract"
	"github.com/itemvec/itemvec/onnx"
)

// validTextModelSpec is a valid text model spec for the default BERT
// stand-in (hidden size 64).
func validTextModelSpec() *Spec {
	text := textSpecForTest()
	return &Spec{
		ID:        "text-stand-in@1",
		Kind:      KindText,
		File:      "bert.onnx",
		SHA256:    strings.Repeat("ab", 32),
		OutputDim: 64,
		Text:      &text,
	}
}

// textSpecForTest is a valid text section.
func textSpecForTest() Text {
	return Text{
		TextPrep: extract.TextPrep{
			Tokenizer:       "tokenizer.json",
			TokenizerSHA256: strings.Repeat("cd", 32),
			Fields:          []string{"title", "description"},
			Separator:       ". ",
		},
		TextSpec: onnx.TextSpec{MaxLength: 128, Pooling: onnx.PoolingMean, Normalize: true},
	}
}

func TestParseTextModelSpec(t *testing.T) {
	valid, err := json.Marshal(validTextModelSpec())
	if err != nil {
		t.Fatal(err)
	}
	// edit returns valid JSON with one field of the text section (or, for
	// a name starting with "/", of the spec) replaced, or removed for nil.
	edit := func(field string, value any) []byte {
		var m map[string]any
		if err := json.Unmarshal(valid, &m); err != nil {
			t.Fatal(err)
		}
		target := m["text"].(map[string]any)
		if top, ok := strings.CutPrefix(field, "/"); ok {
			target, field = m, top
		}
		if value == nil {
			delete(target, field)
		} else {
			target[field] = value
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tests := []struct {
		name    string
		data    []byte
		wantErr string // "" for success
	}{
		{"valid", valid, ""},
		{"cls", edit("pooling", "cls"), ""},
		{"pooled", edit("pooling", "pooled"), ""},
		{"one field, no separator", edit("fields", []string{"title"}), ""},
		{"named inputs and output", edit("output", "sentence_embedding"), ""},
		{"no text section", edit("/text", nil), "needs a text section"},
		{"image section too", edit("/image", map[string]any{"width": 4, "height": 4}), "image section is not supported in a text model"},
		{"top-level input", edit("/input", "input_ids"), "names its inputs and output in its text section"},
		{"text section in an image model", edit("/kind", "image"), "text section is not supported in an image model"},
		{"unknown kind", edit("/kind", "audio"), `kind "audio" is not supported`},
		{"unknown text field", edit("max_len", 3), "unknown field"},
		{"no tokenizer", edit("tokenizer", ""), "tokenizer is empty"},
		{"bad tokenizer sha256", edit("tokenizer_sha256", "TODO"), "tokenizer_sha256"},
		{"no max_length", edit("max_length", nil), "max_length 0"},
		{"huge max_length", edit("max_length", onnx.MaxTextLength+1), "max_length"},
		{"unknown pooling", edit("pooling", "max"), `pooling "max"`},
		{"no pooling", edit("pooling", nil), `pooling ""`},
		{"no fields", edit("fields", []string{}), "fields is empty"},
		{"blank field", edit("fields", []string{"title", " "}), "field 1 is empty"},
		{"field twice", edit("fields", []string{"title", "title"}), `"title" is listed twice`},
		{"no separator", edit("separator", nil), "separator is empty"},
		{"same input twice", edit("mask_input", "input_ids"), "three different names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.data)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if s.Kind != KindText || s.Text == nil || s.Text.MaxLength != 128 {
					t.Fatalf("parsed %+v", s)
				}
				return
			}
			if e := assertConfig(t, err); !strings.Contains(e.Error(), tt.wantErr) || e.Retryable() {
				t.Fatalf("error %q: want it to contain %q and not be retryable", e, tt.wantErr)
			}
		})
	}
}

// TestStandInTextSpecFile checks the example spec of the BERT test
// stand-in; onnx/convert/standin's tests check its sha256 against the model.
func TestStandInTextSpecFile(t *testing.T) {
	s, err := Load(filepath.Join("specs", "bert-standin-text.json"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind != KindText || s.OutputDim != 64 || s.Text.Pooling != onnx.PoolingMean || !s.Text.Normalize || s.Text.MaxLength != 128 {
		t.Errorf("unexpected spec %+v, text %+v", s, s.Text)
	}
	if !strings.Contains(s.Source, "TEST STAND-IN") || !strings.Contains(s.ID, "standin") {
		t.Errorf("the stand-in spec must say loudly that it is a test stand-in: id %q, source %q", s.ID, s.Source)
	}
}

func TestVerifyTokenizer(t *testing.T) {
	dir := t.TempDir()
	content := []byte(`{"model": {}}`)
	sum := sha256.Sum256(content)
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), content, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		file    string
		sha     string
		wantErr string
	}{
		{"match", "tokenizer.json", hex.EncodeToString(sum[:]), ""},
		{"absolute", filepath.Join(dir, "tokenizer.json"), strings.ToUpper(hex.EncodeToString(sum[:])), ""},
		{"mismatch", "tokenizer.json", strings.Repeat("0", 64), "stale or corrupt"},
		{"missing", "other.json", strings.Repeat("0", 64), "run make setup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validTextModelSpec()
			s.Text.Tokenizer, s.Text.TokenizerSHA256 = tt.file, tt.sha
			if want := filepath.Join(dir, "tokenizer.json"); tt.wantErr == "" && s.TokenizerPath(dir) != want {
				t.Errorf("TokenizerPath = %q, want %q", s.TokenizerPath(dir), want)
			}
			err := s.VerifyTokenizer(dir)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("VerifyTokenizer: %v", err)
				}
				return
			}
			if e := assertConfig(t, err); !strings.Contains(e.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", e, tt.wantErr)
			}
		})
	}
	t.Run("image model", func(t *testing.T) {
		s := validSpec()
		if s.TokenizerPath(dir) != "" {
			t.Error("an image model has a tokenizer path")
		}
		assertConfig(t, s.VerifyTokenizer(dir))
	})
}

// fakeTextModel is a loaded text model as CheckTextModel sees it.
type fakeTextModel struct {
	out string
	dim int
}

func (f fakeTextModel) OutputName() string { return f.out }
func (f fakeTextModel) OutputDim() int     { return f.dim }

func TestCheckTextModel(t *testing.T) {
	tests := []struct {
		name    string
		spec    func(*Spec)
		model   fakeTextModel
		wantErr string
	}{
		{"match", func(*Spec) {}, fakeTextModel{"last_hidden_state", 64}, ""},
		{"named output", func(s *Spec) { s.Text.Output = "last_hidden_state" }, fakeTextModel{"last_hidden_state", 64}, ""},
		{"other output", func(s *Spec) { s.Text.Output = "sentence_embedding" }, fakeTextModel{"last_hidden_state", 64}, `pools output "last_hidden_state"`},
		{"output dim", func(*Spec) {}, fakeTextModel{"last_hidden_state", 768}, "outputs 768 values per text"},
		{"image spec", func(s *Spec) { s.Text = nil }, fakeTextModel{"last_hidden_state", 64}, "not a text model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validTextModelSpec()
			tt.spec(s)
			err := s.CheckTextModel(tt.model)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckTextModel: %v", err)
				}
				return
			}
			if e := assertConfig(t, err); !strings.Contains(e.Error(), tt.wantErr) {
				t.Fatalf("error %q does not contain %q", e, tt.wantErr)
			}
		})
	}
}
