// Package tokenizer is a pure-Go reader of Hugging Face tokenizer.json
// files that produces the same token ids, attention masks and type ids as
// Hugging Face's own (Rust) tokenizers library: text in, the tensors a
// transformer's ONNX graph takes out.
//
// Load (or FromJSON) builds a Tokenizer from the file; Encode, EncodePair
// and EncodeBatch tokenize. The pipeline is Hugging Face's: added and
// special tokens ([CLS], <s>, …) are cut out of the text first, with their
// single_word, lstrip, rstrip and normalized flags; the rest is normalized,
// pre-tokenized and split into tokens by the model; the post-processor adds
// the special tokens; truncation and padding come last. Truncation and
// padding are those of the file unless options (WithTruncation,
// WithPadding, WithoutTruncation, WithoutPadding) say otherwise.
//
// Supported components:
//
//   - normalizers: BertNormalizer, Lowercase, StripAccents, NFC, NFD, NFKC,
//     NFKD, Strip, Replace, Prepend, Sequence (ByteLevel, Precompiled and
//     others are registered by their own files);
//   - pre-tokenizers: BertPreTokenizer, Whitespace, WhitespaceSplit,
//     Punctuation, Digits, CharDelimiterSplit, Split, Sequence (plus
//     ByteLevel, Metaspace, … in their own files);
//   - models: WordPiece, WordLevel (BPE and Unigram in their own files); a
//     model without a "type", as old files write it, is recognised by its
//     fields;
//   - post-processors: TemplateProcessing, BertProcessing,
//     RobertaProcessing, ByteLevel, Sequence.
//
// A file naming any other component type fails to load with a
// CodeUnsupported error. Regexes (Split, Replace) are Oniguruma's in
// Hugging Face; those Go's regexp cannot run with the same meaning are
// refused when the file is loaded, except the well-known GPT-2 and
// Llama 3 patterns, which run on hand-written matchers.
//
// Parity is measured, not assumed: parity_test.go encodes a committed
// corpus of about two thousand product texts in many scripts, with
// emoji, control characters and special-token literals, and compares
// every id and mask with goldens written by Hugging Face's tokenizers
// (testdata/tokenizers at the repository root says how to regenerate
// them). Character classes are measured on Hugging Face too (see
// unicode_tables.go), since its Rust crates use other Unicode versions
// than Go.
//
// The package never panics on input: text that is not valid UTF-8 is
// refused with a CodeInvalidUTF8 error. Every error is an [*itemvec.Error]
// whose message starts with "tokenizer: ", whose Op names the exported
// function called ("tokenizer.Load", "tokenizer.Tokenizer.Encode") and
// whose Code (CodeRead, CodeInvalidConfig, …) says why; none is retryable.
// A tokenizer file that cannot be read or used (CodeRead, CodeInvalidConfig,
// CodeUnsupported) is of kind config; a text that cannot be encoded
// (CodeInvalidUTF8, CodeModel, CodeTruncation) of kind bad input. It does no
// I/O besides Load reading the file, and it does not decode ids back to
// text.
package tokenizer
