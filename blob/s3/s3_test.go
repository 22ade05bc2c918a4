package s3_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/blob/blobtest"
	"github.com/gridcast/gridcast/blob/s3"
)

// fakeS3 starts an in-process S3-compatible server for the test.
func fakeS3(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

var buckets atomic.Int64

func config(endpoint string) s3.Config {
	return s3.Config{
		Endpoint: endpoint, Bucket: fmt.Sprintf("gridcast-%d", buckets.Add(1)), Region: "us-east-1",
		AccessKeyID: "test", SecretAccessKey: "test-secret",
		Insecure: true, PathStyle: true, CreateBucket: true,
	}
}

func TestConformance(t *testing.T) {
	endpoint := fakeS3(t)
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := s3.New(context.Background(), config(endpoint))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestMissingBucketNotCreated(t *testing.T) {
	cfg := config(fakeS3(t))
	cfg.CreateBucket = false
	_, err := s3.New(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("New without the bucket = %v, want a missing-bucket error", err)
	}
	cfg.CreateBucket = true
	if _, err := s3.New(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	cfg.CreateBucket = false
	if _, err := s3.New(context.Background(), cfg); err != nil {
		t.Fatalf("New with the bucket created = %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	err := s3.Config{Timeout: -1}.Validate()
	for _, want := range []string{"endpoint: required", "bucket: required", "access_key_id and secret_access_key: required", "timeout -1ns"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to say %q", err, want)
		}
	}
}
