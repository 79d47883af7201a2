package extract

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/itemvec/itemvec"
)

// sixPixels is 3×2 with pixel (x, y) = (b, b+1, b+2) where b = 1 + 3(3y+x),
// so every value in every channel says where it came from.
func sixPixels() *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for y := range 2 {
		for x := range 3 {
			b := uint8(1 + 3*(3*y+x))
			m.SetNRGBA(x, y, color.NRGBA{b, b + 1, b + 2, 255})
		}
	}
	return m
}

func TestTensorLayout(t *testing.T) {
	raw := ImageSpec{Width: 3, Height: 2, Scale: 1}
	tests := []struct {
		layout, order string
		want          []float32
	}{
		{LayoutNCHW, ChannelsRGB, []float32{
			1, 4, 7, 10, 13, 16, // R plane, row by row
			2, 5, 8, 11, 14, 17, // G plane
			3, 6, 9, 12, 15, 18, // B plane
		}},
		{LayoutNCHW, ChannelsBGR, []float32{
			3, 6, 9, 12, 15, 18,
			2, 5, 8, 11, 14, 17,
			1, 4, 7, 10, 13, 16,
		}},
		{LayoutNHWC, ChannelsRGB, []float32{
			1, 2, 3, 4, 5, 6, 7, 8, 9,
			10, 11, 12, 13, 14, 15, 16, 17, 18,
		}},
		{LayoutNHWC, ChannelsBGR, []float32{
			3, 2, 1, 6, 5, 4, 9, 8, 7,
			12, 11, 10, 15, 14, 13, 18, 17, 16,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.layout+"/"+tt.order, func(t *testing.T) {
			spec := raw
			spec.Layout, spec.ChannelOrder = tt.layout, tt.order
			got := make([]float32, spec.TensorSize())
			Tensor(sixPixels(), spec, got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Tensor =\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

// Mean and Std are given in RGB order and must follow the channel they
// belong to when the output is BGR.
func TestTensorNormalisation(t *testing.T) {
	img := filled(2, 2, color.NRGBA{R: 255, G: 0, B: 51, A: 255})
	tests := []struct {
		name string
		spec ImageSpec
		want [3]float32 // the first value of each output channel
	}{
		{"rgb", ImageSpec{Mean: [3]float32{0.5, 0.25, 0.1}, Std: [3]float32{0.5, 0.25, 0.2}},
			[3]float32{1, -1, 0.5}},
		{"bgr", ImageSpec{ChannelOrder: ChannelsBGR, Mean: [3]float32{0.5, 0.25, 0.1}, Std: [3]float32{0.5, 0.25, 0.2}},
			[3]float32{0.5, -1, 1}},
		{"scale 1, caffe means", ImageSpec{Scale: 1, ChannelOrder: ChannelsBGR, Mean: [3]float32{123.68, 116.779, 103.939}},
			[3]float32{51 - 103.939, -116.779, 255 - 123.68}},
		{"defaults: 0..1", ImageSpec{}, [3]float32{1, 0, 0.2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			spec.Width, spec.Height = 2, 2
			got := make([]float32, spec.TensorSize())
			Tensor(img, spec, got)
			for c := range 3 {
				if math.Abs(float64(got[4*c]-tt.want[c])) > 1e-5 {
					t.Errorf("channel %d = %v, want %v", c, got[4*c], tt.want[c])
				}
			}
		})
	}
}

func TestTensorAlphaAndSubImage(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	m.SetNRGBA(1, 1, color.NRGBA{0, 0, 0, 0})
	m.SetNRGBA(2, 1, color.NRGBA{255, 0, 0, 128})
	m.SetNRGBA(1, 2, color.NRGBA{10, 20, 30, 255})
	m.SetNRGBA(2, 2, color.NRGBA{0, 0, 0, 255})
	sub := m.SubImage(image.Rect(1, 1, 3, 3)).(*image.NRGBA)
	spec := ImageSpec{Width: 2, Height: 2, Scale: 1, Layout: LayoutNHWC}
	got := make([]float32, spec.TensorSize())
	Tensor(sub, spec, got)
	want := []float32{255, 255, 255, 255, 127, 127, 10, 20, 30, 0, 0, 0}
	if !slices.Equal(got, want) {
		t.Errorf("Tensor = %v, want %v (transparent → white, half red → pink, sub-image origin respected)", got, want)
	}
}

func TestTensorPanicsOnMisuse(t *testing.T) {
	spec := ImageSpec{Width: 3, Height: 2}
	tests := []struct {
		name string
		img  *image.NRGBA
		spec ImageSpec
		dst  []float32
	}{
		{"wrong size", gradient(2, 3), spec, make([]float32, 18)},
		{"short dst", sixPixels(), spec, make([]float32, 17)},
		{"invalid spec", sixPixels(), ImageSpec{Width: 3, Height: 2, Layout: "CHW"}, make([]float32, 18)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Tensor did not panic")
				}
			}()
			Tensor(tt.img, tt.spec, tt.dst)
		})
	}
}

// tensorGolden is what testdata/tensor.golden.json keeps per case: enough
// exact values to read in a diff, and a hash of all of them.
type tensorGolden struct {
	Len    int                `json:"len"`
	First  []float32          `json:"first"`
	At     map[string]float32 `json:"at"`
	SHA256 string             `json:"sha256"`
}

func newTensorGolden(x []float32) tensorGolden {
	buf := make([]byte, 0, 4*len(x))
	for _, v := range x {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
	}
	sum := sha256.Sum256(buf)
	g := tensorGolden{Len: len(x), First: x[:min(len(x), 6)], At: map[string]float32{}, SHA256: hex.EncodeToString(sum[:])}
	for _, i := range []int{len(x) / 3, len(x) / 2, 2 * len(x) / 3, len(x) - 1} {
		g.At[strconv.Itoa(i)] = x[i]
	}
	return g
}

// The golden cases run the whole of PrepareImage on a PNG that is already
// the target size, so no resampling is involved and the floats are the same
// on every CPU: they pin decoding, layout, channel order and normalisation.
// Resampling is pinned by TestFitGolden.
func TestPrepareImageGolden(t *testing.T) {
	data := encodePNG(t, gradient(8, 6))
	imagenet := ImageSpec{Width: 8, Height: 6, Mean: [3]float32{0.485, 0.456, 0.406}, Std: [3]float32{0.229, 0.224, 0.225}}
	clip := ImageSpec{Width: 8, Height: 6, Mean: [3]float32{0.48145466, 0.4578275, 0.40821073},
		Std: [3]float32{0.26862954, 0.26130258, 0.27577711}}
	cases := map[string]ImageSpec{
		"imagenet NCHW RGB": imagenet,
		"imagenet NHWC RGB": with(imagenet, func(s *ImageSpec) { s.Layout = LayoutNHWC }),
		"clip NCHW BGR":     with(clip, func(s *ImageSpec) { s.ChannelOrder = ChannelsBGR }),
		"caffe NHWC BGR": {Width: 8, Height: 6, Scale: 1, Layout: LayoutNHWC, ChannelOrder: ChannelsBGR,
			Mean: [3]float32{123.68, 116.779, 103.939}},
		"raw 0..1 NCHW RGB": {Width: 8, Height: 6},
	}
	got := map[string]tensorGolden{}
	for name, spec := range cases {
		x, err := PrepareImage(data, spec, Limits{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got[name] = newTensorGolden(x)
	}

	path := filepath.Join("testdata", "tensor.golden.json")
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]tensorGolden
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for name := range cases {
		g, w := got[name], want[name]
		if !slices.Equal(g.First, w.First) {
			t.Errorf("%s: first values %v, golden %v", name, g.First, w.First)
		}
		for i, v := range w.At {
			if g.At[i] != v {
				t.Errorf("%s: value %s = %v, golden %v", name, i, g.At[i], v)
			}
		}
		if g.Len != w.Len || g.SHA256 != w.SHA256 {
			t.Errorf("%s: %d values with sha256 %s, golden %d with %s (run go test -update if intended)",
				name, g.Len, g.SHA256, w.Len, w.SHA256)
		}
	}
}

func with(s ImageSpec, change func(*ImageSpec)) ImageSpec {
	change(&s)
	return s
}

func TestPrepareImageRejectsInvalidSpec(t *testing.T) {
	_, err := PrepareImage(encodePNG(t, gradient(4, 4)), ImageSpec{Width: 4}, Limits{})
	if asError(t, err); itemvec.CodeOf(err) != CodeInvalidSpec {
		t.Errorf("Code = %q, want %q", itemvec.CodeOf(err), CodeInvalidSpec)
	}
}
