package workers

import (
	"log/slog"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/internal/sched"
	"github.com/itemvec/itemvec/onnx"
)

// cpuPolicyUnchanged is Worker.CPUPolicy when New left the process's
// policy as it was.
const cpuPolicyUnchanged = "unchanged"

// checkCPUPolicy refuses a Config.CPUPolicy that is neither auto nor a
// policy sched knows.
func checkCPUPolicy(p string) error {
	if p == CPUPolicyAuto {
		return nil
	}
	if _, err := sched.Parse(p); err != nil {
		return itemvec.Errorf(itemvec.KindConfig, "workers.New", "%v, or %s", err, CPUPolicyAuto)
	}
	return nil
}

// applyCPUPolicy gives the process's threads the policy p names for a
// worker on dev (see Config.CPUPolicy) and returns what it set; a failure
// is logged, not returned: the policy is about speed, never correctness.
func applyCPUPolicy(p string, dev onnx.Device, log *slog.Logger) string {
	if p == CPUPolicyAuto {
		if dev != onnx.DeviceCPU {
			return cpuPolicyUnchanged
		}
		p = CPUPolicyBatch
	}
	n, err := sched.Apply(sched.Policy(p))
	if err != nil {
		log.Warn("could not set the CPU scheduling policy; the process keeps its own", "policy", p, "err", err)
		return cpuPolicyUnchanged
	}
	log.Debug("CPU scheduling policy set", "policy", p, "threads", n)
	return p
}
