package storage_test

import (
	"testing"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/s3test"
)

func TestS3Reader_VersionEmbedded(t *testing.T) { runVersionSuite(t, s3test.StartEmbedded(t)) }
func TestS3Reader_VersionVersity(t *testing.T)  { runVersionSuite(t, s3test.StartVersity(t)) }

// runVersionSuite: GetVersion and Version (HEAD) agree on an object's
// version, the version changes with its bytes and stays with the same
// bytes, and a missing object is CodeObjectMissing for both.
func runVersionSuite(t *testing.T, srv *s3test.Server) {
	ctx := t.Context()
	const bucket = "itemvec-versions"
	if err := srv.CreateBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	r := newReader(t, srv.ReaderConfig())
	uri := "s3://" + bucket + "/photo.jpg"
	put := func(data string) {
		t.Helper()
		if err := srv.Put(ctx, bucket, "photo.jpg", []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	versions := func() (get, head string) {
		t.Helper()
		b, get, err := r.GetVersion(ctx, uri)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 {
			t.Fatal("GetVersion returned no bytes")
		}
		if head, err = r.Version(ctx, uri); err != nil {
			t.Fatal(err)
		}
		return get, head
	}
	put("first bytes")
	g1, h1 := versions()
	if g1 == "" || g1 != h1 {
		t.Fatalf("GetVersion %q, Version %q: want the same non-empty tag", g1, h1)
	}
	put("second bytes")
	g2, h2 := versions()
	if g2 == g1 || g2 != h2 {
		t.Errorf("after new bytes: GetVersion %q, Version %q; before %q", g2, h2, g1)
	}
	put("second bytes")
	if g3, _ := versions(); g3 != g2 {
		t.Errorf("the same bytes written again: version %q, want %q", g3, g2)
	}
	for name, call := range map[string]func() error{
		"GetVersion": func() error { _, _, err := r.GetVersion(ctx, "s3://"+bucket+"/nope.jpg"); return err },
		"Version":    func() error { _, err := r.Version(ctx, "s3://"+bucket+"/nope.jpg"); return err },
	} {
		if err := call(); itemvec.CodeOf(err) != storage.CodeObjectMissing {
			t.Errorf("%s of a missing object: %v, want %s", name, err, storage.CodeObjectMissing)
		}
	}
}
