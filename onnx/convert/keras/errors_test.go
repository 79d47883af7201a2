package keras

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/itemvec/itemvec"
)

// codeKind is the kind each code must carry.
func codeKind(code string) itemvec.Kind {
	switch code {
	case CodeMalformed:
		return itemvec.KindBadInput
	case CodeUnsupported:
		return itemvec.KindConfig
	}
	return itemvec.KindInternal
}

// The messages are those of the package's error type before the
// module-wide one: "keras: step: [layer "name": ]<what>: detail".
func TestErrorMessages(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(m *testModel)
		code   string
		want   string
	}{
		{"unsupported layer", func(m *testModel) { m.layer("relu").class = "ELU" }, CodeUnsupported,
			`keras: convert ELU: layer "relu": unsupported: layer class ELU is not supported`},
		{"unsupported fold", func(m *testModel) { m.layer("conv_bn").config["axis"] = 1 }, CodeUnsupported,
			`keras: fold BatchNormalization: layer "conv_bn": unsupported: axis 1 (only the channels axis, -1 or 3)`},
		{"malformed layer", func(m *testModel) { m.layer("add").inputs = []string{"relu", "nope"} }, CodeMalformed,
			`keras: read topology: layer "add": malformed input: input "nope" is not an earlier layer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := baseModel()
			tt.mutate(m)
			_, _, err := m.convert(t)
			checkError(t, err, tt.code, tt.want)
		})
	}
	t.Run("malformed without a layer", func(t *testing.T) {
		_, _, err := ConvertNSFWJS([]byte("module.exports=e()"), nil)
		checkError(t, err, CodeMalformed,
			"keras: parse model.min.js: malformed input: no `.exports = {...}` or `.exports = \"...\"` assignment found")
	})
}

func checkError(t *testing.T, err error, code, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %q", want)
	}
	if err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
	e, ok := errors.AsType[*itemvec.Error](err)
	if !ok {
		t.Fatalf("err is %T, want *itemvec.Error", err)
	}
	if e.Code != code || e.Kind != codeKind(code) || e.Op != "keras.ConvertNSFWJS" {
		t.Errorf("kind, code, op = %v, %q, %q, want %v, %q, keras.ConvertNSFWJS", e.Kind, e.Code, e.Op, codeKind(code), code)
	}
	if itemvec.IsRetryable(err) {
		t.Error("IsRetryable = true")
	}
}

func TestConvertDirFileErrors(t *testing.T) {
	dir := t.TempDir()
	_, _, err := ConvertDir(dir)
	if want := "keras: open " + filepath.Join(dir, NSFWJSModelFile) + ": no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	if !errors.Is(err, fs.ErrNotExist) || itemvec.KindOf(err) != itemvec.KindNotFound || itemvec.CodeOf(err) != "" {
		t.Errorf("err = %v (kind %v, code %q), want fs.ErrNotExist, kind not_found, no code", err, itemvec.KindOf(err), itemvec.CodeOf(err))
	}

	// A folder where the weights file should be: readable name, unreadable file.
	if err := os.WriteFile(filepath.Join(dir, NSFWJSModelFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, NSFWJSWeightsFile), 0o755); err != nil {
		t.Fatal(err)
	}
	_, _, err = ConvertDir(dir)
	if err == nil || errors.Is(err, fs.ErrNotExist) || itemvec.KindOf(err) != itemvec.KindConfig || itemvec.IsRetryable(err) {
		t.Errorf("err = %v (kind %v), want a non-retryable config error", err, itemvec.KindOf(err))
	}
}
