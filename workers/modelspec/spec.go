package modelspec

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/extract"
)

// The kinds of model a [Spec] can describe.
const (
	// KindImage is the Spec.Kind of models that embed one image.
	KindImage = "image"
	// KindText is the Spec.Kind of transformer text encoders, run with
	// onnx.TextSession as the spec's text section says.
	KindText = "text"
)

// Spec describes a model file and how to feed it: which file (checked by
// sha256), what its input and output are called, how many values it returns
// per item and, for image models, how to turn an image into its input tensor
// (an extract.ImageSpec), for text models how to tokenize a text and pool the
// model's output ([Text]). Specs are JSON files; the built-in ones are
// [DefaultImage] and [DefaultText].
type Spec struct {
	// ID names the model and its version, "name@version", e.g.
	// "mobilenetv2-nsfwjs-gap@1". Vectors record it, so a new model file
	// or preprocessing needs a new version.
	ID string `json:"id"`
	// Kind is what the model embeds: "image" or "text".
	Kind string `json:"kind"`
	// File is the model file, relative to the models directory or absolute.
	File string `json:"file"`
	// SHA256 is the hex sha256 of File.
	SHA256 string `json:"sha256"`
	// Input and Output are the names of the model's input and output. When
	// set they are checked against the model. Image models only: a text
	// model has several inputs and names them, and its output, in its text
	// section.
	Input  string `json:"input,omitempty"`
	Output string `json:"output,omitempty"`
	// OutputDim is the number of values the model returns per item.
	OutputDim int `json:"output_dim"`
	// Image says how to prepare an image for the model; required when Kind
	// is "image".
	Image *extract.ImageSpec `json:"image,omitempty"`
	// Text says how to tokenize a text for the model and how to pool its
	// output; required when Kind is "text". See [Text].
	Text *Text `json:"text,omitempty"`
	// Source and License say where the weights come from and under what
	// terms.
	Source  string `json:"source,omitempty"`
	License string `json:"license,omitempty"`
}

//go:embed specs/mobilenetv2-nsfwjs.json
var defaultImageSpecJSON []byte

//go:embed specs/use-lite.json
var defaultTextSpecJSON []byte

// DefaultText returns the built-in text model spec: Universal Sentence
// Encoder Lite converted to ONNX, 512 values, English only (see
// specs/use-lite.json). Each call returns a new copy.
func DefaultText() *Spec {
	s, err := Parse(defaultTextSpecJSON)
	if err != nil {
		// The embedded file is part of the source; a test keeps it valid.
		panic("modelspec: built-in text model spec is invalid: " + err.Error())
	}
	return s
}

// DefaultImage returns the built-in image model spec: MobileNetV2 with
// ImageNet weights, global-average-pooled to 1280 values (see
// specs/mobilenetv2-nsfwjs.json). Each call returns a new copy.
func DefaultImage() *Spec {
	s, err := Parse(defaultImageSpecJSON)
	if err != nil {
		// The embedded file is part of the source; a test keeps it valid.
		panic("modelspec: built-in model spec is invalid: " + err.Error())
	}
	return s
}

// Load reads and validates the model spec JSON file at path.
func Load(path string) (*Spec, error) {
	const op = "modelspec.Load"
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, itemvec.E(itemvec.KindConfig, op, err)
	}
	s, err := Parse(data)
	if err != nil {
		return nil, errorf(op, "%s: %w", path, err)
	}
	return s, nil
}

// Parse decodes and validates a model spec. Unknown fields are an error, so
// a typo cannot silently fall back to a default.
func Parse(data []byte) (*Spec, error) {
	const op = "modelspec.Parse"
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Spec
	if err := dec.Decode(&s); err != nil {
		return nil, errorf(op, "decoding model spec: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errorf(op, "decoding model spec: data after the JSON object")
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Validate reports the first thing wrong with s, as an itemvec.KindConfig
// error.
func (s *Spec) Validate() error {
	const op = "modelspec.Spec.Validate"
	name, version, ok := strings.Cut(s.ID, "@")
	if !ok || name == "" || version == "" || strings.ContainsAny(s.ID, " \t\n/") {
		return errorf(op, "model spec id %q: want name@version, e.g. mobilenetv2-nsfwjs-gap@1", s.ID)
	}
	if s.Kind != KindImage && s.Kind != KindText {
		return errorf(op, "model spec %s: kind %q is not supported (want %q or %q)", s.ID, s.Kind, KindImage, KindText)
	}
	if s.File == "" {
		return errorf(op, "model spec %s: file is empty", s.ID)
	}
	if !isSHA256Hex(s.SHA256) {
		return errorf(op, "model spec %s: sha256 %q is not 64 hex digits", s.ID, s.SHA256)
	}
	if s.OutputDim <= 0 {
		return errorf(op, "model spec %s: output_dim must be positive, got %d", s.ID, s.OutputDim)
	}
	if s.Kind == KindText {
		return s.validateText()
	}
	if s.Text != nil {
		return errorf(op, "model spec %s: a text section is not supported in an image model", s.ID)
	}
	if s.Image == nil {
		return errorf(op, "model spec %s: an image model needs an image section", s.ID)
	}
	if err := s.Image.Validate(); err != nil {
		return errorf(op, "model spec %s: %w", s.ID, err)
	}
	return nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// ModelPath is where the model file is: File itself when it is absolute,
// else File inside modelsDir.
func (s *Spec) ModelPath(modelsDir string) string {
	if filepath.IsAbs(s.File) {
		return s.File
	}
	return filepath.Join(modelsDir, s.File)
}

// VerifyFile checks that the model file exists and has the sha256 the spec
// names. Either failure is an itemvec.KindConfig error that says to run make setup.
func (s *Spec) VerifyFile(modelsDir string) error {
	const op = "modelspec.Spec.VerifyFile"
	path := s.ModelPath(modelsDir)
	got, err := fileSHA256(path)
	if err != nil {
		return errorf(op, "model %s: %w; run make setup to build it", s.ID, err)
	}
	if !strings.EqualFold(got, s.SHA256) {
		return errorf(op, "model %s: %s has sha256 %s but the spec wants %s; the file is stale or corrupt: run make setup to rebuild it",
			s.ID, path, got, s.SHA256)
	}
	return nil
}

// ModelIO is what [Spec.CheckModel] needs to know about a loaded image
// model. *onnx.Session implements it.
type ModelIO interface {
	InputName() string
	OutputName() string
	InputShape() []int64
	OutputDim() int
}

// CheckModel fails with an itemvec.KindConfig error unless the loaded model m
// matches the spec: input and output names (where the spec sets them),
// output size, and an input shape of 3×Height×Width (NCHW) or
// Height×Width×3 (NHWC) as the image section says.
func (s *Spec) CheckModel(m ModelIO) error {
	const op = "modelspec.Spec.CheckModel"
	if s.Input != "" && m.InputName() != s.Input {
		return errorf(op, "model %s: input is named %q, the spec says %q", s.ID, m.InputName(), s.Input)
	}
	if s.Output != "" && m.OutputName() != s.Output {
		return errorf(op, "model %s: output is named %q, the spec says %q", s.ID, m.OutputName(), s.Output)
	}
	if m.OutputDim() != s.OutputDim {
		return errorf(op, "model %s: outputs %d values per item, the spec says %d", s.ID, m.OutputDim(), s.OutputDim)
	}
	if s.Image != nil {
		img := s.Image.WithDefaults()
		want := []int64{3, int64(img.Height), int64(img.Width)}
		if img.Layout == extract.LayoutNHWC {
			want = []int64{int64(img.Height), int64(img.Width), 3}
		}
		if got := m.InputShape(); !slices.Equal(got, want) {
			return errorf(op, "model %s: input shape per item is %v, the spec's %s %d×%d image needs %v",
				s.ID, got, img.Layout, img.Width, img.Height, want)
		}
	}
	return nil
}

// errorf returns an itemvec.KindConfig error: every failure of this package
// is a deployment mistake.
func errorf(op, format string, args ...any) *itemvec.Error {
	return itemvec.Errorf(itemvec.KindConfig, op, format, args...)
}

// fileSHA256 is the hex sha256 of the file at path.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
