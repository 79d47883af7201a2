package itemvec

import (
	"os"
	"path/filepath"
)

// DepsEnv names the folder make setup installs into, when set.
const DepsEnv = "ITEMVEC_DEPS"

// DepsDir is the folder make setup fills: $ITEMVEC_DEPS if set, else the
// nearest .deps folder of the source tree (see [FindInTree]), else ".deps".
func DepsDir() string {
	if d := os.Getenv(DepsEnv); d != "" {
		return d
	}
	return FindInTree(".deps")
}

// FindInTree returns rel under the nearest folder that has it, walking up
// from the working directory and then from the executable's folder
// (bin/itemvec -> ../rel); rel itself when none has it.
func FindInTree(rel string) string {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range starts {
		for {
			p := filepath.Join(dir, rel)
			if _, err := os.Stat(p); err == nil {
				return p
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return rel
}
