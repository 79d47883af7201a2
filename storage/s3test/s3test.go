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
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/itemvec/itemvec/storage"
)

// Environment variables read by StartVersity.
const (
	// RequireDepsEnv, when "1", turns a missing versitygw into a test
	// failure instead of a skip. make test sets it.
	RequireDepsEnv = "ITEMVEC_REQUIRE_DEPS"
	// DepsEnv names the folder make setup-test installs into; versitygw is
	// expected at $ITEMVEC_DEPS/bin/versitygw, by default
	// <repo>/.deps/bin/versitygw.
	DepsEnv = "ITEMVEC_DEPS"
)

const (
	region        = "us-east-1"
	versityAccess = "itemvec-versity"
	versitySecret = "itemvec-versity-secret"
	startAttempts = 3
	readyWait     = 15 * time.Second
	stopWait      = 5 * time.Second
)

// Server is an S3 server owned by one test.
type Server struct {
	endpoint string
	creds    aws.CredentialsProvider
	client   *s3.Client
}

// StartEmbedded starts a storage.EmbeddedS3 and closes it in tb.Cleanup.
func StartEmbedded(tb testing.TB) *Server {
	tb.Helper()
	e, err := storage.StartEmbeddedS3(tb.Context())
	if err != nil {
		tb.Fatalf("s3test: %v", err)
	}
	tb.Cleanup(func() { _ = e.Close() })
	return newServer(e.Endpoint(), e.ReaderConfig().Credentials)
}

// StartVersity runs versitygw with its posix backend over a fresh
// tb.TempDir() on 127.0.0.1 and a free port, waits until it answers, and
// stops it in tb.Cleanup. Without the versitygw binary (see DepsEnv) it
// skips the test, or fails it when ITEMVEC_REQUIRE_DEPS=1.
func StartVersity(tb testing.TB) *Server {
	tb.Helper()
	bin, err := versityPath()
	if err == nil {
		_, err = os.Stat(bin)
	}
	if err != nil {
		msg := fmt.Sprintf("versitygw not available (%v): install it or run make setup-test", err)
		if os.Getenv(RequireDepsEnv) == "1" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	var lastErr error
	for range startAttempts {
		endpoint, err := startVersity(tb, bin)
		if err == nil {
			return newServer(endpoint, credentials.NewStaticCredentialsProvider(versityAccess, versitySecret, ""))
		}
		lastErr = err
	}
	tb.Fatalf("s3test: starting versitygw: %v", lastErr)
	return nil
}

func versityPath() (string, error) {
	if deps := os.Getenv(DepsEnv); deps != "" {
		return filepath.Join(deps, "bin", "versitygw"), nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".deps", "bin", "versitygw"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// startVersity launches one versitygw and waits for its health endpoint; on
// failure the process is gone and the error says why.
func startVersity(tb testing.TB, bin string) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	dir := tb.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		return "", err
	}
	logFile, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		return "", err
	}
	defer logFile.Close()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin,
		"--port", addr,
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
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(stopWait):
			_ = cmd.Process.Kill()
			<-exited
		}
	}

	endpoint := "http://" + addr
	if err := waitHealthy(endpoint+"/health", exited, &waitErr); err != nil {
		stop()
		logText, _ := os.ReadFile(logFile.Name())
		return "", fmt.Errorf("%w\nversitygw log:\n%s", err, logText)
	}
	tb.Cleanup(stop)
	return endpoint, nil
}

// waitHealthy polls url until it answers 200, the process exits (closing
// exited after setting *waitErr) or readyWait passes.
func waitHealthy(url string, exited <-chan struct{}, waitErr *error) error {
	ctx, cancel := context.WithTimeout(context.Background(), readyWait)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: time.Second}
	for {
		err := probe(ctx, client, url)
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("versitygw exited before becoming healthy: %v", *waitErr)
		case <-ctx.Done():
			return fmt.Errorf("versitygw not healthy at %s within %s: %w", url, readyWait, err)
		case <-tick.C:
		}
	}
}

func probe(ctx context.Context, client *http.Client, url string) error {
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

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
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
