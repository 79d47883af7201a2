package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// Defaults applied by NewS3Reader to zero S3Config fields.
const (
	DefaultS3Region       = "us-east-1"
	DefaultMaxObjectBytes = 32 << 20
	DefaultS3Timeout      = 30 * time.Second
)

// S3Config says where S3Reader finds objects and how much it accepts.
type S3Config struct {
	// Endpoint is the base URL of an S3-compatible service, e.g.
	// "http://127.0.0.1:7070". Empty means AWS S3 itself.
	Endpoint string
	// Region signs requests. Empty means the region of the standard AWS
	// configuration (AWS_REGION, shared config), else DefaultS3Region.
	Region string
	// PathStyle addresses objects as <endpoint>/<bucket>/<key> instead of
	// <bucket>.<endpoint>/<key>; most S3-compatible servers need it.
	PathStyle bool
	// MaxObjectBytes is the largest object Get returns; anything bigger is
	// a CodeObjectTooLarge error. Zero means DefaultMaxObjectBytes.
	MaxObjectBytes int64
	// Timeout bounds one Get, retries included. Zero means
	// DefaultS3Timeout; a negative value leaves only the caller's context.
	Timeout time.Duration
	// MaxAttempts is how many times the SDK tries a request that failed in
	// a retryable way before Get returns the error. Zero means the SDK
	// default (3); 1 turns SDK retries off.
	MaxAttempts int
	// Credentials overrides the standard AWS credential chain. It is for
	// tests and the embedded demo server only: production leaves it nil
	// and never fills it from a flag.
	Credentials aws.CredentialsProvider
}

// S3Reader fetches whole objects from S3. It is safe for concurrent use.
type S3Reader struct {
	client  *s3.Client
	max     int64
	timeout time.Duration
}

// NewS3Reader builds a reader from cfg and the standard AWS configuration
// chain (environment, shared config and credentials files, SSO, web
// identity, container and instance roles). It does not contact S3. A
// configuration it cannot use is a CodeInvalidInput error of kind
// itemvec.KindConfig.
func NewS3Reader(ctx context.Context, cfg S3Config) (*S3Reader, error) {
	const op = "storage.NewS3Reader"
	if cfg.MaxObjectBytes < 0 {
		return nil, configError(op, "s3 config", fmt.Errorf("MaxObjectBytes is %d, want >= 0", cfg.MaxObjectBytes))
	}
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, configError(op, cfg.Endpoint, errors.New("S3 endpoint must be an http:// or https:// URL"))
		}
	}
	var opts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(cfg.Credentials))
	}
	if cfg.MaxAttempts > 0 {
		opts = append(opts, config.WithRetryMaxAttempts(cfg.MaxAttempts))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, configError(op, "s3 config", fmt.Errorf("loading AWS configuration: %w", err))
	}
	if awsCfg.Region == "" {
		awsCfg.Region = DefaultS3Region
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		// Many S3-compatible servers (MinIO versions, gofakes3) return no
		// checksum; the SDK then skips validation and would log a line per
		// object. Objects with a checksum are still validated.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	r := &S3Reader{client: client, max: cfg.MaxObjectBytes, timeout: cfg.Timeout}
	if r.max == 0 {
		r.max = DefaultMaxObjectBytes
	}
	if r.timeout == 0 {
		r.timeout = DefaultS3Timeout
	}
	return r, nil
}

// ParseURI splits "s3://bucket/key" into its bucket and key. The key is
// taken verbatim (no percent-decoding) and may contain '/'. A malformed URI
// is a CodeBadURI error.
func ParseURI(uri string) (bucket, key string, err error) {
	bad := func(why string) error {
		return newError("storage.ParseURI", uri, CodeBadURI, errors.New(why))
	}
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", bad(`want s3://bucket/key`)
	}
	bucket, key, _ = strings.Cut(rest, "/")
	switch {
	case bucket == "":
		return "", "", bad("empty bucket name")
	case key == "":
		return "", "", bad("empty object key")
	case strings.ContainsFunc(bucket, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return "", "", bad("bucket name contains a space or control character")
	}
	return bucket, key, nil
}

// Get returns the whole object at uri ("s3://bucket/key"). Objects larger
// than S3Config.MaxObjectBytes are refused with CodeObjectTooLarge, both
// when the server announces the size and when the body turns out longer.
// Every error names uri first and carries one of the package's codes.
func (r *S3Reader) Get(ctx context.Context, uri string) ([]byte, error) {
	b, _, err := r.GetVersion(ctx, uri)
	return b, err
}

// GetVersion is Get that also returns the object's version tag: its ETag
// (without quotes), which changes whenever the object's bytes do; "" when
// the server sends none.
func (r *S3Reader) GetVersion(ctx context.Context, uri string) ([]byte, string, error) {
	const op = "storage.S3Reader.Get"
	bucket, key, err := ParseURI(uri)
	if err != nil {
		return nil, "", err
	}
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
	out, err := r.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, "", newError(op, uri, classifyS3(err), err)
	}
	defer out.Body.Close()

	var buf bytes.Buffer
	if n := aws.ToInt64(out.ContentLength); n > 0 {
		if n > r.max {
			return nil, "", newError(op, uri, CodeObjectTooLarge,
				fmt.Errorf("%d bytes, the limit is %d (S3Config.MaxObjectBytes)", n, r.max))
		}
		// ReadFrom wants MinRead spare bytes before each read; without them
		// it would reallocate and copy the whole object at its end.
		buf.Grow(int(n) + bytes.MinRead)
	}
	n, err := buf.ReadFrom(io.LimitReader(out.Body, r.max+1))
	if err != nil {
		code, ok := classifyTransport(err)
		if !ok {
			code = CodeUnavailable
		}
		return nil, "", newError(op, uri, code, fmt.Errorf("reading object body: %w", err))
	}
	if n > r.max {
		return nil, "", newError(op, uri, CodeObjectTooLarge,
			fmt.Errorf("more than %d bytes (S3Config.MaxObjectBytes)", r.max))
	}
	return buf.Bytes(), etag(out.ETag), nil
}

// classifyS3 maps an aws-sdk-go-v2 error to a code: by S3 error code when
// the server sent one, then by HTTP status, then by transport failure.
// Anything else (credential chain or signing trouble, unknown client
// errors) is CodeUnavailable, so that it is retried and then recorded.
// Version returns the version tag GetVersion would return for the object
// at uri, with a HEAD request: no body is read. A missing object is a
// CodeObjectMissing error, like Get's.
func (r *S3Reader) Version(ctx context.Context, uri string) (string, error) {
	const op = "storage.S3Reader.Version"
	bucket, key, err := ParseURI(uri)
	if err != nil {
		return "", err
	}
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
	out, err := r.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", newError(op, uri, classifyS3(err), err)
	}
	return etag(out.ETag), nil
}

// etag is an ETag header's value without its quotes.
func etag(v *string) string { return strings.Trim(aws.ToString(v), `"`) }

func classifyS3(err error) string {
	if api, ok := errors.AsType[smithy.APIError](err); ok {
		switch api.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return CodeObjectMissing
		case "NoSuchBucket":
			return CodeBucketMissing
		case "AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch",
			"AllAccessDisabled", "AccountProblem", "InvalidToken":
			return CodeAccessDenied
		case "ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired", "RequestTimeTooSkewed",
			"InternalError", "ServiceUnavailable":
			return CodeUnavailable
		case "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded",
			"TooManyRequests", "TooManyRequestsException", "RequestThrottled":
			return CodeThrottled
		case "RequestTimeout":
			return CodeTimeout
		case "InvalidBucketName", "KeyTooLongError":
			return CodeBadURI
		}
	}
	if resp, ok := errors.AsType[*awshttp.ResponseError](err); ok {
		switch status := resp.HTTPStatusCode(); {
		case status == http.StatusNotFound:
			return CodeObjectMissing
		case status == http.StatusForbidden || status == http.StatusUnauthorized:
			return CodeAccessDenied
		case status == http.StatusRequestTimeout:
			return CodeTimeout
		case status == http.StatusTooManyRequests:
			return CodeThrottled
		case status >= 500:
			return CodeUnavailable
		case status >= 400:
			return CodeRejected
		}
	}
	if code, ok := classifyTransport(err); ok {
		return code
	}
	return CodeUnavailable
}
