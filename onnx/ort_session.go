//go:build cgo

package onnx

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// This file holds what [Session] and [TextSession] share: opening a model
// as an ORT session on the device asked for, running it under a context,
// and freeing it once.

// ortSession is the ORT session a [Session] or [TextSession] owns, with the
// lock that keeps close from freeing it under a running call.
type ortSession struct {
	mu  sync.RWMutex // Run holds it for reading, Close for writing
	ort *ort.DynamicAdvancedSession
}

// openSession is the frame of NewSession and NewTextSession: it checks ctx
// and cfg, takes a runtime reference for the session and calls open with
// the device cfg names. The reference is released again if open fails, and
// the session closed if ctx ends meanwhile.
func openSession[S interface{ Close() error }](ctx context.Context, op string, env *Environment, cfg SessionConfig, open func(Device, *slog.Logger) (S, error)) (S, error) {
	var none S
	if err := ctx.Err(); err != nil {
		return none, err
	}
	logger := loggerOrDefault(cfg.Logger)
	device, err := ParseDevice(string(cfg.Device))
	if err != nil {
		return none, err
	}
	if cfg.IntraOpThreads < 0 || cfg.CUDADeviceID < 0 {
		return none, errorf(op, CodeConfig, "IntraOpThreads (%d) and CUDADeviceID (%d) must not be negative", cfg.IntraOpThreads, cfg.CUDADeviceID)
	}
	if err := env.acquire(op); err != nil {
		return none, err
	}
	s, err := open(device, logger)
	if err != nil {
		_ = releaseORT()
		return none, err
	}
	if err := ctx.Err(); err != nil {
		_ = s.Close()
		return none, err
	}
	return s, nil
}

// readModelIO reads the inputs and outputs of the model at modelPath,
// failing with a [CodeConfig] error when the file is missing or unreadable.
func readModelIO(op, modelPath string) (inputs, outputs []tensorInfo, err error) {
	if _, err := os.Stat(modelPath); err != nil {
		return nil, nil, errorf(op, CodeConfig, "model file: %w; run make setup", err)
	}
	in, out, err := ort.GetInputOutputInfo(modelPath)
	if err != nil {
		return nil, nil, errorf(op, CodeConfig, "reading model %s: %w", modelPath, err)
	}
	return tensorInfos(in), tensorInfos(out), nil
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

// open loads modelPath, fed inputs and read from outputs, onto device and
// returns the device it runs on. [DeviceCUDA] fails with a [CodeConfig]
// error when the CUDA execution provider is not usable; [DeviceAuto] then
// logs a warning and falls back to the CPU.
func (o *ortSession) open(op string, env *Environment, modelPath string, inputs, outputs []string, device Device, cfg SessionConfig, logger *slog.Logger) (Device, error) {
	var err error
	if device == DeviceCUDA || device == DeviceAuto {
		o.ort, err = openORT(modelPath, inputs, outputs, cfg, filepath.Dir(env.libPath), true)
		switch {
		case err == nil:
			return DeviceCUDA, nil
		case device == DeviceCUDA:
			return "", newError(op, CodeConfig, err)
		default:
			logger.Warn("onnx: CUDA unavailable, falling back to CPU", "model", modelPath, "reason", err)
		}
	}
	if o.ort, err = openORT(modelPath, inputs, outputs, cfg, "", false); err != nil {
		return "", errorf(op, CodeConfig, "loading model %s: %w", modelPath, err)
	}
	return DeviceCPU, nil
}

// openORT creates the ORT session, on the CUDA execution provider when
// cuda is set (after checking that its libraries are in ortDir).
func openORT(modelPath string, inputs, outputs []string, cfg SessionConfig, ortDir string, cuda bool) (*ort.DynamicAdvancedSession, error) {
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
		if err := appendCUDA(opts, cfg.CUDADeviceID, cfg.CUDNNConvAlgoSearch); err != nil {
			return nil, cudaLoadError(err)
		}
	}
	sess, err := ort.NewDynamicAdvancedSession(modelPath, inputs, outputs, opts)
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
func appendCUDA(opts *ort.SessionOptions, deviceID int, algoSearch string) error {
	algo, err := convAlgoSearch(algoSearch)
	if err != nil {
		return err
	}
	cudaOpts, err := ort.NewCUDAProviderOptions()
	if err != nil {
		return err
	}
	defer func() { _ = cudaOpts.Destroy() }()
	if err := cudaOpts.Update(map[string]string{
		"device_id":              strconv.Itoa(deviceID),
		"cudnn_conv_algo_search": algo,
	}); err != nil {
		return err
	}
	return opts.AppendExecutionProviderCUDA(cudaOpts)
}

// run runs the session on inputs and outputs, asking ORT to stop if ctx
// ends. The caller holds o.mu for reading and has checked that the session
// is open.
func (o *ortSession) run(ctx context.Context, inputs, outputs []ort.Value) error {
	var runOpts *ort.RunOptions
	if ctx.Done() != nil {
		var err error
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
	return o.ort.RunWithOptions(inputs, outputs, runOpts)
}

// runError is what Run returns when a run failed: ctx.Err() when ctx ended
// (ORT was asked to stop), else a [CodeRuntime] error.
func runError(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return newError(op, CodeRuntime, err)
}

// close frees the ORT session after running calls return and releases the
// session's hold on the runtime. It is idempotent. A failure of ORT to free
// it is a [CodeRuntime] error of op.
func (o *ortSession) close(op string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ort == nil {
		return nil
	}
	destroyErr := o.ort.Destroy()
	o.ort = nil
	if err := errors.Join(destroyErr, releaseORT()); err != nil {
		return newError(op, CodeRuntime, err)
	}
	return nil
}
