package onnx_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/itemvec/itemvec/onnx"
)

// sumModel stands in for a *onnx.Session: each item is 3 floats and the
// model returns their sum.
type sumModel struct{}

func (sumModel) Check(in []float32) error {
	if len(in) != 3 {
		return errors.New("want 3 floats")
	}
	return nil
}

func (sumModel) OutputDim() int { return 1 }

func (sumModel) RunBatch(_ context.Context, ins [][]float32) ([][]float32, error) {
	out := make([][]float32, len(ins))
	for i, in := range ins {
		out[i] = []float32{in[0] + in[1] + in[2]}
	}
	return out, nil
}

func ExampleBatcher() {
	b, err := onnx.NewBatcher(sumModel{}, onnx.BatcherConfig[[]float32]{MaxBatch: 8})
	if err != nil {
		panic(err)
	}
	defer b.Close()

	// Concurrent callers each submit one item and get their own row back,
	// however the batcher grouped them.
	rows := make([][]float32, 4)
	var wg sync.WaitGroup
	for i := range rows {
		wg.Go(func() {
			row, err := b.Submit(context.Background(), []float32{float32(i), 1, 1})
			if err != nil {
				panic(err)
			}
			rows[i] = row
		})
	}
	wg.Wait()
	fmt.Println(rows)
	// Output: [[2] [3] [4] [5]]
}
