package storage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/s3test"
)

// The S3 conformance suite runs against every S3 server we support.
func TestS3Reader_Embedded(t *testing.T) { runS3Suite(t, s3test.StartEmbedded(t)) }
func TestS3Reader_Versity(t *testing.T)  { runS3Suite(t, s3test.StartVersity(t)) }

// runS3Suite is the one S3 conformance suite: everything S3Reader promises,
// checked against a running server.
func runS3Suite(t *testing.T, srv *s3test.Server) {
	t.Helper()
	ctx := t.Context()
	const (
		bucket = "itemvec-suite"
		limit  = 1024
	)
	objects := map[string][]byte{
		"photos/sku-1.jpg":          []byte("\xff\xd8\xff\xe0 not really a jpeg"),
		"photos/été 2024/sku 2.png": []byte("key with spaces and unicode"),
		"at-limit.bin":              bytes.Repeat([]byte{7}, limit),
		"over-limit.bin":            bytes.Repeat([]byte{9}, limit+1),
		"empty.bin":                 {},
	}
	if err := srv.CreateBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	for key, data := range objects {
		if err := srv.Put(ctx, bucket, key, data); err != nil {
			t.Fatal(err)
		}
	}

	cfg := srv.ReaderConfig()
	cfg.MaxObjectBytes = limit
	cfg.MaxAttempts = 1
	reader := newReader(t, cfg)

	canceled, cancel := context.WithCancel(ctx)
	cancel()

	tests := []struct {
		name   string
		ctx    context.Context
		reader *storage.S3Reader
		uri    string
		want   []byte
		kind   itemvec.Kind
		code   string // "" means success
		is     error  // when set, errors.Is(err, is) must hold
	}{
		{name: "get ok", uri: "s3://itemvec-suite/photos/sku-1.jpg", want: objects["photos/sku-1.jpg"]},
		{name: "key with spaces and unicode", uri: "s3://itemvec-suite/photos/été 2024/sku 2.png", want: objects["photos/été 2024/sku 2.png"]},
		{name: "object at the limit", uri: "s3://itemvec-suite/at-limit.bin", want: objects["at-limit.bin"]},
		{name: "empty object", uri: "s3://itemvec-suite/empty.bin", want: []byte{}},
		{name: "missing key", uri: "s3://itemvec-suite/photos/nope.jpg", kind: itemvec.KindNotFound, code: storage.CodeObjectMissing},
		{name: "missing bucket", uri: "s3://itemvec-no-such-bucket/a.jpg", kind: itemvec.KindNotFound, code: storage.CodeBucketMissing},
		{name: "object over the limit", uri: "s3://itemvec-suite/over-limit.bin", kind: itemvec.KindBadInput, code: storage.CodeObjectTooLarge},
		{name: "bad uri", uri: "https://itemvec-suite/photos/sku-1.jpg", kind: itemvec.KindBadInput, code: storage.CodeBadURI},
		{name: "server down", reader: newReader(t, downConfig(t, cfg)), uri: "s3://itemvec-suite/photos/sku-1.jpg", kind: itemvec.KindUnavailable, code: storage.CodeUnavailable},
		{name: "canceled context", ctx: canceled, uri: "s3://itemvec-suite/photos/sku-1.jpg", kind: itemvec.KindCanceled, code: storage.CodeCanceled, is: context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, c := reader, ctx
			if tc.reader != nil {
				r = tc.reader
			}
			if tc.ctx != nil {
				c = tc.ctx
			}
			got, err := r.Get(c, tc.uri)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("Get(%q): %v", tc.uri, err)
				}
				if !bytes.Equal(got, tc.want) {
					t.Fatalf("Get(%q) = %d bytes, want %d bytes", tc.uri, len(got), len(tc.want))
				}
				return
			}
			checkError(t, err, tc.kind, tc.code)
			if !strings.HasPrefix(err.Error(), tc.uri+": ") {
				t.Errorf("error %q does not start with the URI", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.is)
			}
		})
	}
}

// checkError fails unless err is an *itemvec.Error of code and kind whose
// Op names a storage call and whose retryability agrees with the kind.
func checkError(t *testing.T, err error, kind itemvec.Kind, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s/%s", kind, code)
	}
	e, ok := errors.AsType[*itemvec.Error](err)
	if !ok {
		t.Fatalf("error %v (%T) is not an *itemvec.Error", err, err)
	}
	if got := itemvec.CodeOf(err); got != code {
		t.Fatalf("code = %q, want %q (error: %v)", got, code, err)
	}
	if got := itemvec.KindOf(err); got != kind {
		t.Fatalf("kind = %s, want %s (error: %v)", got, kind, err)
	}
	if !strings.HasPrefix(e.Op, "storage.") {
		t.Errorf("Op = %q, want a storage call", e.Op)
	}
	if got := itemvec.IsRetryable(err); got != kind.Retryable() {
		t.Fatalf("IsRetryable() = %v for kind %s", got, kind)
	}
	t.Logf("got the expected error: %v", err)
}

func newReader(t *testing.T, cfg storage.S3Config) *storage.S3Reader {
	t.Helper()
	r, err := storage.NewS3Reader(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// downConfig is cfg pointed at a loopback port nothing listens on.
func downConfig(t *testing.T, cfg storage.S3Config) storage.S3Config {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Endpoint = "http://" + ln.Addr().String()
	ln.Close()
	return cfg
}

func TestS3Reader_VersityWrongSecret(t *testing.T) {
	srv := s3test.StartVersity(t)
	ctx := t.Context()
	if err := srv.CreateBucket(ctx, "itemvec-auth"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Put(ctx, "itemvec-auth", "a", []byte("a")); err != nil {
		t.Fatal(err)
	}
	good, err := srv.Credentials().Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.ReaderConfig()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(good.AccessKeyID, "not-the-secret", "")
	_, err = newReader(t, cfg).Get(ctx, "s3://itemvec-auth/a")
	checkError(t, err, itemvec.KindConfig, storage.CodeAccessDenied)
}

// TestS3Reader_Classification feeds S3Reader responses no well-behaved test
// server produces: throttling, 5xx, lying or missing lengths.
func TestS3Reader_Classification(t *testing.T) {
	const limit = 1024
	s3Error := func(status int, code string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(status)
			if code != "" {
				fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>test</Message></Error>`, code)
			}
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		kind    itemvec.Kind
		code    string
	}{
		{"503 SlowDown", s3Error(http.StatusServiceUnavailable, "SlowDown"), itemvec.KindUnavailable, storage.CodeThrottled},
		{"500 InternalError", s3Error(http.StatusInternalServerError, "InternalError"), itemvec.KindUnavailable, storage.CodeUnavailable},
		{"502 without body", s3Error(http.StatusBadGateway, ""), itemvec.KindUnavailable, storage.CodeUnavailable},
		{"429 without body", s3Error(http.StatusTooManyRequests, ""), itemvec.KindUnavailable, storage.CodeThrottled},
		{"403 AccessDenied", s3Error(http.StatusForbidden, "AccessDenied"), itemvec.KindConfig, storage.CodeAccessDenied},
		{"403 without body", s3Error(http.StatusForbidden, ""), itemvec.KindConfig, storage.CodeAccessDenied},
		{"400 ExpiredToken", s3Error(http.StatusBadRequest, "ExpiredToken"), itemvec.KindUnavailable, storage.CodeUnavailable},
		{"400 InvalidArgument", s3Error(http.StatusBadRequest, "InvalidArgument"), itemvec.KindBadInput, storage.CodeRejected},
		{"404 NoSuchKey", s3Error(http.StatusNotFound, "NoSuchKey"), itemvec.KindNotFound, storage.CodeObjectMissing},
		{"400 RequestTimeout", s3Error(http.StatusBadRequest, "RequestTimeout"), itemvec.KindTimeout, storage.CodeTimeout},
		{"announced length over the limit", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(limit+1))
			w.Write(make([]byte, limit+1))
		}, itemvec.KindBadInput, storage.CodeObjectTooLarge},
		{"unannounced length over the limit", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush() // commits to chunked encoding: no Content-Length
			w.Write(make([]byte, limit+1))
		}, itemvec.KindBadInput, storage.CodeObjectTooLarge},
		{"body cut short", func(w http.ResponseWriter, _ *http.Request) {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
			buf.Flush()
			conn.Close()
		}, itemvec.KindUnavailable, storage.CodeUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			t.Cleanup(srv.Close)
			r := newReader(t, storage.S3Config{
				Endpoint:       srv.URL,
				PathStyle:      true,
				MaxObjectBytes: limit,
				MaxAttempts:    1,
				Credentials:    credentials.NewStaticCredentialsProvider("test", "test", ""),
			})
			_, err := r.Get(t.Context(), "s3://b/k")
			checkError(t, err, tc.kind, tc.code)
		})
	}
}

func TestParseURI(t *testing.T) {
	tests := []struct {
		uri         string
		bucket, key string
		ok          bool
	}{
		{uri: "s3://b/k", bucket: "b", key: "k", ok: true},
		{uri: "s3://photos/2024/06/sku-1.jpg", bucket: "photos", key: "2024/06/sku-1.jpg", ok: true},
		{uri: "s3://b/a%20b?x#y", bucket: "b", key: "a%20b?x#y", ok: true},
		{uri: "s3://b/dir/", bucket: "b", key: "dir/", ok: true},
		{uri: ""},
		{uri: "s3://"},
		{uri: "s3://b"},
		{uri: "s3://b/"},
		{uri: "s3:///k"},
		{uri: "S3://b/k"},
		{uri: "https://b.s3.amazonaws.com/k"},
		{uri: "b/k"},
		{uri: "s3://my bucket/k"},
	}
	for _, tc := range tests {
		t.Run(tc.uri, func(t *testing.T) {
			bucket, key, err := storage.ParseURI(tc.uri)
			if !tc.ok {
				checkError(t, err, itemvec.KindBadInput, storage.CodeBadURI)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if bucket != tc.bucket || key != tc.key {
				t.Fatalf("ParseURI(%q) = %q, %q; want %q, %q", tc.uri, bucket, key, tc.bucket, tc.key)
			}
		})
	}
}

func TestNewS3Reader_RejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  storage.S3Config
	}{
		{"negative limit", storage.S3Config{MaxObjectBytes: -1}},
		{"endpoint without scheme", storage.S3Config{Endpoint: "127.0.0.1:9000"}},
		{"endpoint with other scheme", storage.S3Config{Endpoint: "ftp://127.0.0.1:9000"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Credentials = aws.AnonymousCredentials{}
			_, err := storage.NewS3Reader(t.Context(), tc.cfg)
			checkError(t, err, itemvec.KindConfig, storage.CodeInvalidInput)
		})
	}
}
