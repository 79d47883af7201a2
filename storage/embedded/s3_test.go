package embedded_test

import (
	"testing"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/embedded"
)

func TestS3(t *testing.T) {
	ctx := t.Context()
	e, err := embedded.StartS3(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if err := e.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := e.CreateBucket(ctx, "b"); err != nil {
		t.Fatalf("creating an existing bucket: %v", err)
	}
	err = e.Put(ctx, "missing", "k", []byte("x"))
	if itemvec.KindOf(err) != itemvec.KindNotFound || itemvec.CodeOf(err) != "bucket_missing" {
		t.Fatalf("Put into a missing bucket: %v (kind %v, code %q), want not_found/bucket_missing", err, itemvec.KindOf(err), itemvec.CodeOf(err))
	}
	if err := e.Put(ctx, "b", "k", []byte("x")); err != nil {
		t.Fatal(err)
	}
	r, err := storage.NewS3Reader(ctx, e.ReaderConfig())
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Get(ctx, "s3://b/k")
	if err != nil || string(got) != "x" {
		t.Fatalf("Get = %q, %v; want \"x\"", got, err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
}
