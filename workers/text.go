package workers

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/itemvec/itemvec/extract"
	"github.com/itemvec/itemvec/internal/cputime"
	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/workers/modelspec"
)

// TextEncoder embeds a product's texts. The worker's text model satisfies
// it; tests put stand-ins in its place.
type TextEncoder interface {
	// EmbedText joins t's fields as the model's spec says, tokenizes the
	// text once and embeds it. A text the model cannot read, or no text at
	// all, gives an embedding with a nil Vector and no error.
	EmbedText(ctx context.Context, t *Text) (TextEmbedding, error)
}

// TextEmbedding is what embedding one product's texts produced.
type TextEmbedding struct {
	// Text is what was tokenized: the spec's fields joined, after its
	// prefix; "" when the product has none of them.
	Text string
	// Tokens are the model's input for Text.
	Tokens extract.Tokens
	// Vector is the model's output; nil when Text is empty or was left
	// out (see LeftOut).
	Vector []float32
	// LeftOut says why a non-empty text was not embedded, or "".
	LeftOut string

	tokenizeCPU time.Duration // for the text stage's CPU figure
}

// UnknownTextRatio is the share of unknown pieces at or above which a text
// is not embedded: a model that cannot read a text (English-only USE Lite
// on Chinese) would give every such text nearly the same vector. The item
// keeps its other blocks and a warning is logged.
const UnknownTextRatio = 0.5

// textModel is a loaded text encoder: tokenizer, ORT session and a
// length-aware micro-batcher.
type textModel struct {
	spec      *modelspec.Spec
	tokenizer extract.TextTokenizer
	session   *onnx.TextSession
	batcher   *onnx.Batcher[extract.Tokens]
	log       *slog.Logger
	// warn, when set, aggregates repeated warnings (the worker's repeatLog).
	warn func(key, msg string, args ...any)
}

// EmbedText implements TextEncoder.
func (m *textModel) EmbedText(ctx context.Context, t *Text) (TextEmbedding, error) {
	var e TextEmbedding
	if t == nil {
		return e, nil
	}
	e.Text = m.spec.Text.Join(map[string]string{"title": t.Title, "description": t.Description})
	if e.Text == "" {
		return e, nil
	}
	var err error
	e.tokenizeCPU = cputime.Measure(func() { e.Tokens, err = m.tokenizer.Tokenize(e.Text) })
	if err != nil {
		return e, err
	}
	if len(e.Tokens.IDs) == 0 {
		e.LeftOut = "the text has no tokens"
		return e, nil
	}
	if r := e.Tokens.UnknownShare; r >= UnknownTextRatio {
		e.LeftOut = fmt.Sprintf("the text model does not know %.0f%% of its pieces", 100*r)
		warn := func(_, msg string, args ...any) { m.log.Warn(msg, args...) }
		if m.warn != nil {
			warn = m.warn
		}
		warn("text_left_out", "text left out: the text model does not know most of it (English-only model on another language?); configure a multilingual text model for such catalogs",
			"model", m.spec.ID, "unknown_share", fmt.Sprintf("%.2f", r), "text", clip(e.Text, 40))
		return e, nil
	}
	e.Vector, err = m.batcher.Submit(ctx, e.Tokens)
	return e, err
}

// tokensRunner runs a text session on batches of extract.Tokens: the
// adapter between the token type, which is extract's, and the session,
// which takes rows of ids.
type tokensRunner struct{ s *onnx.TextSession }

// Check implements onnx.BatchRunner.
func (r tokensRunner) Check(t extract.Tokens) error {
	return r.s.CheckText(t.IDs, t.AttentionMask, t.TypeIDs)
}

// RunBatch implements onnx.BatchRunner.
func (r tokensRunner) RunBatch(ctx context.Context, ts []extract.Tokens) ([][]float32, error) {
	ids := make([][]int64, len(ts))
	var masks, types [][]int64
	for i, t := range ts {
		ids[i] = t.IDs
		if t.AttentionMask != nil {
			if masks == nil {
				masks = make([][]int64, len(ts))
			}
			masks[i] = t.AttentionMask
		}
		if t.TypeIDs != nil {
			if types == nil {
				types = make([][]int64, len(ts))
			}
			types[i] = t.TypeIDs
		}
	}
	return r.s.Run(ctx, ids, masks, types)
}

// OutputDim implements onnx.BatchRunner.
func (r tokensRunner) OutputDim() int { return r.s.OutputDim() }

// clip shortens s to at most n runes for a log line.
func clip(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i] + "…"
		}
		n--
	}
	return s
}
