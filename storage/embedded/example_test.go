package embedded_test

import (
	"context"
	"fmt"
	"log"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/embedded"
)

// An embedded S3 serves objects to a real S3Reader over HTTP, as the demo does.
func ExampleS3() {
	ctx := context.Background()
	s3srv, err := embedded.StartS3(ctx)
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
	fmt.Println(err, itemvec.IsRetryable(err))
	// Output:
	// hello <nil>
	// s3://catalog/sku-2.txt: object not found (NoSuchKey) false
}
