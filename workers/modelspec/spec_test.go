package modelspec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/extract"
)

// validSpec is a valid image model spec for a 4×4 NCHW input.
func validSpec() *Spec {
	return &Spec{
		ID:        "stand-in@1",
		Kind:      KindImage,
		File:      "stand_in.onnx",
		SHA256:    strings.Repeat("ab", 32),
		Input:     "input",
		Output:    "features",
		OutputDim: 5,
		Image:     &extract.ImageSpec{Width: 4, Height: 4, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}},
	}
}

func TestDefaultImageSpec(t *testing.T) {
	s := DefaultImage()
	if err := s.Validate(); err != nil {
		t.Fatalf("built-in spec is invalid: %v", err)
	}
	if s.ID != "mobilenetv2-nsfwjs-gap@1" || s.OutputDim != 1280 || s.Input != "input" || s.Output != "features" {
		t.Errorf("unexpected built-in spec: %+v", s)
	}
	img := s.Image.WithDefaults()
	if img.Width != 224 || img.Height != 224 || img.Layout != extract.LayoutNCHW || img.TensorSize() != 3*224*224 {
		t.Errorf("unexpected image section: %+v", img)
	}
	s.Image.Width = 1
	if DefaultImage().Image.Width != 224 {
		t.Error("DefaultImageSpec returned shared state")
	}
}

func TestParse(t *testing.T) {
	valid, err := json.Marshal(validSpec())
	if err != nil {
		t.Fatal(err)
	}
	// edit returns valid JSON with one field replaced (or removed, for nil).
	edit := func(field string, value any) []byte {
		var m map[string]any
		if err := json.Unmarshal(valid, &m); err != nil {
			t.Fatal(err)
		}
		if value == nil {
			delete(m, field)
		} else {
			m[field] = value
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tests := []struct {
		name    string
		data    []byte
		wantErr string // "" for success
	}{
		{"valid", valid, ""},
		{"upper-case sha256", edit("sha256", strings.Repeat("AB", 32)), ""},
		{"optional names omitted", edit("input", nil), ""},
		{"unknown field", edit("outputdim", 3), "unknown field"},
		{"trailing data", append(append([]byte{}, valid...), []byte(` {}`)...), "data after"},
		{"not JSON", []byte("model: x"), "decoding"},
		{"id without version", edit("id", "stand-in"), "name@version"},
		{"id with empty version", edit("id", "stand-in@"), "name@version"},
		{"text kind", edit("kind", "text"), "not supported"},
		{"no file", edit("file", ""), "file is empty"},
		{"placeholder sha256", edit("sha256", "TODO"), "64 hex digits"},
		{"short sha256", edit("sha256", strings.Repeat("a", 63)), "64 hex digits"},
		{"non-hex sha256", edit("sha256", strings.Repeat("g", 64)), "64 hex digits"},
		{"zero output_dim", edit("output_dim", 0), "output_dim"},
		{"no image", edit("image", nil), "image section"},
		{"bad image", edit("image", map[string]any{"width": 4, "height": 4, "layout": "CHWN"}), "layout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.data)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if s.ID != "stand-in@1" || s.OutputDim != 5 {
					t.Fatalf("parsed %+v", s)
				}
				return
			}
			if e := assertConfig(t, err); !strings.Contains(e.Error(), tt.wantErr) || e.Retryable() {
				t.Fatalf("error %q: want it to contain %q and not be retryable", e, tt.wantErr)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "spec.json")
	data, err := json.Marshal(validSpec())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Fatalf("Load: %v", err)
	}
	_, err = Load(filepath.Join(dir, "missing.json"))
	assertConfig(t, err)
	if err := os.WriteFile(path, []byte(`{"id": "x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path)
	if e := assertConfig(t, err); !strings.Contains(e.Error(), path) {
		t.Fatalf("error %q does not name the file", e)
	}
}

func TestModelPath(t *testing.T) {
	s := validSpec()
	if got, want := s.ModelPath("/models"), filepath.Join("/models", "stand_in.onnx"); got != want {
		t.Errorf("relative: ModelPath = %q, want %q", got, want)
	}
	s.File = "/opt/m.onnx"
	if got := s.ModelPath("/models"); got != "/opt/m.onnx" {
		t.Errorf("absolute: ModelPath = %q", got)
	}
}

func TestVerifyFile(t *testing.T) {
	dir := t.TempDir()
	content := []byte("model bytes")
	sum := sha256.Sum256(content)
	if err := os.WriteFile(filepath.Join(dir, "stand_in.onnx"), content, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		file    string
		sha     string
		wantErr []string
	}{
		{"match", "stand_in.onnx", hex.EncodeToString(sum[:]), nil},
		{"match upper-case", "stand_in.onnx", strings.ToUpper(hex.EncodeToString(sum[:])), nil},
		{"mismatch", "stand_in.onnx", strings.Repeat("0", 64), []string{hex.EncodeToString(sum[:]), "stale or corrupt", "run make setup"}},
		{"missing", "other.onnx", strings.Repeat("0", 64), []string{"other.onnx", "run make setup"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSpec()
			s.File, s.SHA256 = tt.file, tt.sha
			err := s.VerifyFile(dir)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("VerifyFile: %v", err)
				}
				return
			}
			e := assertConfig(t, err)
			for _, want := range tt.wantErr {
				if !strings.Contains(e.Error(), want) {
					t.Errorf("error %q does not contain %q", e, want)
				}
			}
		})
	}
}

// fakeModelIO is a loaded model as CheckModel sees it.
type fakeModelIO struct {
	in, out string
	shape   []int64
	dim     int
}

func (f fakeModelIO) InputName() string   { return f.in }
func (f fakeModelIO) OutputName() string  { return f.out }
func (f fakeModelIO) InputShape() []int64 { return f.shape }
func (f fakeModelIO) OutputDim() int      { return f.dim }

func TestCheckModel(t *testing.T) {
	good := fakeModelIO{in: "input", out: "features", shape: []int64{3, 4, 4}, dim: 5}
	tests := []struct {
		name    string
		spec    func(*Spec)
		model   fakeModelIO
		wantErr string
	}{
		{"match", func(*Spec) {}, good, ""},
		{"names not in spec", func(s *Spec) { s.Input, s.Output = "", "" }, fakeModelIO{in: "x", out: "y", shape: good.shape, dim: good.dim}, ""},
		{"NHWC", func(s *Spec) { s.Image.Layout = extract.LayoutNHWC }, fakeModelIO{in: "input", out: "features", shape: []int64{4, 4, 3}, dim: good.dim}, ""},
		{"input name", func(*Spec) {}, fakeModelIO{in: "pixels", out: "features", shape: good.shape, dim: good.dim}, `input is named "pixels"`},
		{"output name", func(*Spec) {}, fakeModelIO{in: "input", out: "logits", shape: good.shape, dim: good.dim}, `output is named "logits"`},
		{"output dim", func(*Spec) {}, fakeModelIO{in: "input", out: "features", shape: good.shape, dim: 1000}, "outputs 1000 values"},
		{"layout", func(s *Spec) { s.Image.Layout = extract.LayoutNHWC }, good, "needs [4 4 3]"},
		{"image size", func(s *Spec) { s.Image.Width = 8 }, good, "needs [3 4 8]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSpec()
			tt.spec(s)
			err := s.CheckModel(tt.model)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckModel: %v", err)
				}
				return
			}
			if e := assertConfig(t, err); !strings.Contains(e.Error(), tt.wantErr) {
				t.Fatalf("error %q does not contain %q", e, tt.wantErr)
			}
		})
	}
}

// assertConfig fails unless err is an *itemvec.Error of kind config, and
// returns it.
func assertConfig(t *testing.T, err error) *itemvec.Error {
	t.Helper()
	e, ok := errors.AsType[*itemvec.Error](err)
	if !ok {
		t.Fatalf("error %v (%T) is not an *itemvec.Error", err, err)
	}
	if e.Kind != itemvec.KindConfig {
		t.Fatalf("error %q has kind %v, want config", err, e.Kind)
	}
	return e
}
