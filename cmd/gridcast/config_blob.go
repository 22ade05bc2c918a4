package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/blob/s3"
)

// BlobConfig is where photos and residents' WeChat images and voice are
// kept (package blob) and the rules they must meet. Every zero value means
// the default config.example.yaml shows.
type BlobConfig struct {
	// Driver is "local" (the default: a directory, for one serve process)
	// or "s3" (an S3-compatible bucket every process shares: Aliyun OSS, an
	// on-premises MinIO).
	Driver string `yaml:"driver"`
	// Dir is the local driver's directory. Default DATA_DIR/blobs.
	Dir string `yaml:"dir"`
	// S3 is the s3 driver's bucket.
	S3 BlobS3Config `yaml:"s3"`
	// ImageMaxBytes and VoiceMaxBytes are the largest image and voice
	// recording kept. Default 10 MiB and 2 MiB.
	ImageMaxBytes int64 `yaml:"image_max_bytes"`
	VoiceMaxBytes int64 `yaml:"voice_max_bytes"`
	// MaxPixels is the largest image canvas decoded. Default 40000000.
	MaxPixels int64 `yaml:"max_pixels"`
	// ThumbnailSize is the longest side of the console's JPEG thumbnails.
	// Default 320.
	ThumbnailSize int `yaml:"thumbnail_size"`
}

// BlobS3Config is an S3-compatible bucket (s3.Config).
type BlobS3Config struct {
	Endpoint        string        `yaml:"endpoint"` // host[:port], no scheme
	Bucket          string        `yaml:"bucket"`
	Region          string        `yaml:"region"`
	AccessKeyID     string        `yaml:"access_key_id"`
	SecretAccessKey string        `yaml:"secret_access_key"` // better from GRIDCAST_BLOB_S3_SECRET_ACCESS_KEY
	Insecure        bool          `yaml:"insecure"`          // plain http: this host or a private network only
	PathStyle       bool          `yaml:"path_style"`        // endpoint/bucket addressing (MinIO); OSS wants false
	CreateBucket    bool          `yaml:"create_bucket"`     // create a missing bucket at start
	Timeout         time.Duration `yaml:"timeout"`           // per request; default 60s
}

// The blob.driver values.
const (
	blobDriverLocal = "local"
	blobDriverS3    = "s3"
)

// blobDriver is blob.driver with its default.
func (c Config) blobDriver() string {
	if c.Blob.Driver == "" {
		return blobDriverLocal
	}
	return c.Blob.Driver
}

// blobDir is the local driver's directory.
func (c Config) blobDir() string {
	if c.Blob.Dir == "" {
		return filepath.Join(c.DataDir, "blobs")
	}
	return c.Blob.Dir
}

// blobLimits are the content rules of blob.Media.
func (c Config) blobLimits() blob.Limits {
	b := c.Blob
	return blob.Limits{ImageMaxBytes: b.ImageMaxBytes, VoiceMaxBytes: b.VoiceMaxBytes, MaxPixels: b.MaxPixels, ThumbnailSize: b.ThumbnailSize}
}

// blobS3Config is the s3 driver's configuration.
func (c Config) blobS3Config() s3.Config {
	s := c.Blob.S3
	return s3.Config{
		Endpoint: s.Endpoint, Bucket: s.Bucket, Region: s.Region,
		AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey,
		Insecure: s.Insecure, PathStyle: s.PathStyle, CreateBucket: s.CreateBucket, Timeout: s.Timeout,
	}
}

// validateBlob reports every problem of the blob section, each naming its
// key.
func (c Config) validateBlob() error {
	var errs []error
	for _, e := range leafErrors(c.blobLimits().Validate()) {
		errs = append(errs, fmt.Errorf("config: blob.%w", e))
	}
	switch c.blobDriver() {
	case blobDriverLocal:
	case blobDriverS3:
		for _, e := range leafErrors(c.blobS3Config().Validate()) {
			errs = append(errs, fmt.Errorf("config: blob.s3.%w", e))
		}
		if c.Blob.S3.Insecure && c.Blob.S3.Endpoint != "" && !privateHost(c.Blob.S3.Endpoint) {
			errs = append(errs, fmt.Errorf("config: blob.s3.insecure: plain http sends residents' photos and voice in clear: only for a service on this host or a private network, not %s", c.Blob.S3.Endpoint))
		}
	default:
		errs = append(errs, fmt.Errorf("config: blob.driver: %q is not local or s3", c.Blob.Driver))
	}
	return errors.Join(errs...)
}
