package onnx_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/itemvec/itemvec/onnx"
)

// sumModel stands in for a *onnx.Session: each item is 3 floats and the
// model returns their sum.
type sumModel struct{}

func (sumModel) InputSize() int { return 3 }
func (sumModel) OutputDim() int { return 1 }
func (sumModel) Run(_ context.Context, input []float32, batch int) ([]float32, error) {
	out := make([]float32, batch)
	for i := range batch {
		out[i] = input[3*i] + input[3*i+1] + input[3*i+2]
	}
	return out, nil
}

func ExampleBatcher() {
	b := onnx.NewBatcher(sumModel{}, onnx.BatcherConfig{MaxBatch: 8})
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
