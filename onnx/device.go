package onnx

import "strings"

// Device selects the ORT execution provider a session runs on.
type Device string

// The devices a session can ask for.
const (
	// DeviceCPU runs on ORT's CPU execution provider. It is the default.
	DeviceCPU Device = "cpu"
	// DeviceCUDA runs on an NVIDIA GPU through the CUDA execution provider
	// and fails at session start when that provider cannot be loaded.
	DeviceCUDA Device = "cuda"
	// DeviceAuto tries CUDA and falls back to CPU, logging why.
	DeviceAuto Device = "auto"
)

// ParseDevice turns a flag or config value ("cpu", "cuda", "auto", any
// case, surrounding space ignored) into a Device. The empty string means
// [DeviceCPU].
func ParseDevice(s string) (Device, error) {
	switch d := Device(strings.ToLower(strings.TrimSpace(s))); d {
	case "":
		return DeviceCPU, nil
	case DeviceCPU, DeviceCUDA, DeviceAuto:
		return d, nil
	}
	return "", errorf("onnx.ParseDevice", CodeConfig, "unknown device %q (want %q, %q or %q)", s, DeviceCPU, DeviceCUDA, DeviceAuto)
}

// String returns the device name.
func (d Device) String() string { return string(d) }
