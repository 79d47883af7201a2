package workers

import (
	"runtime"
	"testing"

	"github.com/itemvec/itemvec/onnx"
)

func TestImageSessions(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(procs)
	tests := []struct {
		name          string
		procs         int
		mc            ModelConfig
		text          bool
		sessions, thr int
	}{
		{"2 CPUs, image only: two 1-thread sessions", 2, ModelConfig{Device: onnx.DeviceCPU}, false, 2, 1},
		{"2 CPUs with a text model: the image model's one core", 2, ModelConfig{Device: onnx.DeviceCPU}, true, 1, 1},
		{"16 CPUs, image only: at most 4 sessions", 16, ModelConfig{Device: onnx.DeviceCPU}, false, 4, 4},
		{"6 CPUs with a text model: 3 sessions of 1", 6, ModelConfig{Device: onnx.DeviceCPU}, true, 3, 1},
		{"6 CPUs, image only: 4 sessions, threads rounded up", 6, ModelConfig{Device: onnx.DeviceCPU}, false, 4, 2},
		{"1 CPU", 1, ModelConfig{Device: onnx.DeviceCPU}, false, 1, 1},
		{"explicit sessions share the CPUs", 8, ModelConfig{Device: onnx.DeviceCPU, ImageSessions: 2}, false, 2, 4},
		{"explicit sessions and threads", 8, ModelConfig{Device: onnx.DeviceCPU, ImageSessions: 3, Threads: 2}, false, 3, 2},
		{"explicit threads: one session", 8, ModelConfig{Device: onnx.DeviceCPU, Threads: 2}, false, 1, 2},
		{"ORT's default threads: one session", 8, ModelConfig{Device: onnx.DeviceCPU, Threads: -1}, false, 1, 0},
		{"CUDA: one session", 8, ModelConfig{Device: onnx.DeviceCUDA}, false, 1, 0},
		{"CUDA, explicit sessions", 8, ModelConfig{Device: onnx.DeviceCUDA, ImageSessions: 2}, false, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runtime.GOMAXPROCS(tt.procs)
			n, th := imageSessions(tt.mc, tt.text)
			if n != tt.sessions || th != tt.thr {
				t.Errorf("imageSessions = %d sessions × %d threads, want %d × %d", n, th, tt.sessions, tt.thr)
			}
		})
	}
}
