package tokenizer

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/itemvec/itemvec/internal/testdeps"
)

// update regenerates the goldens (and other golden files of this package)
// instead of comparing with them. It is the only -update flag of the
// package's tests: every golden-file test uses it.
var update = flag.Bool("update", false, "regenerate golden files (parity goldens need node and `npm ci` in testdata/tokenizers)")

// goldenHeader is the first line of a golden.
type goldenHeader struct {
	Name            string        `json:"name"`
	Source          string        `json:"source"`
	TokenizerSHA256 string        `json:"tokenizer_sha256"`
	CorpusSHA256    string        `json:"corpus_sha256"`
	HFVersion       string        `json:"hf_tokenizers_version"`
	Options         goldenOptions `json:"options"`
}

type goldenOptions struct {
	// Truncation and Padding are "file", "none" or an object.
	Truncation json.RawMessage `json:"truncation"`
	Padding    json.RawMessage `json:"padding"`
	Pairs      bool            `json:"pairs"`
	Batch      int             `json:"batch"`
}

// goldenRecord is HF's encoding of one corpus line, or its error.
type goldenRecord struct {
	IDs     []int64  `json:"ids"`
	Mask    []int64  `json:"mask"`
	TypeIDs []int64  `json:"type_ids"`
	Tokens  []string `json:"tokens"`
	Error   string   `json:"error"`
}

// TestParity encodes the corpus with every tokenizer that has a golden in
// testdata/golden and requires the ids, attention masks and type ids
// Hugging Face's tokenizers produced, line for line. With -update it first
// rewrites each golden (those -run selects) with the source and options its
// header names; a new golden is made by running golden.cjs once (see
// testdata/tokenizers/README.md at the repository root).
func TestParity(t *testing.T) {
	root := testdeps.Root(t)
	files, err := filepath.Glob("testdata/golden/*.golden.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no goldens in testdata/golden")
	}
	corpus := readCorpus(t, root)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".golden.jsonl.gz")
		t.Run(name, func(t *testing.T) {
			if *update {
				regenerateGolden(t, root, f)
			}
			checkGolden(t, f, corpus)
		})
	}
}

type corpusFile struct {
	lines  []string
	sha256 string
}

func readCorpus(t testing.TB, root string) corpusFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "testdata", "tokenizers", "corpus.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	c := corpusFile{sha256: hex.EncodeToString(sum[:])}
	for i, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var s string
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatalf("corpus line %d: %v", i+1, err)
		}
		c.lines = append(c.lines, s)
	}
	return c
}

// sourcePath is the file a golden's source names; ok is false for a
// missing deps: file.
func sourcePath(tb testing.TB, source string) (path string, ok bool) {
	tb.Helper()
	kind, rel, _ := strings.Cut(source, ":")
	switch kind {
	case "deps":
		path = filepath.Join(testdeps.Dir(tb), filepath.FromSlash(rel))
		_, err := os.Stat(path)
		return path, err == nil
	case "repo":
		return filepath.Join(testdeps.Root(tb), filepath.FromSlash(rel)), true
	}
	return "", false
}

// resolveSource finds the tokenizer file of a golden. A missing deps file
// skips the test unless ITEMVEC_REQUIRE_DEPS=1.
func resolveSource(t *testing.T, source string) string {
	t.Helper()
	if !strings.HasPrefix(source, "deps:") && !strings.HasPrefix(source, "repo:") {
		t.Fatalf("bad source %q: want deps: or repo:", source)
	}
	path, ok := sourcePath(t, source)
	if !ok {
		testdeps.Missing(t, "%s: %s is missing: run make setup-test", source, path)
	}
	return path
}

// regenerateGolden rewrites a golden with golden.cjs, from the name,
// source and options in its header.
func regenerateGolden(t *testing.T, root, file string) {
	t.Helper()
	h := readGoldenHeader(t, file)
	dir := filepath.Join(root, "testdata", "tokenizers")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "tokenizers")); err != nil {
		t.Fatalf("-update needs Hugging Face's tokenizers for node: run npm ci in %s", dir)
	}
	path := resolveSource(t, h.Source)
	out, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	optArgs, err := h.Options.cliArgs()
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	args := append([]string{"golden.cjs", "--name", h.Name, "--tokenizer", path, "--source", h.Source, "--out", out}, optArgs...)
	cmd := exec.Command("node", args...)
	cmd.Dir = dir
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("golden %s: node %s: %v\n%s", h.Name, strings.Join(args, " "), err, msg)
	}
}

func checkGolden(t *testing.T, file string, corpus corpusFile) {
	header, records := readGolden(t, file)
	path := resolveSource(t, header.Source)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != header.TokenizerSHA256 {
		t.Fatalf("%s changed since the golden was written; regenerate with -update", path)
	}
	if header.CorpusSHA256 != corpus.sha256 || len(records) != len(corpus.lines) {
		t.Fatalf("the corpus changed since the golden was written (%d records, %d lines); regenerate with -update", len(records), len(corpus.lines))
	}
	opts, err := header.Options.tokenizerOptions()
	if err != nil {
		t.Fatal(err)
	}
	tk, err := FromJSON(data, opts...)
	if err != nil {
		t.Fatalf("load %s: %v", header.Source, err)
	}
	got := encodeCorpus(tk, corpus.lines, header.Options)
	matched, tokenDiffs := 0, 0
	var report []string
	for i, want := range records {
		g := got[i]
		ok, why := sameEncoding(want, g)
		if ok {
			matched++
			if g.err == nil && !slices.Equal(want.Tokens, g.enc.Tokens) {
				tokenDiffs++
			}
			continue
		}
		if len(report) < 8 {
			report = append(report, fmt.Sprintf("line %d %+.120q:\n%s", i+1, corpus.lines[i], why))
		}
	}
	t.Logf("%s: %d/%d lines identical (ids, masks, type ids); %d differ only in token strings", header.Name, matched, len(records), tokenDiffs)
	if matched != len(records) {
		t.Errorf("%s: %d of %d lines differ from Hugging Face %s; first:\n%s", header.Name, len(records)-matched, len(records), header.HFVersion, strings.Join(report, "\n"))
	}
}

func readGolden(t testing.TB, file string) (goldenHeader, []goldenRecord) {
	t.Helper()
	var h goldenHeader
	var records []goldenRecord
	decodeGolden(t, file, func(dec *json.Decoder) {
		if err := dec.Decode(&h); err != nil {
			t.Fatalf("%s header: %v", file, err)
		}
		for {
			var r goldenRecord
			if err := dec.Decode(&r); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s record %d: %v", file, len(records)+1, err)
			}
			records = append(records, r)
		}
	})
	return h, records
}

func readGoldenHeader(t testing.TB, file string) goldenHeader {
	t.Helper()
	var h goldenHeader
	decodeGolden(t, file, func(dec *json.Decoder) {
		if err := dec.Decode(&h); err != nil {
			t.Fatalf("%s header: %v", file, err)
		}
	})
	return h
}

func decodeGolden(t testing.TB, file string, read func(*json.Decoder)) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	read(json.NewDecoder(bufio.NewReader(zr)))
}

// readGzipJSON decodes the JSON value in the gzipped file into v.
func readGzipJSON(t testing.TB, file string, v any) {
	t.Helper()
	decodeGolden(t, file, func(d *json.Decoder) {
		if err := d.Decode(v); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	})
}

// goldenTruncation and goldenPadding are the object forms of the header's
// options, as golden.cjs writes them.
type goldenTruncation struct {
	MaxLength int    `json:"max_length"`
	Strategy  string `json:"strategy"`
	Stride    int    `json:"stride"`
	Direction string `json:"direction"`
}

type goldenPadding struct {
	Strategy   string `json:"strategy"`
	Length     int    `json:"length"`
	MultipleOf int    `json:"pad_to_multiple_of"`
	Direction  string `json:"direction"`
}

// settings decodes the truncation and padding options; mode is "file",
// "none" or "" when the object is set.
func (o goldenOptions) settings() (truncMode string, tr goldenTruncation, padMode string, pad goldenPadding, err error) {
	decode := func(raw json.RawMessage, obj any) (string, error) {
		var mode string
		if len(raw) == 0 {
			return "file", nil
		}
		if json.Unmarshal(raw, &mode) == nil {
			if mode != "file" && mode != "none" {
				return "", fmt.Errorf("unknown option %q", mode)
			}
			return mode, nil
		}
		return "", json.Unmarshal(raw, obj)
	}
	if truncMode, err = decode(o.Truncation, &tr); err != nil {
		return
	}
	padMode, err = decode(o.Padding, &pad)
	return
}

// tokenizerOptions are the Options that give the golden's settings.
func (o goldenOptions) tokenizerOptions() ([]Option, error) {
	truncMode, tr, padMode, pad, err := o.settings()
	if err != nil {
		return nil, err
	}
	var opts []Option
	switch truncMode {
	case "none":
		opts = append(opts, WithoutTruncation())
	case "":
		t := Truncation{MaxLength: tr.MaxLength, Stride: tr.Stride}
		t.Strategy = map[string]TruncationStrategy{"OnlyFirst": OnlyFirst, "OnlySecond": OnlySecond}[tr.Strategy]
		if tr.Direction == "left" {
			t.Side = Left
		}
		opts = append(opts, WithTruncation(t))
	}
	switch padMode {
	case "none":
		opts = append(opts, WithoutPadding())
	case "":
		p := Padding{MultipleOf: pad.MultipleOf}
		if pad.Strategy == "fixed" {
			p.Length = pad.Length
		}
		if pad.Direction == "left" {
			p.Side = Left
		}
		opts = append(opts, WithPadding(p))
	}
	return opts, nil
}

// cliArgs are the golden.cjs options that give the golden's settings.
func (o goldenOptions) cliArgs() ([]string, error) {
	truncMode, tr, padMode, pad, err := o.settings()
	if err != nil {
		return nil, err
	}
	var args []string
	switch truncMode {
	case "none":
		args = append(args, "--no-truncation")
	case "":
		args = append(args, "--max-length", fmt.Sprint(tr.MaxLength), "--strategy", tr.Strategy, "--stride", fmt.Sprint(tr.Stride), "--direction", tr.Direction)
	}
	switch padMode {
	case "none":
		args = append(args, "--no-padding")
	case "":
		args = append(args, "--padding", pad.Strategy, "--padding-direction", pad.Direction)
		if pad.Strategy == "fixed" {
			args = append(args, "--pad-length", fmt.Sprint(pad.Length))
		}
		if pad.MultipleOf > 0 {
			args = append(args, "--pad-to-multiple-of", fmt.Sprint(pad.MultipleOf))
		}
	}
	if o.Pairs {
		args = append(args, "--pairs")
	}
	if o.Batch > 0 {
		args = append(args, "--batch", fmt.Sprint(o.Batch))
	}
	return args, nil
}

type encoded struct {
	enc *Encoding
	err error
}

// encodeCorpus encodes every line as golden.cjs did.
func encodeCorpus(tk *Tokenizer, lines []string, o goldenOptions) []encoded {
	out := make([]encoded, len(lines))
	switch {
	case o.Batch > 0:
		for i := 0; i < len(lines); i += o.Batch {
			chunk := lines[i:min(i+o.Batch, len(lines))]
			encs, err := tk.EncodeBatch(chunk)
			for k := range chunk {
				if err != nil {
					out[i+k] = encoded{err: err}
				} else {
					out[i+k] = encoded{enc: encs[k]}
				}
			}
		}
	case o.Pairs:
		for i := range lines {
			enc, err := tk.EncodePair(lines[i], lines[(i+1)%len(lines)])
			out[i] = encoded{enc, err}
		}
	default:
		for i := range lines {
			enc, err := tk.Encode(lines[i])
			out[i] = encoded{enc, err}
		}
	}
	return out
}

// sameEncoding compares a golden record with what this package made of the
// line, saying how they differ.
func sameEncoding(want goldenRecord, got encoded) (bool, string) {
	switch {
	case want.Error != "" && got.err != nil:
		return true, ""
	case want.Error != "":
		return false, fmt.Sprintf("  HF refused it (%s), Go encoded it: %q", want.Error, got.enc.Tokens)
	case got.err != nil:
		return false, fmt.Sprintf("  Go refused it (%v), HF encoded it: %q", got.err, want.Tokens)
	}
	e := got.enc
	if slices.Equal(want.IDs, e.IDs) && slices.Equal(want.Mask, e.AttentionMask) && slices.Equal(want.TypeIDs, e.TypeIDs) {
		return true, ""
	}
	first := 0
	for first < len(want.IDs) && first < len(e.IDs) && want.IDs[first] == e.IDs[first] &&
		want.Mask[first] == e.AttentionMask[first] && want.TypeIDs[first] == e.TypeIDs[first] {
		first++
	}
	lo := max(first-3, 0)
	window := func(ids, mask, types []int64, tokens []string) string {
		var b strings.Builder
		for i := lo; i < min(first+6, len(ids)); i++ {
			tok := ""
			if i < len(tokens) {
				tok = tokens[i]
			}
			fmt.Fprintf(&b, " %q=%d", tok, ids[i])
			if mask[i] == 0 || types[i] != 0 {
				fmt.Fprintf(&b, "(m%d,t%d)", mask[i], types[i])
			}
		}
		return b.String()
	}
	return false, fmt.Sprintf("  lengths HF %d, Go %d; first difference at token %d\n  HF:%s\n  Go:%s",
		len(want.IDs), len(e.IDs), first,
		window(want.IDs, want.Mask, want.TypeIDs, want.Tokens),
		window(e.IDs, e.AttentionMask, e.TypeIDs, e.Tokens))
}
