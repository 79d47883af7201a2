package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/itemvec/itemvec/extract/tokenizer"
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
	stats     *Stats
}

// OpenTextModel loads the text model a spec names: it verifies the model
// and tokenizer files, loads the tokenizer with truncation to the spec's
// max_length, and starts a session and a batcher.
func OpenTextModel(ctx context.Context, specPath string, cfg EncoderConfig) (*TextModel, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	spec, err := onnx.LoadModelSpec(specPath)
	if err != nil {
		return nil, err
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
