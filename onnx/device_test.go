package onnx

import "testing"

func TestParseDevice(t *testing.T) {
	tests := []struct {
		in      string
		want    Device
		wantErr bool
	}{
		{"cpu", DeviceCPU, false},
		{"CUDA", DeviceCUDA, false},
		{" auto ", DeviceAuto, false},
		{"", DeviceCPU, false},
		{"gpu", "", true},
		{"cuda:0", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDevice(tt.in)
			if tt.wantErr {
				assertCode(t, err, CodeConfig)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseDevice(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}
