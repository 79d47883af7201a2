package workers_test

import (
	"context"
	"errors"
	"testing"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/internal/sched"
	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/workers"
)

// TestCPUPolicy: New gives every thread of the process (ONNX Runtime's
// included) the policy Config.CPUPolicy names, auto means batch on the
// CPU, and an unknown policy is a config error before any model loads.
func TestCPUPolicy(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs ONNX Runtime and the image model")
	}
	testdeps.Require(t, "ort/libonnxruntime.so.1", "models/mobilenetv2_nsfwjs_gap.onnx")
	ctx := context.Background()
	t.Cleanup(func() { sched.Apply(sched.Normal) })
	for _, tt := range []struct {
		policy, want string
	}{
		{workers.CPUPolicyNormal, "normal"},
		{"", "batch"}, // auto, on the CPU
		{workers.CPUPolicyNormal, "normal"},
		{workers.CPUPolicyBatch, "batch"},
	} {
		w, err := workers.New(ctx, workers.Config{CPUPolicy: tt.policy, Models: workers.ModelConfig{Text: workers.TextModelNone, Device: onnx.DeviceCPU}})
		if err != nil {
			t.Fatal(err)
		}
		got := w.CPUPolicy()
		w.Close()
		if got != tt.want {
			t.Errorf("CPUPolicy %q: worker says %q, want %q", tt.policy, got, tt.want)
		}
		counts, err := sched.Count()
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, n := range counts {
			total += n
		}
		if counts[sched.Policy(tt.want)] != total {
			t.Errorf("CPUPolicy %q: the process's threads by policy %v, want all %d %s", tt.policy, counts, total, tt.want)
		}
	}
	_, err := workers.New(ctx, workers.Config{CPUPolicy: "fifo"})
	var ie *itemvec.Error
	if !errors.As(err, &ie) || ie.Kind != itemvec.KindConfig {
		t.Errorf("CPUPolicy fifo: %v, want a config error", err)
	}
}
