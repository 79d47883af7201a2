package onnx_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/itemvec/itemvec/onnx"
)

// lengthModel stands in for a *onnx.TextSession: it returns, per text,
// [number of tokens, first id].
type lengthModel struct{}

func (lengthModel) OutputDim() int { return 2 }
func (lengthModel) MaxLength() int { return 128 }
func (lengthModel) Run(_ context.Context, ids, _, _ [][]int64) ([][]float32, error) {
	out := make([][]float32, len(ids))
	for i, row := range ids {
		out[i] = []float32{float32(len(row)), float32(row[0])}
	}
	return out, nil
}

func ExampleTextBatcher() {
	b := onnx.NewTextBatcher(lengthModel{}, onnx.TextBatcherConfig{MaxBatch: 8})
	defer b.Close()

	// Concurrent callers each submit one tokenized text and get their own
	// vector back; texts of similar length are run together.
	texts := [][]int64{{101, 7592, 102}, {101, 102}, {101, 2088, 2003, 102}}
	vecs := make([][]float32, len(texts))
	var wg sync.WaitGroup
	for i, ids := range texts {
		wg.Go(func() {
			v, err := b.Submit(context.Background(), onnx.TextInput{IDs: ids})
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
