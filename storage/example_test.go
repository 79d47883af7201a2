package storage_test

import (
	"context"
	"fmt"
	"log"

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
	// Output:
	// catalog photos/sku-1.jpg <nil>
	// https://catalog/photos/sku-1.jpg: invalid S3 URI: want s3://bucket/key
}

// An EmbeddedS3 serves objects to a real S3Reader over HTTP, as the demo does.
func ExampleEmbeddedS3() {
	ctx := context.Background()
	s3srv, err := storage.StartEmbeddedS3(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer s3srv.Close()
	if err := s3srv.CreateBucket(ctx, "catalog"); err != nil {
		log.Fatal(err)
	}
	if err := s3srv.Put(ctx, "catalog", "sku-1.txt", []byte("hello")); err != nil {
		log.Fatal(err)
	}

	reader, err := storage.NewS3Reader(ctx, s3srv.ReaderConfig())
	if err != nil {
		log.Fatal(err)
	}
	data, err := reader.Get(ctx, "s3://catalog/sku-1.txt")
	fmt.Printf("%s %v\n", data, err)

	_, err = reader.Get(ctx, "s3://catalog/sku-2.txt")
	fmt.Println(err, storage.KindOf(err).Retryable())
	// Output:
	// hello <nil>
	// s3://catalog/sku-2.txt: object not found (NoSuchKey) false
}
