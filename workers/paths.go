package workers

import (
	"os"
	"path/filepath"
)

// DepsDir is the folder make setup fills: $ITEMVEC_DEPS if set, else the
// .deps folder of the source tree found by walking up from the working
// directory or from the executable (bin/itemvec -> ../.deps), else ".deps".
func DepsDir() string {
	if d := os.Getenv("ITEMVEC_DEPS"); d != "" {
		return d
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range starts {
		for {
			if fi, err := os.Stat(filepath.Join(dir, ".deps")); err == nil && fi.IsDir() {
				return filepath.Join(dir, ".deps")
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return ".deps"
}

// DefaultModelsDir is $ITEMVEC_MODELS_DIR, else DepsDir()/models.
func DefaultModelsDir() string {
	if d := os.Getenv("ITEMVEC_MODELS_DIR"); d != "" {
		return d
	}
	return filepath.Join(DepsDir(), "models")
}

// DefaultCatalogDir is DepsDir()/catalog, where make setup writes the sample
// catalog.
func DefaultCatalogDir() string { return filepath.Join(DepsDir(), "catalog") }
