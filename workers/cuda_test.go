package workers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/workers"
)

// fileObjects serves s3://local/<name> from a folder.
type fileObjects string

func (d fileObjects) Get(_ context.Context, uri string) ([]byte, error) {
	return os.ReadFile(filepath.Join(string(d), strings.TrimPrefix(uri, "s3://local/")))
}

// TestWorkerCUDA runs only where a GPU and the CUDA provider are set up
// (make setup-gpu) and ITEMVEC_TEST_CUDA=1 (make gpu-check sets it): a
// CUDA worker must embed the sample catalog's images and texts as the CPU
// worker does (cosine of the fused vectors ≥ 0.999; cuDNN's convolution
// algorithms and TF32 differ from the CPU's in the last bits), in batches
// padded to the CUDA batch sizes.
func TestWorkerCUDA(t *testing.T) {
	if os.Getenv("ITEMVEC_TEST_CUDA") != "1" {
		t.Skip("set ITEMVEC_TEST_CUDA=1 on a machine with a GPU and make setup-gpu done")
	}
	testdeps.Require(t, "ort/libonnxruntime_providers_cuda.so", "models/mobilenetv2_nsfwjs_gap.onnx", "models/use_lite.onnx")
	dir := filepath.Join(itemvec.DepsDir(), "catalog", "images")
	names, err := filepath.Glob(filepath.Join(dir, "*.jpg"))
	if err != nil || len(names) < 8 {
		t.Fatalf("sample catalog images: %d, %v", len(names), err)
	}
	ctx := context.Background()
	open := func(device onnx.Device) *workers.Worker {
		w, err := workers.New(ctx, workers.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Objects: fileObjects(dir),
			Models: workers.ModelConfig{Device: device, MaxBatch: 8, MaxWait: time.Millisecond}})
		if err != nil {
			t.Fatalf("%s worker: %v", device, err)
		}
		t.Cleanup(func() { w.Close() })
		return w
	}
	cpu, gpu := open(onnx.DeviceCPU), open(onnx.DeviceCUDA)
	if gpu.Device() != onnx.DeviceCUDA {
		t.Fatalf("CUDA worker runs on %q", gpu.Device())
	}
	// The warm-up runs every padded shape a batch of up to 8 can take.
	if warm, err := gpu.WarmUp(ctx); err != nil || !slices.Equal(warm.ImageSizes, []int{1, 2, 4, 8}) || warm.TextRuns != 1 {
		t.Fatalf("CUDA WarmUp = %+v, %v; want the image model at 1, 2, 4 and 8, the text model once", warm, err)
	} else {
		t.Logf("CUDA warm-up: %d image runs (batch sizes %v), %d text run in %s", warm.ImageRuns, warm.ImageSizes, warm.TextRuns, warm.Elapsed)
	}
	minCos := 1.0
	for i, name := range names {
		it := workers.Item{ID: fmt.Sprintf("sku-%d", i), Images: []string{"s3://local/" + filepath.Base(name)},
			Text: &workers.Text{Title: "Stainless steel espresso machine"}, Behavior: &fusion.Behavior{Price: 20}}
		a, err := cpu.Embed(ctx, it)
		if err != nil {
			t.Fatal(err)
		}
		b, err := gpu.Embed(ctx, it)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Vector.Modalities, b.Vector.Modalities) {
			t.Fatalf("%s: modalities %v on CPU, %v on CUDA", name, a.Vector.Modalities, b.Vector.Modalities)
		}
		minCos = math.Min(minCos, cosine(a.Vector.Vector, b.Vector.Vector))
	}
	t.Logf("CUDA vs CPU over %d catalog images: min cosine %.6f", len(names), minCos)
	if !(minCos >= 0.999) {
		t.Fatalf("CUDA and CPU vectors differ: min cosine %.6f, want ≥ 0.999", minCos)
	}
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}
