package extract

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/itemvec/itemvec"
)

func TestImageSpecWithDefaults(t *testing.T) {
	got := ImageSpec{Width: 224, Height: 224}.WithDefaults()
	want := ImageSpec{Width: 224, Height: 224, Resize: ResizeCenterCrop, Filter: FilterLinear, Layout: LayoutNCHW,
		ChannelOrder: ChannelsRGB, Scale: 255, Std: [3]float32{1, 1, 1}}
	if got != want {
		t.Errorf("WithDefaults = %+v, want %+v", got, want)
	}
	set := ImageSpec{Width: 1, Height: 2, Resize: ResizePad, Filter: FilterBox, Layout: LayoutNHWC,
		ChannelOrder: ChannelsBGR, Scale: 1, Mean: [3]float32{1, 2, 3}, Std: [3]float32{4, 5, 6}}
	if got := set.WithDefaults(); got != set {
		t.Errorf("WithDefaults changed explicit fields: %+v", got)
	}
}

func TestImageSpecJSON(t *testing.T) {
	var s ImageSpec
	err := json.Unmarshal([]byte(`{"width":224,"height":160,"resize":"pad","filter":"lanczos","layout":"NHWC",
		"channel_order":"BGR","scale":1,"mean":[1,2,3],"std":[4,5,6]}`), &s)
	if err != nil {
		t.Fatal(err)
	}
	want := ImageSpec{Width: 224, Height: 160, Resize: ResizePad, Filter: FilterLanczos, Layout: LayoutNHWC,
		ChannelOrder: ChannelsBGR, Scale: 1, Mean: [3]float32{1, 2, 3}, Std: [3]float32{4, 5, 6}}
	if s != want {
		t.Errorf("decoded %+v, want %+v", s, want)
	}
}

func TestImageSpecValidate(t *testing.T) {
	ok := ImageSpec{Width: 224, Height: 224}
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	tests := []struct {
		name    string
		spec    ImageSpec
		message string // "" means valid
	}{
		{"defaults", ok, ""},
		{"every option", ImageSpec{Width: 1, Height: MaxSpecSide, Resize: ResizeStretch, Filter: FilterCatmullRom,
			Layout: LayoutNHWC, ChannelOrder: ChannelsBGR, Scale: 1, Mean: [3]float32{-1, 0, 1}, Std: [3]float32{0.1, 2, 3}}, ""},
		{"zero width", ImageSpec{Height: 224}, "width and height must be positive"},
		{"negative height", ImageSpec{Width: 224, Height: -1}, "width and height must be positive"},
		{"too wide", ImageSpec{Width: MaxSpecSide + 1, Height: 1}, "pixel limit per side"},
		{"unknown resize", with(ok, func(s *ImageSpec) { s.Resize = "crop" }), `unknown resize "crop"`},
		{"unknown filter", with(ok, func(s *ImageSpec) { s.Filter = "bicubic" }), `unknown filter "bicubic"`},
		{"unknown layout", with(ok, func(s *ImageSpec) { s.Layout = "nchw" }), `unknown layout "nchw"`},
		{"unknown channel order", with(ok, func(s *ImageSpec) { s.ChannelOrder = "GBR" }), `unknown channel_order "GBR"`},
		{"negative scale", with(ok, func(s *ImageSpec) { s.Scale = -255 }), "scale must be a positive number"},
		{"NaN scale", with(ok, func(s *ImageSpec) { s.Scale = nan }), "scale"},
		{"infinite mean", with(ok, func(s *ImageSpec) { s.Mean[1] = inf }), "mean[G]"},
		{"one zero std", with(ok, func(s *ImageSpec) { s.Std = [3]float32{0.2, 0, 0.2} }), "std[G] must be a finite non-zero number"},
		{"NaN std", with(ok, func(s *ImageSpec) { s.Std = [3]float32{1, 1, nan} }), "std[B]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			if tt.message == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want an error containing %q", tt.message)
			}
			asError(t, err)
			if itemvec.CodeOf(err) != CodeInvalidSpec || itemvec.KindOf(err) != itemvec.KindConfig || itemvec.IsRetryable(err) {
				t.Errorf("Code = %q, Kind = %s, IsRetryable = %v; want %q, %s, false",
					itemvec.CodeOf(err), itemvec.KindOf(err), itemvec.IsRetryable(err), CodeInvalidSpec, itemvec.KindConfig)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("Validate = %q, want it to contain %q", err, tt.message)
			}
		})
	}
}

func TestTensorSize(t *testing.T) {
	if got := (ImageSpec{Width: 224, Height: 160}).TensorSize(); got != 3*224*160 {
		t.Errorf("TensorSize = %d, want %d", got, 3*224*160)
	}
}

func TestLimitsWithDefaults(t *testing.T) {
	tests := []struct {
		in, want Limits
	}{
		{Limits{}, Limits{MaxPixels: 50_000_000, MaxBytes: 32 << 20}},
		{Limits{MaxPixels: -1, MaxBytes: -1}, Limits{MaxPixels: 50_000_000, MaxBytes: 32 << 20}},
		{Limits{MaxPixels: 10, MaxBytes: 20}, Limits{MaxPixels: 10, MaxBytes: 20}},
	}
	for _, tt := range tests {
		if got := tt.in.WithDefaults(); got != tt.want {
			t.Errorf("%+v.WithDefaults() = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
