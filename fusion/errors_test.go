package fusion_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/fusion"
)

// The messages are "fusion: Op: Field: <code in words>: reason", as before
// the module-wide error type; logs and failure records quote them.
func TestErrorMessages(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"id": "x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	absent := filepath.Join(dir, "absent.json")
	noVersion := fusion.DefaultSpec()
	noVersion.Version = 0
	small := smallSpec(t, 1, 1, 1)
	tests := []struct {
		name string
		err  func() error
		op   string
		want string
	}{
		{"dimension", func() error { _, err := fusion.Fuse(small, fusion.Inputs{Image: []float32{1, 2, 3}}); return err },
			"fusion.Fuse", "fusion: Fuse: image: dimension mismatch: got 3 values, want 4"},
		{"no field", func() error { _, err := fusion.Fuse(small, fusion.Inputs{}); return err },
			"fusion.Fuse", "fusion: Fuse: missing modality: no block present: need an image or text embedding with non-zero norm, or a behaviour"},
		{"behaviour", func() error { _, err := fusion.BehaviorFeatures(&fusion.Behavior{Price: -1}, small); return err },
			"fusion.BehaviorFeatures", "fusion: BehaviorFeatures: behavior.price: invalid input: -1 must be finite and not negative"},
		{"validate", noVersion.Validate,
			"fusion.Validate", "fusion: Validate: version: invalid spec: 0 must be at least 1"},
		{"parse", func() error { _, err := fusion.ParseSpec([]byte(`{"id": "x"} {}`)); return err },
			"fusion.ParseSpec", "fusion: ParseSpec: invalid spec: trailing data after the spec object"},
		{"load invalid", func() error { _, err := fusion.LoadSpec(bad); return err },
			"fusion.LoadSpec", "fusion: LoadSpec: version: invalid spec: " + bad + ": 0 must be at least 1"},
		{"load absent", func() error { _, err := fusion.LoadSpec(absent); return err },
			"fusion.LoadSpec", "fusion: LoadSpec: invalid spec: open " + absent + ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if err == nil {
				t.Fatal("err = nil")
			}
			if err.Error() != tt.want {
				t.Errorf("err = %q\nwant  %q", err, tt.want)
			}
			e, ok := errors.AsType[*itemvec.Error](err)
			if !ok {
				t.Fatalf("err = %T, want *itemvec.Error", err)
			}
			if e.Op != tt.op {
				t.Errorf("Op = %q, want %q", e.Op, tt.op)
			}
		})
	}
}

func TestFieldOf(t *testing.T) {
	_, fuseErr := fusion.Fuse(smallSpec(t, 1, 1, 1), fusion.Inputs{Text: []float32{1}})
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"fusion error", fuseErr, "text"},
		{"wrapped", fmt.Errorf("item 7: %w", fuseErr), "text"},
		{"rewrapped by a caller", itemvec.Wrap("workers.fuse", fuseErr), "text"},
		{"other error", errors.New("text"), ""},
		{"other itemvec error", itemvec.Errorf(itemvec.KindBadInput, "extract.DecodeImage", "corrupt"), ""},
		{"nil", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fusion.FieldOf(tt.err); got != tt.want {
				t.Errorf("FieldOf(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
	if got := itemvec.CodeOf(itemvec.Wrap("workers.fuse", fuseErr)); got != fusion.CodeDimensionMismatch {
		t.Errorf("CodeOf(Wrap(err)) = %q, want %q", got, fusion.CodeDimensionMismatch)
	}
}
