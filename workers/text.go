package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/itemvec/itemvec/extract/tokenizer"
	"github.com/itemvec/itemvec/extract/usetok"
	"github.com/itemvec/itemvec/onnx"
)

// TextEncoder embeds a product's texts. *TextModel satisfies it.
type TextEncoder interface {
	// EmbedText returns the text embedding of t, or nil and no error when
	// t has no text in the fields the model reads.
	EmbedText(ctx context.Context, t *Text) ([]float32, error)
}

// TextTokenizer turns one text into model input. The Hugging Face
// tokenizer (extract/tokenizer) satisfies it through hfTokenizer.
type TextTokenizer interface {
	Tokenize(text string) (onnx.TextInput, error)
}

// TextModel is a loaded text encoder: tokenizer, ORT session and a
// length-aware micro-batcher. Close releases it.
type TextModel struct {
	Spec      *onnx.ModelSpec
	Tokenizer TextTokenizer
	Session   *onnx.TextSession
	Batcher   *onnx.TextBatcher
	env       *onnx.Environment
	log       *slog.Logger
}

// UnknownTextRatio is the share of unknown pieces above which a text is not
// embedded: a model that cannot read a text (English-only USE Lite on
// Chinese) would give every such text nearly the same vector. The item keeps
// its other blocks and a warning is logged.
const UnknownTextRatio = 0.5

// OpenTextModel loads the text model the spec file at specPath names.
func OpenTextModel(ctx context.Context, specPath string, cfg EncoderConfig) (*TextModel, error) {
	spec, err := onnx.LoadModelSpec(specPath)
	if err != nil {
		return nil, err
	}
	return OpenTextModelSpec(ctx, spec, cfg)
}

// OpenTextModelSpec verifies the model and tokenizer files of spec, loads
// the tokenizer with truncation to the spec's max_length, and starts a
// session and a length-aware batcher.
func OpenTextModelSpec(ctx context.Context, spec *onnx.ModelSpec, cfg EncoderConfig) (*TextModel, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if spec.Text == nil {
		return nil, fmt.Errorf("model spec %s has no text section: not a text encoder", spec.ID)
	}
	dir := cfg.ModelsDir
	if dir == "" {
		dir = DefaultModelsDir()
	}
	if err := spec.VerifyFile(dir); err != nil {
		return nil, err
	}
	if err := spec.VerifyTokenizer(dir); err != nil {
		return nil, err
	}
	tok, err := openTokenizer(spec, dir)
	if err != nil {
		return nil, err
	}
	env, err := onnx.InitEnvironment(onnx.EnvConfig{LibraryPath: cfg.ORTLibrary, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	sess, err := onnx.NewTextSession(ctx, env, spec.ModelPath(dir), *spec.Text, onnx.SessionConfig{
		Device: cfg.Device, IntraOpThreads: cfg.Threads, Logger: cfg.Logger,
	})
	if err != nil {
		env.Close()
		return nil, err
	}
	if err := spec.CheckTextModel(sess); err != nil {
		sess.Close()
		env.Close()
		return nil, err
	}
	b := onnx.NewTextBatcher(sess, onnx.TextBatcherConfig{MaxBatch: cfg.MaxBatch, MaxWait: cfg.MaxWait, Logger: cfg.Logger})
	return &TextModel{Spec: spec, Tokenizer: tok, Session: sess, Batcher: b, env: env, log: cfg.Logger}, nil
}

func openTokenizer(spec *onnx.ModelSpec, dir string) (TextTokenizer, error) {
	if spec.Text.TokenizerKind == onnx.TokenizerUSE {
		t, err := usetok.Load(spec.TokenizerPath(dir))
		if err != nil {
			return nil, fmt.Errorf("text model %s: %w", spec.ID, err)
		}
		return useTokenizer{t: t, max: spec.Text.MaxLength}, nil
	}
	t, err := tokenizer.Load(spec.TokenizerPath(dir),
		tokenizer.WithTruncation(tokenizer.Truncation{MaxLength: spec.Text.MaxLength}),
		tokenizer.WithoutPadding())
	if err != nil {
		return nil, fmt.Errorf("text model %s: %w", spec.ID, err)
	}
	return hfTokenizer{t}, nil
}

// hfTokenizer adapts a Hugging Face tokenizer.
type hfTokenizer struct{ t *tokenizer.Tokenizer }

func (h hfTokenizer) Tokenize(text string) (onnx.TextInput, error) {
	enc, err := h.t.Encode(text)
	if err != nil {
		return onnx.TextInput{}, err
	}
	return onnx.TextInput{IDs: enc.IDs, AttentionMask: enc.AttentionMask, TypeIDs: enc.TypeIDs}, nil
}

// useTokenizer adapts Universal Sentence Encoder Lite's tokenizer: no
// special tokens, truncated to the model's length.
type useTokenizer struct {
	t   *usetok.Tokenizer
	max int
}

func (u useTokenizer) Tokenize(text string) (onnx.TextInput, error) {
	ids, err := u.t.Encode(text)
	if err != nil {
		return onnx.TextInput{}, err
	}
	if len(ids) > u.max {
		ids = ids[:u.max]
	}
	return onnx.TextInput{IDs: ids}, nil
}

// UnknownRatio is the share of ids the vocabulary does not know.
func (u useTokenizer) UnknownRatio(ids []int64) float64 { return u.t.UnknownRatio(ids) }

// Tokens returns the pieces of text.
func (u useTokenizer) Tokens(text string) ([]string, error) {
	ids, err := u.t.Encode(text)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = u.t.Piece(id)
	}
	return out, nil
}

// Close stops the batcher and frees the session and the environment.
func (m *TextModel) Close() error {
	m.Batcher.Close()
	return errors.Join(m.Session.Close(), m.env.Close())
}

// Text joins the fields the spec names ("title", "description").
func (m *TextModel) Text(t *Text) string {
	if t == nil {
		return ""
	}
	return m.Spec.Text.JoinFields(map[string]string{"title": t.Title, "description": t.Description})
}

// EmbedText tokenizes and embeds t.
func (m *TextModel) EmbedText(ctx context.Context, t *Text) ([]float32, error) {
	text := m.Text(t)
	if text == "" {
		return nil, nil
	}
	in, err := m.Tokenizer.Tokenize(text)
	if err != nil {
		return nil, err
	}
	if len(in.IDs) == 0 {
		return nil, nil
	}
	if u, ok := m.Tokenizer.(interface{ UnknownRatio([]int64) float64 }); ok {
		if r := u.UnknownRatio(in.IDs); r >= UnknownTextRatio {
			m.log.Warn("text left out: the text model does not know most of it (English-only model on another language?); configure a multilingual text model for such catalogs",
				"model", m.Spec.ID, "unknown_share", fmt.Sprintf("%.2f", r), "text", clip(text, 40))
			return nil, nil
		}
	}
	return m.Batcher.Submit(ctx, in)
}

// Tokens returns the token strings of text, for debugging output.
func (h hfTokenizer) Tokens(text string) ([]string, error) {
	enc, err := h.t.Encode(text)
	if err != nil {
		return nil, err
	}
	return enc.Tokens, nil
}
