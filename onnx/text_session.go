//go:build cgo

package onnx

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"

	ort "github.com/yalue/onnxruntime_go"
)

// TextSession is one loaded transformer text encoder on one execution
// provider: token ids in, one pooled vector per text out. It owns the ORT
// session, and Close is the only thing that frees it.
//
// Run is safe for concurrent use, as for [Session]. Close waits for
// running calls to finish; calls after Close fail with a [CodeClosed]
// error.
type TextSession struct {
	io        textIO
	spec      TextSpec
	device    Device
	modelPath string

	ortSession
}

// textIO is what a TextSession feeds and reads.
type textIO struct {
	ids, mask string
	typeIDs   string // "" when the model has no token type input
	output    string
	sequence  bool // output is [batch, sequence, dim], else [batch, dim]
	dim       int
}

// inputNames lists the model inputs in the order Run passes them.
func (io textIO) inputNames() []string {
	if io.typeIDs == "" {
		return []string{io.ids, io.mask}
	}
	return []string{io.ids, io.mask, io.typeIDs}
}

// NewTextSession loads the transformer encoder at modelPath onto
// cfg.Device, to be fed and pooled as spec says (spec's tokenizer and
// fields are not used here).
//
// The model's inputs must be int64 [batch, sequence] with both dimensions
// dynamic: the ids and the attention mask (input_ids and attention_mask
// unless spec names them), and optionally the token type ids
// (token_type_ids); no other input. The output pooled is spec.Output or,
// by default, last_hidden_state (or the only float32 [batch, sequence,
// hidden] output) for mean and cls pooling, and pooler_output or
// sentence_embedding (or the only float32 [batch, hidden] output) for
// pooled. Its hidden size must be fixed. Anything else fails with a
// [CodeConfig] error that says what the model has.
//
// Devices work as in [NewSession]: [DeviceCUDA] fails when the CUDA
// execution provider is not usable, [DeviceAuto] falls back to the CPU
// with a warning, and [TextSession.Device] says which ran.
func NewTextSession(ctx context.Context, env *Environment, modelPath string, spec TextSpec, cfg SessionConfig) (*TextSession, error) {
	const op = "onnx.NewTextSession"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := spec.validate(op); err != nil {
		return nil, err
	}
	return openSession(ctx, op, env, cfg, func(device Device, logger *slog.Logger) (*TextSession, error) {
		return newTextSession(op, env, modelPath, spec, device, cfg, logger)
	})
}

// newTextSession does the work of NewTextSession once a runtime reference
// is held.
func newTextSession(op string, env *Environment, modelPath string, spec TextSpec, device Device, cfg SessionConfig, logger *slog.Logger) (*TextSession, error) {
	inputs, outputs, err := readModelIO(op, modelPath)
	if err != nil {
		return nil, err
	}
	io, err := describeTextIO(inputs, outputs, spec)
	if err != nil {
		return nil, errorf(op, CodeConfig, "model %s: %w", modelPath, err)
	}
	s := &TextSession{io: io, spec: spec, modelPath: modelPath}
	if s.device, err = s.open(op, env, modelPath, io.inputNames(), []string{io.output}, device, cfg, logger); err != nil {
		return nil, err
	}
	logger.Info("onnx: text session ready", "model", modelPath, "device", s.device, "inputs", io.inputNames(),
		"output", io.output, "pooling", spec.Pooling, "normalize", spec.Normalize, "dim", io.dim, "max_length", spec.MaxLength)
	return s, nil
}

// describeTextIO matches a model's inputs and outputs to spec.
func describeTextIO(inputs, outputs []tensorInfo, spec TextSpec) (textIO, error) {
	byName := func(ts []tensorInfo, name string) (tensorInfo, bool) {
		i := slices.IndexFunc(ts, func(t tensorInfo) bool { return t.Name == name })
		if i < 0 {
			return tensorInfo{}, false
		}
		return ts[i], true
	}
	io := textIO{ids: spec.idsInput(), mask: spec.maskInput()}
	if _, ok := byName(inputs, spec.typeIDsInput()); ok || spec.TypeIDsInput != "" {
		io.typeIDs = spec.typeIDsInput()
	}
	for _, name := range io.inputNames() {
		t, ok := byName(inputs, name)
		if !ok {
			return textIO{}, fmt.Errorf("has no input %q (its inputs: %s); name the inputs in the spec's text section", name, infoNames(inputs))
		}
		if !t.Tensor || t.ElemType != "int64" || len(t.Dims) != 2 {
			return textIO{}, fmt.Errorf("input %q is %s %v; want an int64 tensor [batch, sequence]", name, t.ElemType, t.Dims)
		}
		if t.Dims[0] > 0 || t.Dims[1] > 0 {
			return textIO{}, fmt.Errorf("input %q has shape %v; both dimensions must be dynamic (texts are padded to the longest in each batch): re-export with dynamic axes", name, t.Dims)
		}
	}
	for _, t := range inputs {
		if !slices.Contains(io.inputNames(), t.Name) {
			return textIO{}, fmt.Errorf("has an input %q that a text session cannot feed (it feeds %q)", t.Name, io.inputNames())
		}
	}

	rank := 2
	if spec.Pooling.sequenceOutput() {
		rank = 3
	}
	out, err := textOutput(outputs, spec, rank)
	if err != nil {
		return textIO{}, err
	}
	if !out.Tensor || !out.Float32 || len(out.Dims) != rank {
		return textIO{}, fmt.Errorf("output %q is %s %v; %s pooling needs a float32 tensor of rank %d", out.Name, out.ElemType, out.Dims, spec.Pooling, rank)
	}
	if out.Dims[0] > 0 || (rank == 3 && out.Dims[1] > 0) {
		return textIO{}, fmt.Errorf("output %q has shape %v; its batch and sequence dimensions must be dynamic", out.Name, out.Dims)
	}
	dim := out.Dims[rank-1]
	if dim < 1 || dim > maxItemSize {
		return textIO{}, fmt.Errorf("output %q has shape %v; its last dimension (the hidden size) must be fixed", out.Name, out.Dims)
	}
	io.output, io.sequence, io.dim = out.Name, rank == 3, int(dim)
	return io, nil
}

// textOutput finds the output to pool: the one spec names, else the first
// default name present, else the only float32 output of the given rank.
func textOutput(outputs []tensorInfo, spec TextSpec, rank int) (tensorInfo, error) {
	if spec.Output != "" {
		i := slices.IndexFunc(outputs, func(t tensorInfo) bool { return t.Name == spec.Output })
		if i < 0 {
			return tensorInfo{}, fmt.Errorf("has no output %q (its outputs: %s)", spec.Output, infoNames(outputs))
		}
		return outputs[i], nil
	}
	names := []string{DefaultSequenceOutput}
	if rank == 2 {
		names = pooledOutputNames
	}
	for _, name := range names {
		if i := slices.IndexFunc(outputs, func(t tensorInfo) bool { return t.Name == name }); i >= 0 {
			return outputs[i], nil
		}
	}
	var fits []tensorInfo
	for _, t := range outputs {
		if t.Tensor && t.Float32 && len(t.Dims) == rank {
			fits = append(fits, t)
		}
	}
	if len(fits) == 1 {
		return fits[0], nil
	}
	what := "[batch, sequence, hidden]"
	if rank == 2 {
		what = "[batch, hidden]"
	}
	return tensorInfo{}, fmt.Errorf("%s pooling needs a float32 %s output; the model has %d (outputs: %s): name one in the text section's output",
		spec.Pooling, what, len(fits), infoNames(outputs))
}

// CheckText reports whether one tokenized text can be run, with a
// [CodeInput] error saying what is wrong when it cannot. [TextSession.Run]
// makes the same checks for each of its texts; a caller batching texts
// checks each before adding it to a batch, so that a bad text fails alone.
//
// ids are the token ids, special tokens included: at least one, at most
// MaxLength, none negative. mask is nil (every token real) or holds one
// attention mask value per id, 0 or 1, with at least one 1. typeIDs is nil
// (all 0, which single texts use) or holds one token type id per id, none
// negative, and all 0 when the model has no token type input.
func (s *TextSession) CheckText(ids, mask, typeIDs []int64) error {
	if err := checkText(s.spec.MaxLength, s.io.typeIDs != "", ids, mask, typeIDs); err != nil {
		return newError("onnx.TextSession.CheckText", CodeInput, err)
	}
	return nil
}

// Run embeds len(ids) texts in one model call and returns one vector of
// OutputDim() floats per text, in new slices.
//
// ids[i] are the token ids of text i. masks is nil (every token real) or
// holds one attention mask per text, where a nil row means all 1; typeIDs
// likewise, nil meaning all 0. Each text must pass [TextSession.CheckText].
// The batch is padded to its longest text, not to MaxLength, with id 0 and
// mask 0; padding changes no vector. Each vector is pooled as the spec
// says (the mean over mask-1 tokens, the first token, or the model's
// pooled output) and, with normalize, scaled to unit length. Nothing
// passed in is kept after Run returns.
//
// A ctx that is already done returns ctx.Err() without running; one that
// ends during the run asks ORT to stop and returns ctx.Err(). Bad input
// fails with a [CodeInput] error naming the text, a closed session with
// [CodeClosed] and an ORT failure (including an id outside the model's
// vocabulary) with [CodeRuntime].
func (s *TextSession) Run(ctx context.Context, ids, masks, typeIDs [][]int64) ([][]float32, error) {
	const op = "onnx.TextSession.Run"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := len(ids)
	if n == 0 {
		return nil, errorf(op, CodeInput, "no texts")
	}
	if masks != nil && len(masks) != n {
		return nil, errorf(op, CodeInput, "%d texts but %d attention masks", n, len(masks))
	}
	if typeIDs != nil && len(typeIDs) != n {
		return nil, errorf(op, CodeInput, "%d texts but %d token type id rows", n, len(typeIDs))
	}
	seq := 0
	for i := range ids {
		var mask, types []int64
		if masks != nil {
			mask = masks[i]
		}
		if typeIDs != nil {
			types = typeIDs[i]
		}
		if err := checkText(s.spec.MaxLength, s.io.typeIDs != "", ids[i], mask, types); err != nil {
			return nil, errorf(op, CodeInput, "text %d: %w", i, err)
		}
		seq = max(seq, len(ids[i]))
	}
	perText := s.io.dim // output floats per text
	if s.io.sequence {
		perText *= seq
	}
	if n > maxItemSize/perText {
		return nil, errorf(op, CodeInput, "a batch of %d texts of up to %d tokens is too large for one run; split it", n, seq)
	}

	// Padded inputs: ids 0, mask 0, type 0 after each text.
	idsBuf := make([]int64, n*seq)
	maskBuf := make([]int64, n*seq)
	var typeBuf []int64
	if s.io.typeIDs != "" {
		typeBuf = make([]int64, n*seq)
	}
	for i, row := range ids {
		copy(idsBuf[i*seq:], row)
		mask := maskBuf[i*seq : i*seq+len(row)]
		if masks != nil && masks[i] != nil {
			copy(mask, masks[i])
		} else {
			for j := range mask {
				mask[j] = 1
			}
		}
		if typeBuf != nil && typeIDs != nil {
			copy(typeBuf[i*seq:], typeIDs[i])
		}
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.ort == nil {
		return nil, closedError(op, "the session")
	}
	out := make([]float32, n*perText)
	if err := s.runBatch(ctx, n, seq, idsBuf, maskBuf, typeBuf, out); err != nil {
		return nil, runError(ctx, op, err)
	}
	return s.pool(out, maskBuf, n, seq), nil
}

// pool turns the model output into one vector per text.
func (s *TextSession) pool(out []float32, mask []int64, n, seq int) [][]float32 {
	dim := s.io.dim
	vecs := make([]float32, n*dim)
	rows := make([][]float32, n)
	for i := range rows {
		// Full slice expression: appending to one row must not write into
		// the next.
		row := vecs[i*dim : (i+1)*dim : (i+1)*dim]
		switch {
		case !s.io.sequence:
			copy(row, out[i*dim:])
		case s.spec.Pooling == PoolingCLS:
			copy(row, out[i*seq*dim:])
		default:
			meanPool(row, out[i*seq*dim:(i+1)*seq*dim], mask[i*seq:(i+1)*seq], dim)
		}
		if s.spec.Normalize {
			l2Normalize(row)
		}
		rows[i] = row
	}
	return rows
}

// runBatch wraps the padded inputs and out in ORT tensors (no copies) and
// runs the session, stopping it if ctx ends.
func (s *TextSession) runBatch(ctx context.Context, n, seq int, ids, mask, typeIDs []int64, out []float32) error {
	shape := ort.Shape{int64(n), int64(seq)}
	var inputs []ort.Value
	defer func() {
		for _, v := range inputs {
			_ = v.Destroy()
		}
	}()
	for _, data := range [][]int64{ids, mask, typeIDs} {
		if data == nil {
			continue
		}
		t, err := ort.NewTensor(shape, data)
		if err != nil {
			return err
		}
		inputs = append(inputs, t)
	}
	outShape := ort.Shape{int64(n), int64(s.io.dim)}
	if s.io.sequence {
		outShape = ort.Shape{int64(n), int64(seq), int64(s.io.dim)}
	}
	outT, err := ort.NewTensor(outShape, out)
	if err != nil {
		return err
	}
	defer func() { _ = outT.Destroy() }()

	err = s.run(ctx, inputs, []ort.Value{outT})
	runtime.KeepAlive(ids)
	runtime.KeepAlive(mask)
	runtime.KeepAlive(typeIDs)
	runtime.KeepAlive(out)
	return err
}

// Device is the execution provider the session actually runs on:
// [DeviceCPU] or [DeviceCUDA], never [DeviceAuto].
func (s *TextSession) Device() Device { return s.device }

// ModelPath is the model file the session was loaded from.
func (s *TextSession) ModelPath() string { return s.modelPath }

// InputNames are the model inputs the session feeds: ids, attention mask
// and, when the model has one, token type ids.
func (s *TextSession) InputNames() []string { return s.io.inputNames() }

// HasTokenTypeIDs reports whether the model takes token type ids.
func (s *TextSession) HasTokenTypeIDs() bool { return s.io.typeIDs != "" }

// OutputName is the model output the session pools.
func (s *TextSession) OutputName() string { return s.io.output }

// OutputDim is the number of floats per text: the model's hidden size.
func (s *TextSession) OutputDim() int { return s.io.dim }

// MaxLength is the most tokens Run accepts per text: the spec's
// max_length.
func (s *TextSession) MaxLength() int { return s.spec.MaxLength }

// Pooling is how the session pools the model output.
func (s *TextSession) Pooling() Pooling { return s.spec.Pooling }

// Close frees the ORT session after any running Run calls return, and
// releases the session's hold on the runtime. It is idempotent.
func (s *TextSession) Close() error { return s.close("onnx.TextSession.Close") }
