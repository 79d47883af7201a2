package onnx

import (
	"runtime"
	"sync"
)

// assembleMinPerWorker is the fewest items one goroutine of assemble
// copies: below it the goroutines cost more than they save.
const assembleMinPerWorker = 8

// assemble copies the items ins, size floats each, one after the other
// into input and zeroes the rest of it (the padding of a fixed batch
// size). A big batch is copied by several goroutines, up to half the
// Ps: an image batch of 64 is 38 MB of tensors, several milliseconds of
// one core's memory bandwidth, which the model (a GPU above all) would
// otherwise wait for before every run. On two cores it is one goroutine:
// the other core is busy decoding.
func assemble(input []float32, ins [][]float32, size int) {
	n := len(ins)
	clear(input[n*size:])
	workers := min(runtime.GOMAXPROCS(0)/2, n/assembleMinPerWorker)
	if workers <= 1 {
		for i, in := range ins {
			copy(input[i*size:(i+1)*size], in)
		}
		return
	}
	per := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for from := 0; from < n; from += per {
		to := min(from+per, n)
		wg.Go(func() {
			for i := from; i < to; i++ {
				copy(input[i*size:(i+1)*size], ins[i])
			}
		})
	}
	wg.Wait()
}
