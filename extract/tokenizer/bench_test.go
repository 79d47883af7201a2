package tokenizer

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkEncode encodes the parity corpus with bert-base-uncased on one
// goroutine, truncation and padding off, and reports tokens per second
// (compare testdata/tokenizers/bench.cjs, which measures Hugging Face's
// tokenizers on the same corpus).
func BenchmarkEncode(b *testing.B) {
	root := repoRoot(b)
	deps := os.Getenv("ITEMVEC_DEPS")
	if deps == "" {
		deps = filepath.Join(root, ".deps")
	}
	path := filepath.Join(deps, "tokenizers", "bert-base-uncased.json")
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("ITEMVEC_REQUIRE_DEPS") == "1" {
			b.Fatal(err)
		}
		b.Skipf("%s is missing; run make setup-test", path)
	}
	tk, err := Load(path, WithoutTruncation(), WithoutPadding())
	if err != nil {
		b.Fatal(err)
	}
	lines := readCorpus(b, root).lines
	bytes := 0
	for _, l := range lines {
		bytes += len(l)
	}
	b.SetBytes(int64(bytes))
	b.ReportAllocs()
	b.ResetTimer()
	tokens := 0
	for range b.N {
		for _, l := range lines {
			enc, err := tk.Encode(l)
			if err != nil {
				b.Fatal(err)
			}
			tokens += enc.Len()
		}
	}
	b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tokens/s")
}
