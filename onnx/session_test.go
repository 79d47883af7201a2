//go:build cgo

package onnx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	ort "github.com/yalue/onnxruntime_go"

	"github.com/itemvec/itemvec/internal/testdeps"
)

// testORTLibrary returns the ORT library make setup installs under
// $ITEMVEC_DEPS or <repo>/.deps. When it is missing the test is skipped, or
// fails under ITEMVEC_REQUIRE_DEPS=1.
func testORTLibrary(t testing.TB) string {
	t.Helper()
	return testdeps.Require(t, filepath.Join("ort", ORTLibraryName))[0]
}

// testEnv returns a handle on ONNX Runtime, closed when the test ends. The
// runtime stays loaded between tests while any test or session holds it.
func testEnv(t testing.TB) *Environment {
	t.Helper()
	env, err := InitEnvironment(EnvConfig{LibraryPath: testORTLibrary(t), Logger: quietLogger()})
	if err != nil {
		t.Fatalf("InitEnvironment: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Close(); err != nil {
			t.Errorf("Environment.Close: %v", err)
		}
	})
	return env
}

// testSession opens path on the CPU, closed when the test ends.
func testSession(t testing.TB, env *Environment, path string) *Session {
	t.Helper()
	s, err := NewSession(t.Context(), env, path, SessionConfig{Device: DeviceCPU, IntraOpThreads: 1, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Session.Close: %v", err)
		}
	})
	return s
}

func randomInput(seed uint64, n int) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n)
	for i := range x {
		x[i] = r.Float32()*2 - 1
	}
	return x
}

func assertClose(t *testing.T, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d floats, want %d", len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > tol || math.IsNaN(float64(got[i])) {
			t.Fatalf("value %d: got %v, want %v (tolerance %v)", i, got[i], want[i], tol)
		}
	}
}

func TestSessionDiscoversModelIO(t *testing.T) {
	s := testSession(t, testEnv(t), writeModel(t, convStandIn(standInK)))
	if s.InputName() != "input" || s.OutputName() != "features" {
		t.Errorf("names = %q, %q; want input, features", s.InputName(), s.OutputName())
	}
	if got := s.InputShape(); len(got) != 3 || got[0] != 3 || got[1] != 4 || got[2] != 4 {
		t.Errorf("InputShape = %v, want [3 4 4]", got)
	}
	if s.InputSize() != standInItem || s.OutputDim() != standInK {
		t.Errorf("InputSize, OutputDim = %d, %d; want %d, %d", s.InputSize(), s.OutputDim(), standInItem, standInK)
	}
	if s.Device() != DeviceCPU {
		t.Errorf("Device = %q, want cpu", s.Device())
	}
}

func TestSessionRunMatchesGo(t *testing.T) {
	s := testSession(t, testEnv(t), writeModel(t, convStandIn(standInK)))
	for _, batch := range []int{1, 3, 7} {
		input := randomInput(uint64(batch), batch*standInItem)
		got, err := s.Run(t.Context(), input, batch)
		if err != nil {
			t.Fatalf("batch %d: Run: %v", batch, err)
		}
		assertClose(t, got, standInOutput(standInK, input, batch), 1e-4)
	}
}

func TestSessionRunRejectsBadInput(t *testing.T) {
	s := testSession(t, testEnv(t), writeModel(t, convStandIn(standInK)))
	tests := []struct {
		name  string
		input int
		batch int
	}{
		{"zero batch", 0, 0},
		{"negative batch", standInItem, -1},
		{"huge batch", standInItem, math.MaxInt},
		{"one float short", 2*standInItem - 1, 2},
		{"one float over", standInItem + 1, 1},
		{"empty input", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Run(t.Context(), make([]float32, tt.input), tt.batch)
			if e := assertCode(t, err, CodeInput); e.Retryable() {
				t.Error("an input error must not be retryable")
			}
		})
	}
}

func TestSessionRunCancelled(t *testing.T) {
	s := testSession(t, testEnv(t), writeModel(t, convStandIn(standInK)))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Run(ctx, make([]float32, standInItem), 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run with a cancelled ctx = %v, want context.Canceled", err)
	}
}

// lateErrContext is done from the start but says so only from its second
// Err call on, so Run gets past its up-front check and has to stop ORT
// during the run.
type lateErrContext struct {
	context.Context
	done  chan struct{}
	calls atomic.Int32
}

func (c *lateErrContext) Done() <-chan struct{} { return c.done }

func (c *lateErrContext) Err() error {
	if c.calls.Add(1) == 1 {
		return nil
	}
	return context.Canceled
}

func TestSessionRunStopsWhenCtxEnds(t *testing.T) {
	const width, batch = 512, 64
	s := testSession(t, testEnv(t), writeModel(t, chainStandIn(40, width)))
	ctx := &lateErrContext{Context: t.Context(), done: make(chan struct{})}
	close(ctx.done)
	out, err := s.Run(ctx, make([]float32, batch*width), batch)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %d floats, %v; want ORT stopped and context.Canceled", len(out), err)
	}
}

func TestSessionConcurrentRun(t *testing.T) {
	s := testSession(t, testEnv(t), writeModel(t, convStandIn(standInK)))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				batch := 1 + (g+i)%5
				input := randomInput(uint64(100*g+i), batch*standInItem)
				got, err := s.Run(t.Context(), input, batch)
				if err != nil {
					t.Errorf("Run: %v", err)
					return
				}
				want := standInOutput(standInK, input, batch)
				if len(got) != len(want) {
					t.Errorf("goroutine %d run %d: got %d floats, want %d", g, i, len(got), len(want))
					return
				}
				for j := range got {
					if d := math.Abs(float64(got[j] - want[j])); !(d <= 1e-4) {
						t.Errorf("goroutine %d run %d value %d: got %v, want %v", g, i, j, got[j], want[j])
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestSessionRunBatch(t *testing.T) {
	s := testSession(t, testEnv(t), writeModel(t, convStandIn(standInK)))
	// Large, then small: the pooled input buffer is reused.
	for _, batch := range []int{7, 1, 3} {
		ins := make([][]float32, batch)
		for i := range ins {
			ins[i] = randomInput(uint64(10*batch+i), standInItem)
		}
		rows, err := s.RunBatch(t.Context(), ins)
		if err != nil {
			t.Fatalf("batch %d: RunBatch: %v", batch, err)
		}
		if len(rows) != batch {
			t.Fatalf("batch %d: %d rows", batch, len(rows))
		}
		for i, in := range ins {
			assertClose(t, rows[i], standInOutput(standInK, in, 1), 1e-4)
		}
		if batch > 1 {
			// Rows are capped: appending to one leaves the next alone.
			next := rows[1][0]
			_ = append(rows[0], -1)
			if rows[1][0] != next {
				t.Fatal("appending to row 0 changed row 1")
			}
		}
	}

	t.Run("bad item", func(t *testing.T) {
		ins := [][]float32{make([]float32, standInItem), make([]float32, standInItem-1)}
		_, err := s.RunBatch(t.Context(), ins)
		if e := assertCode(t, err, CodeInput); !strings.Contains(e.Error(), "item 1: input has 47 floats; the model takes 48 per item") {
			t.Fatalf("error %q", e)
		}
	})
	t.Run("no items", func(t *testing.T) {
		_, err := s.RunBatch(t.Context(), nil)
		if e := assertCode(t, err, CodeInput); !strings.Contains(e.Error(), "0 items: a batch holds between 1 and") {
			t.Fatalf("error %q", e)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.RunBatch(ctx, [][]float32{make([]float32, standInItem)}); !errors.Is(err, context.Canceled) {
			t.Fatalf("RunBatch with a cancelled ctx = %v, want context.Canceled", err)
		}
	})
}

// TestSessionRunBatchPads checks that RunBatch pads to the configured batch
// sizes and returns only the real rows, equal to an unpadded run's.
func TestSessionRunBatchPads(t *testing.T) {
	env := testEnv(t)
	path := writeModel(t, convStandIn(standInK))
	s, err := NewSession(t.Context(), env, path, SessionConfig{
		Device: DeviceCPU, IntraOpThreads: 1, Logger: quietLogger(), BatchSizes: []int{8, 4, 4, 0, 1 << 30},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if got := s.BatchSizes(); !slices.Equal(got, []int{4, 8}) {
		t.Fatalf("BatchSizes() = %v, want [4 8] (sorted, deduplicated, within 1..max batch)", got)
	}
	plain := testSession(t, env, path)
	tests := []struct{ n, runAs int }{{1, 4}, {3, 4}, {4, 4}, {5, 8}, {8, 8}, {9, 9}}
	var padded int64
	for _, tt := range tests {
		if got := s.padTo(tt.n); got != tt.runAs {
			t.Errorf("padTo(%d) = %d, want %d", tt.n, got, tt.runAs)
		}
		ins := make([][]float32, tt.n)
		for i := range ins {
			ins[i] = randomInput(uint64(100*tt.n+i), standInItem)
		}
		// The pooled buffer holds the previous, larger batch: the padding
		// must be zeroed, not left over.
		rows, err := s.RunBatch(t.Context(), ins)
		if err != nil {
			t.Fatal(err)
		}
		want, err := plain.RunBatch(t.Context(), ins)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != tt.n {
			t.Fatalf("%d inputs gave %d rows", tt.n, len(rows))
		}
		for i := range rows {
			assertClose(t, rows[i], want[i], 1e-5)
		}
		padded += int64(tt.runAs - tt.n)
	}
	if got := s.PaddedRows(); got != padded {
		t.Errorf("PaddedRows() = %d, want %d", got, padded)
	}
	if got := plain.BatchSizes(); got != nil {
		t.Errorf("a CPU session pads to %v by default, want no padding", got)
	}
	if got := batchSizes(nil, DeviceCUDA, 64); !slices.Equal(got, []int{1, 2, 4, 8, 16, 32, 64}) {
		t.Errorf("CUDA default sizes for max batch 64 = %v", got)
	}
}

func TestConvAlgoSearch(t *testing.T) {
	for in, want := range map[string]string{"": "HEURISTIC", "exhaustive": "EXHAUSTIVE", "DEFAULT": "DEFAULT", "fast": ""} {
		got, err := convAlgoSearch(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("convAlgoSearch(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestSessionCheck(t *testing.T) {
	s := testSession(t, testEnv(t), writeModel(t, convStandIn(standInK)))
	if err := s.Check(make([]float32, standInItem)); err != nil {
		t.Fatalf("Check: %v", err)
	}
	for _, n := range []int{0, standInItem - 1, standInItem + 1} {
		err := s.Check(make([]float32, n))
		if e := assertCode(t, err, CodeInput); e.Retryable() || !strings.Contains(e.Error(), fmt.Sprintf("input has %d floats; the model takes 48 per item", n)) {
			t.Fatalf("Check(%d floats) = %q: want a non-retryable input error", n, e)
		}
	}
}

func TestBatcherWithSession(t *testing.T) {
	s := testSession(t, testEnv(t), writeModel(t, convStandIn(standInK)))
	b, err := NewBatcher(s, BatcherConfig[[]float32]{MaxBatch: 4, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	const items = 30
	var wg sync.WaitGroup
	for i := range items {
		wg.Go(func() {
			in := randomInput(uint64(i), standInItem)
			got, err := b.Submit(t.Context(), in)
			if err != nil {
				t.Errorf("item %d: %v", i, err)
				return
			}
			want := standInOutput(standInK, in, 1)
			if len(got) != len(want) {
				t.Errorf("item %d: got %d floats %v, want %d %v", i, len(got), got, len(want), want)
				return
			}
			for j := range got {
				if d := math.Abs(float64(got[j] - want[j])); !(d <= 1e-4) {
					t.Errorf("item %d: got %v, want %v", i, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
	_, err = b.Submit(t.Context(), make([]float32, standInItem+1))
	if e := assertCode(t, err, CodeInput); !strings.Contains(e.Error(), "input has 49 floats") {
		t.Errorf("error %q for a wrong-sized item", e)
	}
	b.Close()
	if st := b.Stats(); st.Items != items || st.Failed != 0 || st.LargestBatch > 4 || st.PaddingEfficiency() != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestSessionClose(t *testing.T) {
	env := testEnv(t)
	s, err := NewSession(t.Context(), env, writeModel(t, convStandIn(standInK)), SessionConfig{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err = s.Run(t.Context(), make([]float32, standInItem), 1)
	if assertCode(t, err, CodeClosed); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after Close = %v, want ErrClosed", err)
	}
}

func TestSessionOutlivesEnvironmentHandle(t *testing.T) {
	env, err := InitEnvironment(EnvConfig{LibraryPath: testORTLibrary(t), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(t.Context(), env, writeModel(t, convStandIn(standInK)), SessionConfig{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := env.Close(); err != nil {
		t.Fatal(err)
	}
	input := randomInput(9, standInItem)
	got, err := s.Run(t.Context(), input, 1)
	if err != nil {
		t.Fatalf("Run after the environment handle was closed: %v", err)
	}
	assertClose(t, got, standInOutput(standInK, input, 1), 1e-4)
	_, err = NewSession(t.Context(), env, writeModel(t, convStandIn(standInK)), SessionConfig{Logger: quietLogger()})
	assertCode(t, err, CodeClosed)
}

func TestInitEnvironmentTwice(t *testing.T) {
	lib := testORTLibrary(t)
	first := testEnv(t)
	second := testEnv(t)
	if first == second || first.LibraryPath() != second.LibraryPath() {
		t.Fatalf("want two handles on one runtime, got %p %q and %p %q", first, first.LibraryPath(), second, second.LibraryPath())
	}
	if first.Version() == "" {
		t.Error("Version is empty")
	}
	other := filepath.Join(t.TempDir(), ORTLibraryName)
	if err := os.WriteFile(other, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := InitEnvironment(EnvConfig{LibraryPath: other, Logger: quietLogger()})
	if e := assertCode(t, err, CodeConfig); !strings.Contains(e.Error(), "already loaded from") {
		t.Fatalf("error %q does not say ORT is already loaded", e)
	}
	_, err = InitEnvironment(EnvConfig{LibraryPath: filepath.Join(filepath.Dir(lib), "missing.so"), Logger: quietLogger()})
	if e := assertCode(t, err, CodeConfig); !strings.Contains(e.Error(), "run make setup") {
		t.Fatalf("error %q does not say to run make setup", e)
	}
}

func TestNewSessionRejectsModels(t *testing.T) {
	env := testEnv(t)
	tests := []struct {
		name  string
		model func() *pb.ModelProto
		want  string
	}{
		{"fixed batch", func() *pb.ModelProto {
			m := convStandIn(standInK)
			m.Graph.Input[0] = valueInfo("input", pb.TensorProto_FLOAT, 1, standInChannels, standInSide, standInSide)
			return m
		}, "fixed batch dimension"},
		{"dynamic item size", func() *pb.ModelProto { return identityStandIn("batch", "n") }, "dimension 1 is dynamic"},
		{"no batch dimension", func() *pb.ModelProto { return identityStandIn("n") }, "want a batch dimension"},
		{"two outputs", func() *pb.ModelProto {
			m := convStandIn(standInK)
			m.Graph.Node = append(m.Graph.Node, &pb.NodeProto{OpType: "Identity", Input: []string{"conv_out"}, Output: []string{"raw"}})
			m.Graph.Output = append(m.Graph.Output, valueInfo("raw", pb.TensorProto_FLOAT, "batch", standInK, 1, 1))
			return m
		}, "2 outputs"},
		{"int64 input", castStandIn, "only float32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSession(t.Context(), env, writeModel(t, tt.model()), SessionConfig{Logger: quietLogger()})
			if e := assertCode(t, err, CodeConfig); !strings.Contains(e.Error(), tt.want) || e.Retryable() {
				t.Fatalf("error %q: want it to contain %q and not be retryable", e, tt.want)
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		_, err := NewSession(t.Context(), env, filepath.Join(t.TempDir(), "none.onnx"), SessionConfig{Logger: quietLogger()})
		if e := assertCode(t, err, CodeConfig); !strings.Contains(e.Error(), "run make setup") {
			t.Fatalf("error %q does not say to run make setup", e)
		}
	})
	t.Run("not a model", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "junk.onnx")
		if err := os.WriteFile(path, []byte("not a protobuf"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := NewSession(t.Context(), env, path, SessionConfig{Logger: quietLogger()})
		assertCode(t, err, CodeConfig)
	})
	t.Run("unknown device", func(t *testing.T) {
		_, err := NewSession(t.Context(), env, writeModel(t, convStandIn(standInK)), SessionConfig{Device: "tpu", Logger: quietLogger()})
		assertCode(t, err, CodeConfig)
	})
}

// cudaProvidersInstalled reports whether make setup-gpu has run, in which
// case the failure paths below cannot be exercised.
func cudaProvidersInstalled(env *Environment) bool {
	return checkCUDAProviders(filepath.Dir(env.LibraryPath())) == nil
}

func TestNewSessionCUDAFailsNamingLibrary(t *testing.T) {
	env := testEnv(t)
	if cudaProvidersInstalled(env) {
		t.Skip("CUDA provider libraries are installed; see TestSessionCUDA")
	}
	_, err := NewSession(t.Context(), env, writeModel(t, convStandIn(standInK)), SessionConfig{Device: DeviceCUDA, Logger: quietLogger()})
	e := assertCode(t, err, CodeConfig)
	for _, want := range []string{"libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so", "run make setup-gpu"} {
		if !strings.Contains(e.Error(), want) {
			t.Errorf("error %q does not mention %q", e, want)
		}
	}
}

// TestCUDALoadErrorFromORT skips the up-front file check to see ORT's own
// failure, and that the message built from it names the library.
func TestCUDALoadErrorFromORT(t *testing.T) {
	env := testEnv(t)
	if cudaProvidersInstalled(env) {
		t.Skip("CUDA provider libraries are installed")
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		t.Fatal(err)
	}
	defer opts.Destroy()
	err = appendCUDA(opts, 0, "")
	if err == nil {
		t.Fatal("appendCUDA succeeded without the CUDA provider libraries")
	}
	msg := cudaLoadError(err).Error()
	if !strings.Contains(msg, "cannot load libonnxruntime_providers_shared.so; run make setup-gpu") {
		t.Fatalf("message %q does not name the missing provider library", msg)
	}
}

func TestNewSessionAutoFallsBackToCPU(t *testing.T) {
	env := testEnv(t)
	if cudaProvidersInstalled(env) {
		t.Skip("CUDA provider libraries are installed; auto may pick CUDA")
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	s, err := NewSession(t.Context(), env, writeModel(t, convStandIn(standInK)), SessionConfig{Device: DeviceAuto, Logger: logger})
	if err != nil {
		t.Fatalf("NewSession(auto): %v", err)
	}
	defer s.Close()
	if s.Device() != DeviceCPU {
		t.Fatalf("Device = %q, want cpu", s.Device())
	}
	if out := logs.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "falling back to CPU") || !strings.Contains(out, "make setup-gpu") {
		t.Fatalf("want a warning saying why CUDA was skipped, got logs:\n%s", out)
	}
	input := randomInput(3, 2*standInItem)
	got, err := s.Run(t.Context(), input, 2)
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, got, standInOutput(standInK, input, 2), 1e-4)
}

// TestSessionCUDA runs only where a GPU and the CUDA provider are set up
// (make setup-gpu) and ITEMVEC_TEST_CUDA=1: it checks that a CUDA session
// starts, reports DeviceCUDA and agrees with the CPU.
func TestSessionCUDA(t *testing.T) {
	if os.Getenv("ITEMVEC_TEST_CUDA") != "1" {
		t.Skip("set ITEMVEC_TEST_CUDA=1 on a machine with a GPU and make setup-gpu done")
	}
	env := testEnv(t)
	path := writeModel(t, convStandIn(standInK))
	s, err := NewSession(t.Context(), env, path, SessionConfig{Device: DeviceCUDA, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("NewSession(cuda): %v", err)
	}
	defer s.Close()
	if s.Device() != DeviceCUDA {
		t.Fatalf("Device = %q, want cuda", s.Device())
	}
	for _, batch := range []int{1, 3, 7} {
		input := randomInput(uint64(batch), batch*standInItem)
		got, err := s.Run(t.Context(), input, batch)
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		assertClose(t, got, standInOutput(standInK, input, batch), 1e-3)
	}
	// RunBatch pads to the CUDA batch sizes: 3 inputs run as 4.
	if got := s.BatchSizes(); len(got) == 0 || got[0] != 1 {
		t.Fatalf("CUDA session pads to %v, want DefaultCUDABatchSizes", got)
	}
	ins := [][]float32{randomInput(11, standInItem), randomInput(12, standInItem), randomInput(13, standInItem)}
	rows, err := s.RunBatch(t.Context(), ins)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range ins {
		assertClose(t, rows[i], standInOutput(standInK, in, 1), 1e-3)
	}
	if s.PaddedRows() != 1 {
		t.Errorf("PaddedRows = %d after a batch of 3, want 1", s.PaddedRows())
	}
}

func BenchmarkSessionRun(b *testing.B) {
	s := testSession(b, testEnv(b), writeModel(b, convStandIn(standInK)))
	for _, batch := range []int{1, 16} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			input := randomInput(1, batch*standInItem)
			for b.Loop() {
				if _, err := s.Run(b.Context(), input, batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
