package onnx_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/itemvec/itemvec/onnx"
)

// lengthModel stands in for a text model (a worker's adapter to a
// *onnx.TextSession): it takes token ids and returns, per text, [number
// of tokens, first id].
type lengthModel struct{}

func (lengthModel) Check(ids []int64) error {
	if len(ids) == 0 || len(ids) > 128 {
		return errors.New("want 1 to 128 token ids")
	}
	return nil
}

func (lengthModel) OutputDim() int { return 2 }

func (lengthModel) RunBatch(_ context.Context, ids [][]int64) ([][]float32, error) {
	out := make([][]float32, len(ids))
	for i, row := range ids {
		out[i] = []float32{float32(len(row)), float32(row[0])}
	}
	return out, nil
}

func ExampleBatcher_nearestLength() {
	b, err := onnx.NewBatcher(lengthModel{}, onnx.BatcherConfig[[]int64]{
		MaxBatch: 8,
		Pick:     onnx.PickNearestLength,
		Length:   func(ids []int64) int { return len(ids) },
	})
	if err != nil {
		panic(err)
	}
	defer b.Close()

	// Concurrent callers each submit one tokenized text and get their own
	// vector back; texts of similar length are run together.
	texts := [][]int64{{101, 7592, 102}, {101, 102}, {101, 2088, 2003, 102}}
	vecs := make([][]float32, len(texts))
	var wg sync.WaitGroup
	for i, ids := range texts {
		wg.Go(func() {
			v, err := b.Submit(context.Background(), ids)
			if err != nil {
				panic(err)
			}
			vecs[i] = v
		})
	}
	wg.Wait()
	fmt.Println(vecs)
	// Output: [[3 101] [2 101] [4 101]]
}
