package storage

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
)

// Static credentials of every EmbeddedS3. The server does not check them;
// they exist so that S3Reader signs requests exactly as it does for AWS.
const (
	EmbeddedS3AccessKey = "itemvec-embedded"
	EmbeddedS3SecretKey = "itemvec-embedded-secret"
)

// EmbeddedS3 is an in-memory S3 server (gofakes3 with the s3mem backend)
// listening on a loopback port, for the embedded demo and for tests. A real
// S3Reader talks to it over HTTP; ReaderConfig says how.
type EmbeddedS3 struct {
	backend  *s3mem.Backend
	server   *http.Server
	endpoint string
	served   chan struct{}
}

// StartEmbeddedS3 starts an empty server on 127.0.0.1 and a free port. Stop
// it with Close.
func StartEmbeddedS3(ctx context.Context) (*EmbeddedS3, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, &Error{Op: "s3 embedded start", Kind: KindUnavailable, Err: err}
	}
	backend := s3mem.New()
	faker := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	e := &EmbeddedS3{
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
func (e *EmbeddedS3) Endpoint() string { return e.endpoint }

// ReaderConfig is the S3Config that points an S3Reader at this server with
// its static credentials.
func (e *EmbeddedS3) ReaderConfig() S3Config {
	return S3Config{
		Endpoint:    e.endpoint,
		Region:      DefaultS3Region,
		PathStyle:   true,
		Credentials: credentials.NewStaticCredentialsProvider(EmbeddedS3AccessKey, EmbeddedS3SecretKey, ""),
	}
}

// CreateBucket creates a bucket; creating one that exists is not an error.
func (e *EmbeddedS3) CreateBucket(ctx context.Context, name string) error {
	const op = "s3 embedded create bucket"
	if err := ctx.Err(); err != nil {
		kind, _ := classifyTransport(err)
		return &Error{Op: op, URI: "s3://" + name, Kind: kind, Err: err}
	}
	if err := e.backend.CreateBucket(name); err != nil && !gofakes3.IsAlreadyExists(err) {
		return &Error{Op: op, URI: "s3://" + name, Kind: KindRejected, Err: err}
	}
	return nil
}

// Put stores data at s3://bucket/key, replacing any object there.
func (e *EmbeddedS3) Put(ctx context.Context, bucket, key string, data []byte) error {
	const op = "s3 embedded put"
	uri := "s3://" + bucket + "/" + key
	if err := ctx.Err(); err != nil {
		kind, _ := classifyTransport(err)
		return &Error{Op: op, URI: uri, Kind: kind, Err: err}
	}
	_, err := e.backend.PutObject(bucket, key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil)
	switch {
	case err == nil:
		return nil
	case gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchBucket):
		return &Error{Op: op, URI: uri, Kind: KindNoBucket, Err: err}
	}
	return &Error{Op: op, URI: uri, Kind: KindRejected, Err: err}
}

// Close stops the server and waits until it has stopped serving. Objects
// are lost.
func (e *EmbeddedS3) Close() error {
	err := e.server.Close()
	<-e.served
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
