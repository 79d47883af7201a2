package workers

import (
	"os/exec"
	"strings"
	"testing"
)

// TestWorkerPathHoldsOnlyRuntimeCode checks, with go list -deps, that the
// packages a worker runs do not link the in-process stand-ins, the demo,
// test support or the setup-time model converters and their dependencies.
func TestWorkerPathHoldsOnlyRuntimeCode(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the go command")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/itemvec/itemvec/workers").CombinedOutput()
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
				t.Errorf("the worker path imports %s", d)
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
