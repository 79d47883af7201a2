package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/embedded"
)

const (
	region        = "us-east-1"
	versityAccess = "itemvec-versity"
	versitySecret = "itemvec-versity-secret"
	readyWait     = 15 * time.Second
)

// Server is an S3 server owned by one test.
type Server struct {
	endpoint string
	creds    aws.CredentialsProvider
	client   *s3.Client
}

// StartEmbedded starts an embedded.S3 and closes it in tb.Cleanup.
func StartEmbedded(tb testing.TB) *Server {
	tb.Helper()
	e, err := embedded.StartS3(tb.Context())
	if err != nil {
		tb.Fatalf("s3test: %v", err)
	}
	tb.Cleanup(func() { _ = e.Close() })
	return newServer(e.Endpoint(), e.ReaderConfig().Credentials)
}

// StartVersity runs versitygw with its posix backend over a fresh
// tb.TempDir() on 127.0.0.1 and a free port, waits until it answers, and
// stops it in tb.Cleanup. The binary is the one make setup-test installs,
// $ITEMVEC_DEPS/bin/versitygw or <repo>/.deps/bin/versitygw; without it
// the test is skipped, or fails when ITEMVEC_REQUIRE_DEPS=1.
func StartVersity(tb testing.TB) *Server {
	tb.Helper()
	bin := testdeps.RequireTest(tb, "bin/versitygw")[0]
	port := testdeps.StartServer(tb, "versitygw", readyWait, func(port int, dir string) (*testdeps.Process, error) {
		data := filepath.Join(dir, "data")
		if err := os.Mkdir(data, 0o755); err != nil {
			return nil, err
		}
		logFile, err := os.Create(filepath.Join(dir, "versitygw.log"))
		if err != nil {
			return nil, err
		}
		tb.Cleanup(func() { _ = logFile.Close() })
		cmd := exec.Command(bin,
			"--port", loopback(port),
			"--access", versityAccess,
			"--secret", versitySecret,
			"--region", region,
			"--health", "/health",
			"--quiet",
			"posix", data,
		)
		cmd.Dir = dir
		cmd.Stdout = logFile
		cmd.Stderr = logFile
		return &testdeps.Process{Cmd: cmd, Log: logFile.Name(), Ready: healthy("http://" + loopback(port) + "/health")}, nil
	})
	return newServer("http://"+loopback(port), credentials.NewStaticCredentialsProvider(versityAccess, versitySecret, ""))
}

// loopback is 127.0.0.1:port.
func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// healthy probes url: nil once it answers 200.
func healthy(url string) func(context.Context) error {
	client := &http.Client{Timeout: time.Second}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("health check: %s", resp.Status)
		}
		return nil
	}
}

func newServer(endpoint string, creds aws.CredentialsProvider) *Server {
	client := s3.New(s3.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  creds,
	})
	return &Server{endpoint: endpoint, creds: creds, client: client}
}

// Endpoint is the server's base URL, e.g. "http://127.0.0.1:40123".
func (s *Server) Endpoint() string { return s.endpoint }

// Credentials signs requests to the server.
func (s *Server) Credentials() aws.CredentialsProvider { return s.creds }

// ReaderConfig points a storage.S3Reader at the server.
func (s *Server) ReaderConfig() storage.S3Config {
	return storage.S3Config{
		Endpoint:    s.endpoint,
		Region:      region,
		PathStyle:   true,
		Credentials: s.creds,
	}
}

// CreateBucket creates a bucket; creating one that exists is not an error.
func (s *Server) CreateBucket(ctx context.Context, name string) error {
	_, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
	if _, ok := errors.AsType[*types.BucketAlreadyOwnedByYou](err); ok {
		return nil
	}
	if _, ok := errors.AsType[*types.BucketAlreadyExists](err); ok {
		return nil
	}
	if err != nil {
		return fmt.Errorf("s3test: create bucket %s: %w", name, err)
	}
	return nil
}

// Put stores data at s3://bucket/key.
func (s *Server) Put(ctx context.Context, bucket, key string, data []byte) error {
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		return fmt.Errorf("s3test: put s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}
