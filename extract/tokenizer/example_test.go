package tokenizer_test

import (
	"fmt"

	"github.com/itemvec/itemvec/extract/tokenizer"
)

func Example() {
	tk, err := tokenizer.Load("testdata/tiny.json",
		tokenizer.WithTruncation(tokenizer.Truncation{MaxLength: 8}),
		tokenizer.WithPadding(tokenizer.Padding{Length: 8}))
	if err != nil {
		fmt.Println(err)
		return
	}
	enc, err := tk.Encode("My name is <mask>")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(enc.Tokens)
	fmt.Println(enc.IDs)
	fmt.Println(enc.AttentionMask)
	// Output:
	// [[CLS] my name is  <mask> [SEP] [PAD] [PAD]]
	// [2 5 6 7 4 3 0 0]
	// [1 1 1 1 1 1 0 0]
}

func ExampleTokenizer_EncodePair() {
	tk, err := tokenizer.Load("testdata/tiny.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	enc, err := tk.EncodePair("my name", "is a")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(enc.IDs)
	fmt.Println(enc.TypeIDs)
	// Output:
	// [2 5 6 3 7 8 3]
	// [0 0 0 0 1 1 1]
}
