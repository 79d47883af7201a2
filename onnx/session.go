//go:build cgo

package onnx

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// Session is one loaded model on one execution provider. It owns the ORT
// session, and Close is the only thing that frees it.
//
// Run is safe for concurrent use: ORT documents concurrent Run calls on one
// session as thread-safe, and this type adds nothing shared between calls
// (each Run creates its own tensors). Close waits for running calls to
// finish; calls after Close fail with a [KindClosed] error.
type Session struct {
	io        modelIO
	device    Device
	modelPath string

	mu  sync.RWMutex // Run holds it for reading, Close for writing
	ort *ort.DynamicAdvancedSession
}

// NewSession loads the model at modelPath onto cfg.Device.
//
// The model must have exactly one float32 input and one float32 output,
// each with a dynamic batch dimension first and fixed dimensions after it;
// the per-item input shape and output size are read from the model.
// Anything else fails with a [KindConfig] error that says what the model
// has. The model file is parsed twice: once to read its inputs and outputs
// on the CPU, and once for the session itself.
//
// With [DeviceCUDA] the session fails to start, with a [KindConfig] error
// naming the library that could not be loaded, when the CUDA execution
// provider is not usable. With [DeviceAuto] the same failure is logged as a
// warning and the session runs on the CPU; [Session.Device] says which.
func NewSession(ctx context.Context, env *Environment, modelPath string, cfg SessionConfig) (*Session, error) {
	const op = "onnx.NewSession"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	logger := loggerOrDefault(cfg.Logger)
	device, err := ParseDevice(string(cfg.Device))
	if err != nil {
		return nil, err
	}
	if cfg.IntraOpThreads < 0 || cfg.CUDADeviceID < 0 {
		return nil, errorf(op, KindConfig, "IntraOpThreads (%d) and CUDADeviceID (%d) must not be negative", cfg.IntraOpThreads, cfg.CUDADeviceID)
	}
	if err := env.acquire(op); err != nil {
		return nil, err
	}
	s, err := newSession(env, modelPath, device, cfg, logger)
	if err != nil {
		_ = releaseORT()
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// newSession does the work of NewSession once a runtime reference is held.
func newSession(env *Environment, modelPath string, device Device, cfg SessionConfig, logger *slog.Logger) (*Session, error) {
	const op = "onnx.NewSession"
	if _, err := os.Stat(modelPath); err != nil {
		return nil, errorf(op, KindConfig, "model file: %w; run make setup", err)
	}
	inputs, outputs, err := ort.GetInputOutputInfo(modelPath)
	if err != nil {
		return nil, errorf(op, KindConfig, "reading model %s: %w", modelPath, err)
	}
	io, err := describeIO(tensorInfos(inputs), tensorInfos(outputs))
	if err != nil {
		return nil, errorf(op, KindConfig, "model %s: %w", modelPath, err)
	}
	s := &Session{io: io, modelPath: modelPath}
	if device == DeviceCUDA || device == DeviceAuto {
		s.ort, err = openORT(modelPath, io, cfg, filepath.Dir(env.libPath), true)
		if err == nil {
			s.device = DeviceCUDA
		} else if device == DeviceCUDA {
			return nil, &Error{Op: op, Kind: KindConfig, Err: err}
		} else {
			logger.Warn("onnx: CUDA unavailable, falling back to CPU", "model", modelPath, "reason", err)
		}
	}
	if s.ort == nil {
		if s.ort, err = openORT(modelPath, io, cfg, "", false); err != nil {
			return nil, errorf(op, KindConfig, "loading model %s: %w", modelPath, err)
		}
		s.device = DeviceCPU
	}
	logger.Info("onnx: session ready", "model", modelPath, "device", s.device,
		"input", io.inputName, "input_shape", io.inputShape, "output", io.outputName, "output_dim", io.outputDim)
	return s, nil
}

// openORT creates the ORT session, on the CUDA execution provider when
// cuda is set (after checking that its libraries are in ortDir).
func openORT(modelPath string, io modelIO, cfg SessionConfig, ortDir string, cuda bool) (*ort.DynamicAdvancedSession, error) {
	if cuda {
		if err := checkCUDAProviders(ortDir); err != nil {
			return nil, err
		}
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	defer func() { _ = opts.Destroy() }()
	if err := configureThreads(opts, cfg); err != nil {
		return nil, err
	}
	if cuda {
		if err := appendCUDA(opts, cfg.CUDADeviceID); err != nil {
			return nil, cudaLoadError(err)
		}
	}
	sess, err := ort.NewDynamicAdvancedSession(modelPath, []string{io.inputName}, []string{io.outputName}, opts)
	if err != nil {
		if cuda {
			return nil, cudaLoadError(err)
		}
		return nil, err
	}
	return sess, nil
}

// configureThreads sets ORT's intra-op thread count and turns off the
// spinning of idle intra-op threads unless cfg.Spin asks for it. Spinning
// threads keep cores busy between runs; with an image and a text session in
// one worker, and Go goroutines decoding images beside them, they steal the
// cores the other work needs (measured on 2 cores: 10 items/s end to end
// with spinning, 40-50 without).
func configureThreads(opts *ort.SessionOptions, cfg SessionConfig) error {
	if cfg.IntraOpThreads > 0 {
		if err := opts.SetIntraOpNumThreads(cfg.IntraOpThreads); err != nil {
			return err
		}
	}
	if !cfg.Spin {
		if err := opts.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
			return err
		}
	}
	return nil
}

// appendCUDA enables the CUDA execution provider on opts. Setting the
// provider options is what makes ORT load the provider libraries, so a
// missing library is reported here with its name.
func appendCUDA(opts *ort.SessionOptions, deviceID int) error {
	cudaOpts, err := ort.NewCUDAProviderOptions()
	if err != nil {
		return err
	}
	defer func() { _ = cudaOpts.Destroy() }()
	if err := cudaOpts.Update(map[string]string{"device_id": strconv.Itoa(deviceID)}); err != nil {
		return err
	}
	return opts.AppendExecutionProviderCUDA(cudaOpts)
}

func tensorInfos(infos []ort.InputOutputInfo) []tensorInfo {
	out := make([]tensorInfo, len(infos))
	for i, in := range infos {
		out[i] = tensorInfo{
			Name:     in.Name,
			Tensor:   in.OrtValueType == ort.ONNXTypeTensor,
			Float32:  in.DataType == ort.TensorElementDataTypeFloat,
			ElemType: strings.ToLower(strings.TrimPrefix(in.DataType.String(), "ONNX_TENSOR_ELEMENT_DATA_TYPE_")),
			Dims:     in.Dimensions,
		}
	}
	return out
}

// Run runs the model on batch items laid out one after another in input
// (batch × InputSize() floats) and returns batch × OutputDim() floats in a
// new slice, row i belonging to item i. input is only read, and not
// retained after Run returns.
//
// A ctx that is already done returns ctx.Err() without running; one that
// ends during the run asks ORT to stop and returns ctx.Err(). Wrong sizes
// fail with a [KindInput] error, a closed session with [KindClosed] and an
// ORT failure with [KindRuntime].
func (s *Session) Run(ctx context.Context, input []float32, batch int) ([]float32, error) {
	const op = "onnx.Session.Run"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if maxBatch := maxItemSize / max(s.io.inputSize, s.io.outputDim); batch < 1 || batch > maxBatch {
		return nil, errorf(op, KindInput, "batch size %d: must be between 1 and %d", batch, maxBatch)
	}
	if want := batch * s.io.inputSize; len(input) != want {
		return nil, errorf(op, KindInput, "input has %d floats; a batch of %d needs %d×%d = %d", len(input), batch, batch, s.io.inputSize, want)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.ort == nil {
		return nil, closedError(op, "the session")
	}
	out := make([]float32, batch*s.io.outputDim)
	if err := s.run(ctx, input, out, batch); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, &Error{Op: op, Kind: KindRuntime, Err: err}
	}
	return out, nil
}

// run wraps input and out in ORT tensors (no copies: ORT reads input and
// writes out in place) and runs the session, stopping it if ctx ends.
func (s *Session) run(ctx context.Context, input, out []float32, batch int) error {
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

	var runOpts *ort.RunOptions
	if ctx.Done() != nil {
		if runOpts, err = ort.NewRunOptions(); err != nil {
			return err
		}
		defer func() { _ = runOpts.Destroy() }()
		terminated := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			defer close(terminated)
			_ = runOpts.Terminate()
		})
		// Runs before runOpts.Destroy: never destroy the options while
		// Terminate may still be using them.
		defer func() {
			if !stop() {
				<-terminated
			}
		}()
	}
	err = s.ort.RunWithOptions([]ort.Value{inT}, []ort.Value{outT}, runOpts)
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
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ort == nil {
		return nil
	}
	destroyErr := s.ort.Destroy()
	s.ort = nil
	return errors.Join(destroyErr, releaseORT())
}
