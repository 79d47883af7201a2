package workers

import (
	"os/exec"
	"strings"
	"testing"
)

// TestWorkerPathHoldsOnlyRuntimeCode checks, with go list -deps, that the
// packages a worker runs, and the itemvec binary built for deployments
// (-tags worker), do not link the in-process stand-ins, the demo, test
// support or the setup-time model converters and their dependencies.
func TestWorkerPathHoldsOnlyRuntimeCode(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"package workers", []string{"github.com/itemvec/itemvec/workers"}},
		{"itemvec -tags worker", []string{"-tags", "worker", "github.com/itemvec/itemvec/cmd/itemvec"}},
	} {
		t.Run(tt.name, func(t *testing.T) { checkRuntimeDeps(t, tt.args...) })
	}
}

func checkRuntimeDeps(t *testing.T, args ...string) {
	if testing.Short() {
		t.Skip("-short: runs the go command")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out, err := exec.Command(goTool, append([]string{"list", "-deps"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	forbidden := []string{
		"github.com/johannesboyne/gofakes3",       // in-process S3
		"github.com/alicebob/miniredis",           // in-process Redis
		"github.com/advancedclimatesystems/gonnx", // model converters' ONNX protos
		"gorgonia.org/",                           // gonnx's tensors
		"github.com/itemvec/itemvec/onnx/convert", // setup-time converters
		"github.com/itemvec/itemvec/workers/demo", // itemvec run / bench
		"github.com/itemvec/itemvec/storage/embedded",
		"github.com/itemvec/itemvec/storage/redistest",
		"github.com/itemvec/itemvec/storage/s3test",
		"github.com/itemvec/itemvec/internal/testdeps",
	}
	for _, d := range deps {
		for _, f := range forbidden {
			if strings.HasPrefix(d, f) {
				t.Errorf("%v imports %s", args, d)
			}
		}
	}
	var itemvec []string
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/itemvec/itemvec") {
			itemvec = append(itemvec, d)
		}
	}
	t.Logf("itemvec packages on the worker path: %s", strings.Join(itemvec, " "))
	if len(itemvec) < 5 {
		t.Fatalf("go list -deps found only %v; the check cannot have worked", itemvec)
	}
}
