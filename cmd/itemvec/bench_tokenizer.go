//go:build !worker

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/extract/tokenizer"
)

// benchTokenizer measures this package's tokenizer single-threaded on the
// parity corpus and, in the same run, Hugging Face's tokenizers (the pinned
// npm binding, testdata/tokenizers/bench.cjs) on the same corpus, and prints
// both and their ratio.
func benchTokenizer(w io.Writer, path, corpus string, seconds time.Duration) error {
	if corpus == "" {
		corpus = itemvec.FindInTree(filepath.Join("testdata", "tokenizers", "corpus.jsonl"))
	}
	lines, err := readCorpus(corpus)
	if err != nil {
		return err
	}
	tok, err := tokenizer.Load(path, tokenizer.WithoutTruncation(), tokenizer.WithoutPadding())
	if err != nil {
		return err
	}
	pass := func() int {
		n := 0
		for _, l := range lines {
			if e, err := tok.Encode(l); err == nil {
				n += len(e.IDs)
			}
		}
		return n
	}
	pass() // warm caches, as HF's first pass does
	var tokens, passes int
	start := time.Now()
	for time.Since(start) < seconds || passes == 0 {
		tokens += pass()
		passes++
	}
	goRate := float64(tokens) / time.Since(start).Seconds()
	fmt.Fprintf(w, "\nitemvec bench --tokenizer %s (%d corpus lines from %s)\n", filepath.Base(path), len(lines), corpus)
	fmt.Fprintf(w, "  itemvec (Go, 1 goroutine)             : %10.0f tokens/s (%d passes)\n", goRate, passes)

	hf, err := runHFBench(path, corpus, seconds)
	if err != nil {
		fmt.Fprintf(w, "  Hugging Face tokenizers (npm)         : not measured: %v\n", err)
		return nil
	}
	fmt.Fprintf(w, "  HF tokenizers %-7s encode, 1 by 1   : %10.0f tokens/s   ratio itemvec/HF %.2f\n", hf.Version, hf.Encode.Rate, goRate/hf.Encode.Rate)
	fmt.Fprintf(w, "  HF encodeBatch, 1 core                : %10.0f tokens/s   ratio itemvec/HF %.2f\n", hf.Batch1.Rate, goRate/hf.Batch1.Rate)
	fmt.Fprintf(w, "  HF encodeBatch, all %2d cores          : %10.0f tokens/s\n", hf.CPUs, hf.Batch.Rate)
	if hf.Tokens != tokens/passes {
		fmt.Fprintf(w, "  note: HF counted %d tokens per pass, itemvec %d\n", hf.Tokens, tokens/passes)
	}
	return nil
}

type hfRate struct {
	Rate float64 `json:"tokens_per_second"`
}

type hfBench struct {
	Version string `json:"hf_tokenizers_version"`
	CPUs    int    `json:"cpus"`
	Tokens  int    `json:"corpus_tokens"`
	Encode  hfRate `json:"encode"`
	Batch   hfRate `json:"encodeBatch"`
	Batch1  hfRate `json:"encodeBatch1"`
}

func runHFBench(path, corpus string, seconds time.Duration) (*hfBench, error) {
	script := itemvec.FindInTree(filepath.Join("testdata", "tokenizers", "bench.cjs"))
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "tokenizers")); err != nil {
		return nil, fmt.Errorf("run `npm ci` in %s first", filepath.Dir(script))
	}
	var out, errOut bytes.Buffer
	cmd := exec.Command("node", script, "--tokenizer", path, "--corpus", corpus,
		"--seconds", fmt.Sprint(seconds.Seconds()))
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, errOut.String())
	}
	var hf hfBench
	if err := json.Unmarshal(out.Bytes(), &hf); err != nil {
		return nil, err
	}
	return &hf, nil
}

// readCorpus reads a JSON-lines corpus (one JSON string per line).
func readCorpus(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var s string
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		lines = append(lines, s)
	}
	return lines, sc.Err()
}
