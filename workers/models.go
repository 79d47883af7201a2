package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/extract"
	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/workers/modelspec"
)

// models are the loaded models of a worker and the C resources behind them:
// one ORT environment handle, a session and a micro-batcher per model. Only
// close frees them.
type models struct {
	env    *onnx.Environment
	image  *imageModel
	text   *textModel // nil without a text model
	fusion *fusion.Spec
}

// imageModel is an image encoder: its spec, its sessions (one or more
// copies of the model, see ModelConfig.ImageSessions) and the one batcher
// in front of them. session is sessions[0], for what they share.
type imageModel struct {
	spec     *modelspec.Spec
	session  *onnx.Session
	sessions []*onnx.Session
	threads  int // intra-op threads of each session; 0: ORT's default
	batcher  *onnx.Batcher[[]float32]
}

// openModels reads the specs mc names, checks every file against its
// sha256 before loading anything, loads ONNX Runtime and one session per
// model on mc.Device, puts a micro-batcher in front of each, and checks the
// fusion spec against the models. On failure everything opened is closed
// again.
func openModels(ctx context.Context, mc ModelConfig, log *slog.Logger, met *metrics) (_ *models, err error) {
	imgSpec, textSpec, fs, err := readSpecs(mc)
	if err != nil {
		return nil, err
	}
	for _, s := range []*modelspec.Spec{imgSpec, textSpec} {
		if s == nil {
			continue
		}
		if err := s.VerifyFile(mc.Dir); err != nil {
			return nil, err
		}
		if s.Text != nil {
			if err := s.VerifyTokenizer(mc.Dir); err != nil {
				return nil, err
			}
		}
	}

	env, err := onnx.InitEnvironment(onnx.EnvConfig{LibraryPath: mc.ORTLibrary, Logger: log})
	if err != nil {
		return nil, err
	}
	m := &models{env: env, fusion: fs}
	defer func() {
		if err != nil {
			err = errors.Join(err, m.close())
		}
	}()
	sc := onnx.SessionConfig{Device: mc.Device, IntraOpThreads: intraOpThreads(mc, textSpec != nil), Logger: log}
	isc := sc
	var sessions int
	sessions, isc.IntraOpThreads = imageSessions(mc, textSpec != nil)
	if m.image, err = openImageModel(ctx, env, imgSpec, mc, isc, sessions, log, met.observeBatches("image")); err != nil {
		return nil, err
	}
	if textSpec != nil {
		if m.text, err = openTextModel(ctx, env, textSpec, mc, sc, log, met.observeBatches("text")); err != nil {
			return nil, err
		}
	}
	if err := checkFusion(fs, m.image, m.text); err != nil {
		return nil, err
	}
	return m, nil
}

// readSpecs reads the image, text (nil for none) and fusion specs mc names.
func readSpecs(mc ModelConfig) (img, text *modelspec.Spec, fs *fusion.Spec, err error) {
	img = modelspec.DefaultImage()
	if mc.Image != "" {
		if img, err = modelspec.Load(mc.Image); err != nil {
			return nil, nil, nil, err
		}
	}
	if img.Image == nil {
		return nil, nil, nil, itemvec.Errorf(itemvec.KindConfig, "workers.readSpecs", "model spec %s has no image section: not an image encoder", img.ID)
	}
	switch mc.Text {
	case TextModelNone:
	case TextModelUSELite:
		text = modelspec.DefaultText()
	default:
		if text, err = modelspec.Load(mc.Text); err != nil {
			return nil, nil, nil, err
		}
		if text.Text == nil {
			return nil, nil, nil, itemvec.Errorf(itemvec.KindConfig, "workers.readSpecs", "model spec %s has no text section: not a text encoder", text.ID)
		}
	}
	switch {
	case mc.Fusion != "":
		fs, err = fusion.LoadSpec(mc.Fusion)
	case mc.Text == TextModelNone:
		fs = fusion.DefaultSpec()
	case mc.Text == TextModelUSELite:
		fs = fusion.DefaultTextSpec()
	default:
		err = itemvec.Errorf(itemvec.KindConfig, "workers.readSpecs",
			"text model %s needs a fusion spec whose text block names it: pass --fusion-spec (see README, 'Text models')", mc.Text)
	}
	return img, text, fs, err
}

// openImageModel starts n sessions of an image model and one batcher in
// front of them.
func openImageModel(ctx context.Context, env *onnx.Environment, spec *modelspec.Spec, mc ModelConfig, sc onnx.SessionConfig, n int, log *slog.Logger, observe func(onnx.BatchInfo)) (_ *imageModel, err error) {
	m := &imageModel{spec: spec, threads: sc.IntraOpThreads}
	defer func() {
		if err != nil {
			err = errors.Join(err, m.closeSessions())
		}
	}()
	runners := make([]onnx.BatchRunner[[]float32], 0, n)
	for range n {
		sess, err := onnx.NewSession(ctx, env, spec.ModelPath(mc.Dir), sc)
		if err != nil {
			return nil, err
		}
		m.sessions = append(m.sessions, sess)
		if err := spec.CheckModel(sess); err != nil {
			return nil, err
		}
		runners = append(runners, sess)
	}
	m.session = m.sessions[0]
	if m.batcher, err = onnx.NewPooledBatcher(runners, onnx.BatcherConfig[[]float32]{
		MaxBatch: mc.MaxBatch, MaxWait: mc.MaxWait, Logger: log, Observe: observe,
	}); err != nil {
		return nil, err
	}
	if n > 1 {
		log.Debug("image model: several sessions behind one batcher", "model", spec.ID, "sessions", n, "threads", sc.IntraOpThreads)
	}
	return m, nil
}

// closeSessions frees the image model's sessions.
func (m *imageModel) closeSessions() error {
	var errs []error
	for _, s := range m.sessions {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// openTextModel loads the tokenizer of a text model, starts its session
// and a length-aware batcher.
func openTextModel(ctx context.Context, env *onnx.Environment, spec *modelspec.Spec, mc ModelConfig, sc onnx.SessionConfig, log *slog.Logger, observe func(onnx.BatchInfo)) (*textModel, error) {
	tok, err := extract.OpenTokenizer(spec.Text.TextPrep, spec.TokenizerPath(mc.Dir), spec.Text.MaxLength)
	if err != nil {
		return nil, itemvec.Wrap("workers.openTextModel", fmt.Errorf("text model %s: %w", spec.ID, err))
	}
	sess, err := onnx.NewTextSession(ctx, env, spec.ModelPath(mc.Dir), spec.Text.TextSpec, sc)
	if err != nil {
		return nil, err
	}
	if err := spec.CheckTextModel(sess); err != nil {
		return nil, errors.Join(err, sess.Close())
	}
	b, err := onnx.NewBatcher(tokensRunner{sess}, onnx.BatcherConfig[extract.Tokens]{
		MaxBatch: mc.MaxBatch, MaxWait: mc.MaxWait, Logger: log, Observe: observe,
		Pick: onnx.PickNearestLength, Length: func(t extract.Tokens) int { return len(t.IDs) },
	})
	if err != nil {
		return nil, errors.Join(err, sess.Close())
	}
	return &textModel{spec: spec, tokenizer: tok, session: sess, batcher: b, log: log}, nil
}

// intraOpThreads is the ORT thread count of each session (see
// ModelConfig.Threads).
func intraOpThreads(mc ModelConfig, hasText bool) int {
	switch {
	case mc.Threads < 0:
		return 0 // ORT's own default
	case mc.Threads > 0 || mc.Device != onnx.DeviceCPU:
		return mc.Threads
	}
	models := 1
	if hasText {
		models = 2
	}
	return max(1, runtime.GOMAXPROCS(0)/models)
}

// maxAutoImageSessions caps the sessions ImageSessions 0 opens, each a
// copy of the model's weights and activations.
const maxAutoImageSessions = 4

// imageSessions is how many sessions of the image model a worker opens
// and the intra-op threads of each (see ModelConfig.ImageSessions).
func imageSessions(mc ModelConfig, hasText bool) (sessions, threads int) {
	threads = intraOpThreads(mc, hasText)
	auto := mc.Threads == 0 && mc.Device == onnx.DeviceCPU
	switch {
	case mc.ImageSessions > 0 && auto:
		// The image model's share of the CPUs, split between its sessions.
		return mc.ImageSessions, max(1, threads/mc.ImageSessions)
	case mc.ImageSessions > 0:
		return mc.ImageSessions, threads
	case auto:
		n := min(threads, maxAutoImageSessions)
		return n, (threads + n - 1) / n
	}
	return 1, threads
}

// checkFusion fails when the fusion spec does not match the models: the
// image block must name the image model and its dimension; the text block
// must name the text model and its dimension, or be empty (dim 0) when no
// text model is configured.
func checkFusion(f *fusion.Spec, img *imageModel, text *textModel) error {
	fail := func(format string, args ...any) error {
		return itemvec.Errorf(itemvec.KindConfig, "workers.checkFusion", format, args...)
	}
	ib := f.Blocks.Image
	if ib.Model != "" && ib.Model != img.spec.ID {
		return fail("fusion spec %s expects image model %q, but %q is configured", f.ID, ib.Model, img.spec.ID)
	}
	if ib.Dim != img.session.OutputDim() {
		return fail("fusion spec %s expects %d image dims, model %s gives %d", f.ID, ib.Dim, img.spec.ID, img.session.OutputDim())
	}
	tb := f.Blocks.Text
	switch {
	case text == nil && tb.Dim != 0:
		return fail("fusion spec %s has a %d-dim text block (model %q) but no text model is configured (--text-model)", f.ID, tb.Dim, tb.Model)
	case text == nil:
		return nil
	case tb.Dim == 0:
		return fail("a text model (%s) is configured but fusion spec %s has no text block: use a fusion spec whose text block names it (--fusion-spec)", text.spec.ID, f.ID)
	case tb.Model != "" && tb.Model != text.spec.ID:
		return fail("fusion spec %s expects text model %q, but %q is configured", f.ID, tb.Model, text.spec.ID)
	case tb.Dim != text.session.OutputDim():
		return fail("fusion spec %s expects %d text dims, model %s gives %d", f.ID, tb.Dim, text.spec.ID, text.session.OutputDim())
	}
	return nil
}

// close stops the batchers, then frees the sessions and releases the ORT
// environment. Only the worker's Close calls it, once.
func (m *models) close() error {
	var errs []error
	if m.text != nil && m.text.batcher != nil {
		m.text.batcher.Close()
	}
	if m.image != nil && m.image.batcher != nil {
		m.image.batcher.Close()
	}
	if m.text != nil {
		errs = append(errs, m.text.session.Close())
	}
	if m.image != nil {
		errs = append(errs, m.image.closeSessions())
	}
	if m.env != nil {
		errs = append(errs, m.env.Close())
	}
	return errors.Join(errs...)
}

// textID is the text model's spec id, or "none".
func (m *models) textID() string {
	if m.text == nil {
		return TextModelNone
	}
	return m.text.spec.ID
}
