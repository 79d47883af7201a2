package standin_test

import (
	"errors"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/onnx/convert/standin"
)

// The message is the one of the package's error type before the
// module-wide one: "standin: Config.Field: what is wrong".
func TestConfigErrorMessage(t *testing.T) {
	_, err := standin.BERT(standin.Config{Hidden: 30, Heads: 4})
	if want := "standin: Config.Hidden: 30 is not a multiple of Heads (4)"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	if e, ok := errors.AsType[*itemvec.Error](err); !ok || e.Op != "standin.BERT" {
		t.Errorf("err = %#v, want an *itemvec.Error of op standin.BERT", err)
	}
}

func TestWriteFileError(t *testing.T) {
	err := standin.WriteFile(filepath.Join(t.TempDir(), "absent", "model.onnx"))
	if err == nil {
		t.Fatal("WriteFile into a missing folder succeeded")
	}
	if !errors.Is(err, fs.ErrNotExist) || itemvec.KindOf(err) != itemvec.KindConfig || itemvec.IsRetryable(err) {
		t.Errorf("err = %v (kind %v), want a non-retryable config error wrapping fs.ErrNotExist", err, itemvec.KindOf(err))
	}
}
