//go:build cgo

package onnx

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	ort "github.com/yalue/onnxruntime_go"
)

// Session is one loaded model on one execution provider. It owns the ORT
// session, and Close is the only thing that frees it.
//
// Run and RunBatch are safe for concurrent use: ORT documents concurrent
// Run calls on one session as thread-safe, and this type shares nothing
// between calls but a pool of RunBatch input buffers (each run creates its
// own tensors). Close waits for running calls to finish; calls after Close
// fail with a [CodeClosed] error.
type Session struct {
	io        modelIO
	device    Device
	modelPath string
	inputs    sync.Pool // *[]float32 batch inputs of RunBatch, reused between batches
	sizes     []int     // the batch sizes RunBatch pads to, ascending; nil: no padding
	padded    atomic.Int64

	ortSession
}

// NewSession loads the model at modelPath onto cfg.Device.
//
// The model must have exactly one float32 input and one float32 output,
// each with a dynamic batch dimension first and fixed dimensions after it;
// the per-item input shape and output size are read from the model.
// Anything else fails with a [CodeConfig] error that says what the model
// has. The model file is parsed twice: once to read its inputs and outputs
// on the CPU, and once for the session itself.
//
// With [DeviceCUDA] the session fails to start, with a [CodeConfig] error
// naming the library that could not be loaded, when the CUDA execution
// provider is not usable. With [DeviceAuto] the same failure is logged as a
// warning and the session runs on the CPU; [Session.Device] says which.
func NewSession(ctx context.Context, env *Environment, modelPath string, cfg SessionConfig) (*Session, error) {
	const op = "onnx.NewSession"
	return openSession(ctx, op, env, cfg, func(device Device, logger *slog.Logger) (*Session, error) {
		return newSession(op, env, modelPath, device, cfg, logger)
	})
}

// newSession does the work of NewSession once a runtime reference is held.
func newSession(op string, env *Environment, modelPath string, device Device, cfg SessionConfig, logger *slog.Logger) (*Session, error) {
	inputs, outputs, err := readModelIO(op, modelPath)
	if err != nil {
		return nil, err
	}
	io, err := describeIO(inputs, outputs)
	if err != nil {
		return nil, errorf(op, CodeConfig, "model %s: %w", modelPath, err)
	}
	s := &Session{io: io, modelPath: modelPath}
	if s.device, err = s.open(op, env, modelPath, []string{io.inputName}, []string{io.outputName}, device, cfg, logger); err != nil {
		return nil, err
	}
	s.sizes = batchSizes(cfg.BatchSizes, s.device, s.maxBatch())
	logger.Info("onnx: session ready", "model", modelPath, "device", s.device,
		"input", io.inputName, "input_shape", io.inputShape, "output", io.outputName, "output_dim", io.outputDim)
	return s, nil
}

// Run runs the model on batch items laid out one after another in input
// (batch × InputSize() floats) and returns batch × OutputDim() floats in a
// new slice, row i belonging to item i. input is only read, and not
// retained after Run returns.
//
// A ctx that is already done returns ctx.Err() without running; one that
// ends during the run asks ORT to stop and returns ctx.Err(). Wrong sizes
// fail with a [CodeInput] error, a closed session with [CodeClosed] and an
// ORT failure with [CodeRuntime].
func (s *Session) Run(ctx context.Context, input []float32, batch int) ([]float32, error) {
	const op = "onnx.Session.Run"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if maxBatch := s.maxBatch(); batch < 1 || batch > maxBatch {
		return nil, errorf(op, CodeInput, "batch size %d: must be between 1 and %d", batch, maxBatch)
	}
	if want := batch * s.io.inputSize; len(input) != want {
		return nil, errorf(op, CodeInput, "input has %d floats; a batch of %d needs %d×%d = %d", len(input), batch, batch, s.io.inputSize, want)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.ort == nil {
		return nil, closedError(op, "the session")
	}
	out := make([]float32, batch*s.io.outputDim)
	if err := s.runBatch(ctx, input, out, batch); err != nil {
		return nil, runError(ctx, op, err)
	}
	return out, nil
}

// Check reports whether in is one item the model can run: InputSize()
// floats. It fails with a [CodeInput] error otherwise. With
// [Session.RunBatch] and [Session.OutputDim] it makes a Session a
// [BatchRunner] of []float32 for a [Batcher].
func (s *Session) Check(in []float32) error {
	if err := s.checkItem(in); err != nil {
		return newError("onnx.Session.Check", CodeInput, err)
	}
	return nil
}

// checkItem says what is wrong with in as one item.
func (s *Session) checkItem(in []float32) error {
	if len(in) != s.io.inputSize {
		return fmt.Errorf("input has %d floats; the model takes %d per item", len(in), s.io.inputSize)
	}
	return nil
}

// maxBatch is the most items one run may hold, so that no tensor has more
// than maxItemSize values.
func (s *Session) maxBatch() int { return maxItemSize / max(s.io.inputSize, s.io.outputDim) }

// RunBatch runs the model on the items ins, each InputSize() floats, and
// returns one row of OutputDim() floats per item, in order. It copies the
// items into one input buffer, which it reuses for later batches, and runs
// them as [Session.Run] does; ins are not kept or read after it returns.
// The rows share one new slice but are capped, so a caller appending to
// one cannot write into the next.
//
// No items, too many, or an item of the wrong size fail with a
// [CodeInput] error; the rest is as for Run.
func (s *Session) RunBatch(ctx context.Context, ins [][]float32) ([][]float32, error) {
	const op = "onnx.Session.RunBatch"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if n, maxBatch := len(ins), s.maxBatch(); n < 1 || n > maxBatch {
		return nil, errorf(op, CodeInput, "%d items: a batch holds between 1 and %d", n, maxBatch)
	}
	for i, in := range ins {
		if err := s.checkItem(in); err != nil {
			return nil, errorf(op, CodeInput, "item %d: %w", i, err)
		}
	}
	size, n := s.io.inputSize, len(ins)
	run := s.padTo(n)
	buf, _ := s.inputs.Get().(*[]float32)
	if buf == nil {
		buf = new([]float32)
	}
	defer s.inputs.Put(buf)
	if cap(*buf) < run*size {
		*buf = make([]float32, run*size)
	}
	input := (*buf)[:run*size]
	assemble(input, ins, size)
	if run > n {
		s.padded.Add(int64(run - n))
	}
	out, err := s.Run(ctx, input, run)
	if err != nil {
		return nil, err
	}
	dim := s.io.outputDim
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = out[i*dim : (i+1)*dim : (i+1)*dim]
	}
	return rows, nil
}

// padTo is the batch size RunBatch runs n inputs as.
func (s *Session) padTo(n int) int {
	if i, _ := slices.BinarySearch(s.sizes, n); i < len(s.sizes) {
		return s.sizes[i]
	}
	return n
}

// PaddedRows is the number of zero inputs RunBatch has added to reach a
// fixed batch size (SessionConfig.BatchSizes) since the session opened.
func (s *Session) PaddedRows() int64 { return s.padded.Load() }

// BatchSizes are the batch sizes RunBatch pads to, ascending; nil when it
// does not pad.
func (s *Session) BatchSizes() []int { return slices.Clone(s.sizes) }

// batchSizes is the sorted set of the listed sizes (the device's default
// when nil) between 1 and maxBatch.
func batchSizes(listed []int, device Device, maxBatch int) []int {
	if listed == nil && device == DeviceCUDA {
		listed = DefaultCUDABatchSizes
	}
	var out []int
	for _, n := range listed {
		if n >= 1 && n <= maxBatch {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// runBatch wraps input and out in ORT tensors (no copies: ORT reads input
// and writes out in place) and runs the session, stopping it if ctx ends.
func (s *Session) runBatch(ctx context.Context, input, out []float32, batch int) error {
	inT, err := ort.NewTensor(batchShape(batch, s.io.inputShape), input)
	if err != nil {
		return err
	}
	defer func() { _ = inT.Destroy() }()
	outT, err := ort.NewTensor(batchShape(batch, s.io.outputShape), out)
	if err != nil {
		return err
	}
	defer func() { _ = outT.Destroy() }()

	err = s.run(ctx, []ort.Value{inT}, []ort.Value{outT})
	runtime.KeepAlive(input)
	runtime.KeepAlive(out)
	return err
}

func batchShape(batch int, item []int64) ort.Shape {
	return append(ort.Shape{int64(batch)}, item...)
}

// Device is the execution provider the session actually runs on:
// [DeviceCPU] or [DeviceCUDA], never [DeviceAuto].
func (s *Session) Device() Device { return s.device }

// ModelPath is the model file the session was loaded from.
func (s *Session) ModelPath() string { return s.modelPath }

// InputName is the name of the model's input.
func (s *Session) InputName() string { return s.io.inputName }

// OutputName is the name of the model's output.
func (s *Session) OutputName() string { return s.io.outputName }

// InputShape is the shape of one item of input, without the batch
// dimension, e.g. [3 224 224]. The slice is a copy.
func (s *Session) InputShape() []int64 { return append([]int64(nil), s.io.inputShape...) }

// InputSize is the number of floats in one item of input: the product of
// InputShape.
func (s *Session) InputSize() int { return s.io.inputSize }

// OutputDim is the number of floats the model returns per item.
func (s *Session) OutputDim() int { return s.io.outputDim }

// Close frees the ORT session after any running Run calls return, and
// releases the session's hold on the runtime. It is idempotent.
func (s *Session) Close() error { return s.close("onnx.Session.Close") }
