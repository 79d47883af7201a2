package main

import (
	"bufio"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/extract/tokenizer"
)

func newTokenizeCmd() *cobra.Command {
	var (
		path      string
		maxLength int
	)
	cmd := &cobra.Command{
		Use:   "tokenize --tokenizer tokenizer.json",
		Short: "Tokenize stdin, one line at a time, printing ids/attention_mask/tokens as JSON lines",
		Long: `tokenize reads lines on stdin and prints, for each, one JSON object with "ids",
"attention_mask" and "tokens", as Hugging Face's tokenizers would produce them
for the same tokenizer.json (special tokens added; truncation and padding as
the file configures them). --max-length N truncates to N tokens like HF's
truncation (special tokens included). A line that cannot be tokenized (for
example invalid UTF-8) prints {"line": N, "error": "..."} and the exit status
is 2 at the end.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var opts []tokenizer.Option
			if maxLength > 0 {
				opts = append(opts, tokenizer.WithTruncation(tokenizer.Truncation{MaxLength: maxLength}))
			}
			tok, err := tokenizer.Load(path, opts...)
			if err != nil {
				return err
			}
			sc := bufio.NewScanner(cmd.InOrStdin())
			sc.Buffer(make([]byte, 64*1024), 16<<20)
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer w.Flush()
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			failed := 0
			for n := 1; sc.Scan(); n++ {
				e, err := tok.Encode(sc.Text())
				if err != nil {
					failed++
					if err := enc.Encode(map[string]any{"line": n, "error": err.Error()}); err != nil {
						return err
					}
					continue
				}
				if err := enc.Encode(map[string]any{"ids": e.IDs, "attention_mask": e.AttentionMask, "tokens": e.Tokens}); err != nil {
					return err
				}
			}
			if err := sc.Err(); err != nil {
				return fmt.Errorf("read stdin: %w", err)
			}
			if failed > 0 {
				w.Flush()
				return exitError{code: 2}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "tokenizer", "", "Hugging Face tokenizer.json")
	cmd.Flags().IntVar(&maxLength, "max-length", 0, "truncate to this many tokens, special tokens included (0 = as the file says)")
	_ = cmd.MarkFlagRequired("tokenizer")
	return cmd
}
