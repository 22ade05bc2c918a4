// Package s3 is a [blob.Store] in a bucket of any S3-compatible service
// (Aliyun OSS, an on-premises MinIO), for several `serve` processes sharing
// their photos and voice. It talks to the service through minio-go.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/gridcast/gridcast/blob"
)

// Config is the bucket's configuration.
type Config struct {
	// Endpoint is the service's host[:port], without a scheme, e.g.
	// "oss-cn-hangzhou.aliyuncs.com" or "minio.internal:9000". Required.
	Endpoint string
	// Bucket is the bucket's name. Required.
	Bucket string
	// Region is the bucket's region, e.g. "oss-cn-hangzhou"; "" lets the
	// client ask the service.
	Region string
	// AccessKeyID and SecretAccessKey are the credentials. Required.
	AccessKeyID, SecretAccessKey string
	// Insecure turns TLS off (plain HTTP), for a MinIO on a trusted
	// network or a test. Default false: HTTPS.
	Insecure bool
	// PathStyle addresses the bucket as endpoint/bucket rather than
	// bucket.endpoint; MinIO needs it, OSS refuses it. Default false
	// (virtual-host style where the endpoint allows it).
	PathStyle bool
	// CreateBucket creates the bucket at start when it is missing. Default
	// false: a missing bucket is an error.
	CreateBucket bool
	// Timeout bounds each request. Default 60s.
	Timeout time.Duration
}

// DefaultTimeout is Config.Timeout's default.
const DefaultTimeout = 60 * time.Second

// Validate reports every missing or bad field.
func (c Config) Validate() error {
	var errs []error
	if c.Endpoint == "" {
		errs = append(errs, errors.New("endpoint: required (host[:port] of the S3-compatible service)"))
	}
	if c.Bucket == "" {
		errs = append(errs, errors.New("bucket: required"))
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		errs = append(errs, errors.New("access_key_id and secret_access_key: required"))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s: must be positive (0 for the default %s)", c.Timeout, DefaultTimeout))
	}
	return errors.Join(errs...)
}

// Store is a blob.Store in one bucket. It is safe for concurrent use.
type Store struct {
	client *minio.Client
	bucket string
}

var _ blob.Store = (*Store)(nil)

// New connects to the service, checks that the bucket exists and, if
// cfg.CreateBucket, creates it when missing.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	tr, err := minio.DefaultTransport(!cfg.Insecure)
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	tr.ResponseHeaderTimeout = timeout
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
		Secure:       !cfg.Insecure,
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    tr,
	})
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3: bucket %s: %w", cfg.Bucket, err)
	}
	if !ok {
		if !cfg.CreateBucket {
			return nil, fmt.Errorf("s3: bucket %s does not exist (create it, or set create_bucket)", cfg.Bucket)
		}
		if err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
			return nil, fmt.Errorf("s3: create bucket %s: %w", cfg.Bucket, err)
		}
	}
	return &Store{client: client, bucket: cfg.Bucket}, nil
}

// Put implements blob.Store. An S3 PUT is atomic: the object appears whole
// or not at all. A body of unknown size (-1) is read into memory first and
// sent with its length: without one the client streams with trailing
// checksums, which not every S3-compatible service accepts.
func (s *Store) Put(ctx context.Context, key, contentType string, size int64, r io.Reader) error {
	if err := blob.CheckKey(key); err != nil {
		return fmt.Errorf("s3: %w", err)
	}
	if size < 0 {
		data, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("s3: put %s: %w", key, err)
		}
		r, size = bytes.NewReader(data), int64(len(data))
	}
	_, err := s.client.PutObject(ctx, s.bucket, key, r, size, minio.PutObjectOptions{ContentType: contentType})
	if err != nil {
		return fmt.Errorf("s3: put %s: %w", key, err)
	}
	return nil
}

// Get implements blob.Store.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, blob.Info, error) {
	if err := blob.CheckKey(key); err != nil {
		return nil, blob.Info{}, fmt.Errorf("s3: %w", err)
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, blob.Info{}, s.mapErr("get", key, err)
	}
	// GetObject is lazy: Stat makes the request and reports a missing key.
	oi, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, blob.Info{}, s.mapErr("get", key, err)
	}
	return obj, blob.Info{Key: key, Size: oi.Size, ContentType: oi.ContentType}, nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := blob.CheckKey(key); err != nil {
		return blob.Info{}, fmt.Errorf("s3: %w", err)
	}
	oi, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return blob.Info{}, s.mapErr("stat", key, err)
	}
	return blob.Info{Key: key, Size: oi.Size, ContentType: oi.ContentType}, nil
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.CheckKey(key); err != nil {
		return fmt.Errorf("s3: %w", err)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		if e := s.mapErr("delete", key, err); errors.Is(e, blob.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("s3: delete %s: %w", key, err)
	}
	return nil
}

// mapErr turns the service's "no such key" into blob.ErrNotFound.
func (s *Store) mapErr(op, key string, err error) error {
	resp := minio.ToErrorResponse(err)
	if resp.Code == "NoSuchKey" || resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket" {
		return fmt.Errorf("s3: %s %s: %w", op, key, blob.ErrNotFound)
	}
	return fmt.Errorf("s3: %s %s: %w", op, key, err)
}
