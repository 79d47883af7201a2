package tokenizer

import (
	"testing"

	"github.com/itemvec/itemvec/internal/testdeps"
)

// BenchmarkEncode encodes the parity corpus with bert-base-uncased on one
// goroutine, truncation and padding off, and reports tokens per second
// (compare testdata/tokenizers/bench.cjs, which measures Hugging Face's
// tokenizers on the same corpus).
func BenchmarkEncode(b *testing.B) {
	benchmarkEncode(b, "tokenizers/bert-base-uncased.json")
}

// benchmarkEncode encodes the parity corpus with the tokenizer make
// setup-test put at rel under .deps, on one goroutine, truncation and
// padding off, and reports tokens per second.
func benchmarkEncode(b *testing.B, rel string) {
	tk, err := Load(testdeps.RequireTest(b, rel)[0], WithoutTruncation(), WithoutPadding())
	if err != nil {
		b.Fatal(err)
	}
	lines := readCorpus(b, testdeps.Root(b)).lines
	bytes := 0
	for _, l := range lines {
		bytes += len(l)
	}
	b.SetBytes(int64(bytes))
	b.ReportAllocs()
	tokens := 0
	for b.Loop() {
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
