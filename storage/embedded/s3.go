package embedded

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
)

// Static credentials of every S3. The server does not check them; they
// exist so that storage.S3Reader signs requests exactly as it does for AWS.
const (
	S3AccessKey = "itemvec-embedded"
	S3SecretKey = "itemvec-embedded-secret"
)

// S3 is an in-memory S3 server (gofakes3 with the s3mem backend) listening
// on a loopback port. A real storage.S3Reader talks to it over HTTP;
// ReaderConfig says how.
type S3 struct {
	backend  *s3mem.Backend
	server   *http.Server
	endpoint string
	served   chan struct{}
}

// StartS3 starts an empty server on 127.0.0.1 and a free port. Stop it with
// Close.
func StartS3(ctx context.Context) (*S3, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, itemvec.E(itemvec.KindUnavailable, "embedded.StartS3", err)
	}
	backend := s3mem.New()
	faker := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	e := &S3{
		backend:  backend,
		server:   &http.Server{Handler: faker.Server(), ReadHeaderTimeout: 10 * time.Second},
		endpoint: "http://" + ln.Addr().String(),
		served:   make(chan struct{}),
	}
	go func() {
		defer close(e.served)
		_ = e.server.Serve(ln) // always http.ErrServerClosed after Close
	}()
	return e, nil
}

// Endpoint is the server's base URL, e.g. "http://127.0.0.1:40123".
func (e *S3) Endpoint() string { return e.endpoint }

// ReaderConfig is the storage.S3Config that points an S3Reader at this
// server with its static credentials.
func (e *S3) ReaderConfig() storage.S3Config {
	return storage.S3Config{
		Endpoint:    e.endpoint,
		Region:      storage.DefaultS3Region,
		PathStyle:   true,
		Credentials: credentials.NewStaticCredentialsProvider(S3AccessKey, S3SecretKey, ""),
	}
}

// CreateBucket creates a bucket; creating one that exists is not an error.
func (e *S3) CreateBucket(ctx context.Context, name string) error {
	const op = "embedded.S3.CreateBucket"
	if err := ctx.Err(); err != nil {
		return itemvec.E(itemvec.KindOf(err), op, err)
	}
	if err := e.backend.CreateBucket(name); err != nil && !gofakes3.IsAlreadyExists(err) {
		return itemvec.Errorf(itemvec.KindBadInput, op, "s3://%s: create bucket: %w", name, err)
	}
	return nil
}

// Put stores data at s3://bucket/key, replacing any object there.
func (e *S3) Put(ctx context.Context, bucket, key string, data []byte) error {
	const op = "embedded.S3.Put"
	if err := ctx.Err(); err != nil {
		return itemvec.E(itemvec.KindOf(err), op, err)
	}
	_, err := e.backend.PutObject(bucket, key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil)
	switch {
	case err == nil:
		return nil
	case gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchBucket):
		return &itemvec.Error{Kind: itemvec.KindNotFound, Op: op, Code: "bucket_missing",
			Err: errors.New("s3://" + bucket + "/" + key + ": bucket not found (NoSuchBucket)")}
	}
	return itemvec.Errorf(itemvec.KindBadInput, op, "s3://%s/%s: put: %w", bucket, key, err)
}

// Close stops the server and waits until it has stopped serving. Objects
// are lost.
func (e *S3) Close() error {
	err := e.server.Close()
	<-e.served
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
