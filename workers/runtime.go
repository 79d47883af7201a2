package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/onnx"
)

// EncoderConfig says which image model to run and how.
type EncoderConfig struct {
	// ModelsDir is where model files named by specs are (default: .deps/models
	// under the repository, or $ITEMVEC_MODELS_DIR).
	ModelsDir string
	// ImageSpecPath is a model spec file; empty means the built-in
	// MobileNetV2 spec.
	ImageSpecPath string
	// ORTLibrary is the path of libonnxruntime.so; empty means onnx's default.
	ORTLibrary string
	Device     onnx.Device
	// Threads is ORT's intra-op thread count (0 = ORT default).
	Threads int
	// MaxBatch and MaxWait drive the micro-batcher.
	MaxBatch int
	MaxWait  time.Duration
	Logger   *slog.Logger
}

// Encoder is a loaded image model behind a micro-batcher. Close releases it.
type Encoder struct {
	Spec    *onnx.ModelSpec
	Env     *onnx.Environment
	Session *onnx.Session
	Batcher *onnx.Batcher
}

// OpenEncoder verifies the model file against its spec, starts ORT and a
// session on the chosen device, and puts a micro-batcher in front of it.
func OpenEncoder(ctx context.Context, cfg EncoderConfig) (*Encoder, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	spec := onnx.DefaultImageSpec()
	if cfg.ImageSpecPath != "" {
		s, err := onnx.LoadModelSpec(cfg.ImageSpecPath)
		if err != nil {
			return nil, err
		}
		spec = s
	}
	if spec.Image == nil {
		return nil, fmt.Errorf("model spec %s has no image section: not an image encoder", spec.ID)
	}
	dir := cfg.ModelsDir
	if dir == "" {
		dir = DefaultModelsDir()
	}
	if err := spec.VerifyFile(dir); err != nil {
		return nil, err
	}
	env, err := onnx.InitEnvironment(onnx.EnvConfig{LibraryPath: cfg.ORTLibrary, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	sess, err := onnx.NewSession(ctx, env, spec.ModelPath(dir), onnx.SessionConfig{
		Device: cfg.Device, IntraOpThreads: cfg.Threads, Logger: cfg.Logger,
	})
	if err != nil {
		env.Close()
		return nil, err
	}
	if err := spec.CheckModel(sess); err != nil {
		sess.Close()
		env.Close()
		return nil, err
	}
	b := onnx.NewBatcher(sess, onnx.BatcherConfig{MaxBatch: cfg.MaxBatch, MaxWait: cfg.MaxWait, Logger: cfg.Logger})
	return &Encoder{Spec: spec, Env: env, Session: sess, Batcher: b}, nil
}

// Close stops the batcher, frees the session and releases the ORT
// environment.
func (e *Encoder) Close() error {
	e.Batcher.Close()
	return errors.Join(e.Session.Close(), e.Env.Close())
}

// CheckFusion fails when the fusion spec does not match the models: the
// image block must name the image model and its dimension; the text block
// must name the text model and its dimension, or be empty (dim 0) when no
// text model is configured.
func CheckFusion(f *fusion.Spec, e *Encoder, text *TextModel) error {
	img := f.Blocks.Image
	if img.Model != "" && img.Model != e.Spec.ID {
		return fmt.Errorf("fusion spec %s expects image model %q, but %q is configured", f.ID, img.Model, e.Spec.ID)
	}
	if img.Dim != e.Session.OutputDim() {
		return fmt.Errorf("fusion spec %s expects %d image dims, model %s gives %d", f.ID, img.Dim, e.Spec.ID, e.Session.OutputDim())
	}
	tb := f.Blocks.Text
	switch {
	case text == nil && tb.Dim != 0:
		return fmt.Errorf("fusion spec %s has a %d-dim text block (model %q) but no text model is configured (--text-model)", f.ID, tb.Dim, tb.Model)
	case text == nil:
		return nil
	case tb.Dim == 0:
		return fmt.Errorf("a text model (%s) is configured but fusion spec %s has no text block: use a fusion spec whose text block names it (--fusion-spec)", text.Spec.ID, f.ID)
	case tb.Model != "" && tb.Model != text.Spec.ID:
		return fmt.Errorf("fusion spec %s expects text model %q, but %q is configured", f.ID, tb.Model, text.Spec.ID)
	case tb.Dim != text.Session.OutputDim():
		return fmt.Errorf("fusion spec %s expects %d text dims, model %s gives %d", f.ID, tb.Dim, text.Spec.ID, text.Session.OutputDim())
	}
	return nil
}
