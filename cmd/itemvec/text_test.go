package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/itemvec/itemvec/internal/testdeps"
)

func TestTokenizeCommand(t *testing.T) {
	path := testdeps.RequireTest(t, "tokenizers/bert-base-uncased.json")[0]
	tests := []struct {
		name  string
		args  []string
		input string
		want  []string // one JSON line per input line
		code  int
	}{
		{
			name:  "as Hugging Face tokenizes it",
			input: "Héllo wörld! 你好 [MASK] test\n",
			want: []string{`{"attention_mask":[1,1,1,1,1,1,1,1,1],"ids":[101,7592,2088,999,100,100,103,3231,102],` +
				`"tokens":["[CLS]","hello","world","!","[UNK]","[UNK]","[MASK]","test","[SEP]"]}`},
		},
		{
			// Expected ids from HF tokenizers 0.23.2 with setTruncation(4).
			name:  "max length truncates, special tokens included",
			args:  []string{"--max-length", "4"},
			input: "stainless steel espresso machine\n",
			want:  []string{`{"attention_mask":[1,1,1,1],"ids":[101,18676,3886,102],"tokens":["[CLS]","stainless","steel","[SEP]"]}`},
		},
		{
			name:  "invalid UTF-8 fails that line only",
			input: "\xff\xfe bad\nok\n",
			want: []string{`{"error":"tokenizer: text is not valid UTF-8 (first bad byte at offset 0)","line":1}`,
				`{"attention_mask":[1,1,1],"ids":[101,7929,102],"tokens":["[CLS]","ok","[SEP]"]}`},
			code: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := newRootCmd()
			var out strings.Builder
			root.SetOut(&out)
			root.SetIn(strings.NewReader(tc.input))
			root.SetArgs(append([]string{"tokenize", "--tokenizer", path}, tc.args...))
			err := root.Execute()
			if got := exitCode(err); got != tc.code {
				t.Fatalf("exit %d (%v), want %d", got, err, tc.code)
			}
			got := strings.Split(strings.TrimSpace(out.String()), "\n")
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestEmbedText(t *testing.T) {
	testdeps.Require(t, "models/use_lite.onnx", "models/use_lite_vocab.json", "models/mobilenetv2_nsfwjs_gap.onnx")
	out, stderr, err := run(t, "embed", "--text", "Stainless steel espresso machine", "--tokens")
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	var got struct {
		Text struct {
			Model  string    `json:"model"`
			Dim    int       `json:"dim"`
			Vector []float32 `json:"vector"`
			IDs    []int64   `json:"ids"`
			Tokens []string  `json:"tokens"`
		} `json:"text"`
		Modalities []string `json:"modalities"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Text.Model != "use-lite@1" || got.Text.Dim != 512 || len(got.Text.Vector) != 512 {
		t.Errorf("model %q dim %d", got.Text.Model, got.Text.Dim)
	}
	if len(got.Text.IDs) == 0 || len(got.Text.IDs) != len(got.Text.Tokens) || got.Text.Tokens[0] != "▁S" {
		t.Errorf("ids %v tokens %v", got.Text.IDs, got.Text.Tokens)
	}
	if strings.Join(got.Modalities, ",") != "text" {
		t.Errorf("modalities %v", got.Modalities)
	}
}
