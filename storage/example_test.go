package storage_test

import (
	"fmt"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
)

func ExampleEncodeVector() {
	fmt.Printf("% x\n", storage.EncodeVector([]float32{1, -2, 0.5}))
	// Output: 00 00 80 3f 00 00 00 c0 00 00 00 3f
}

func ExampleParseURI() {
	bucket, key, err := storage.ParseURI("s3://catalog/photos/sku-1.jpg")
	fmt.Println(bucket, key, err)
	_, _, err = storage.ParseURI("https://catalog/photos/sku-1.jpg")
	fmt.Println(err)
	fmt.Println(itemvec.KindOf(err), itemvec.CodeOf(err) == storage.CodeBadURI, itemvec.IsRetryable(err))
	// Output:
	// catalog photos/sku-1.jpg <nil>
	// https://catalog/photos/sku-1.jpg: invalid S3 URI: want s3://bucket/key
	// bad_input true false
}
