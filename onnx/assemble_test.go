package onnx

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
)

// TestAssemble: every batch size, with one goroutine and with several,
// lays the items out in order and zeroes the padding after them, however
// dirty the buffer was.
func TestAssemble(t *testing.T) {
	const size = 5
	for _, procs := range []int{1, 2, 16} {
		prev := runtime.GOMAXPROCS(procs)
		for _, n := range []int{1, 7, 8, 16, 17, 63, 64, 65} {
			ins := make([][]float32, n)
			for i := range ins {
				ins[i] = make([]float32, size)
				for k := range size {
					ins[i][k] = float32(i*size + k + 1)
				}
			}
			run := n + 3
			input := make([]float32, run*size)
			for i := range input {
				input[i] = -1 // dirty: a value assemble fails to write shows
			}
			assemble(input, ins, size)
			want := make([]float32, run*size)
			for i := range n * size {
				want[i] = float32(i + 1)
			}
			if !slices.Equal(input, want) {
				t.Fatalf("GOMAXPROCS %d, %d items: got %v, want %v", procs, n, input, want)
			}
		}
		runtime.GOMAXPROCS(prev)
	}
}

// BenchmarkAssemble copies an image batch (MobileNetV2 tensors, 602 KB
// each) into one input, as RunBatch does before every run, with the
// goroutines assemble picks on this machine.
func BenchmarkAssemble(b *testing.B) {
	const size = 3 * 224 * 224
	for _, n := range []int{16, 64, 256} {
		ins := make([][]float32, n)
		for i := range ins {
			ins[i] = make([]float32, size)
		}
		input := make([]float32, n*size)
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			b.SetBytes(int64(n * size * 4))
			for b.Loop() {
				assemble(input, ins, size)
			}
		})
	}
}
