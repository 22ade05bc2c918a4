package main

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/gridcast/gridcast/blob"
)

func TestBlobConfigErrorsNameTheKey(t *testing.T) {
	for _, tt := range []struct {
		name, file string
		want       []string
	}{
		{"UnknownDriver", "blob:\n  driver: nfs\n", []string{`blob.driver: "nfs" is not local or s3`}},
		{"S3Incomplete", "blob:\n  driver: s3\n", []string{"blob.s3.endpoint: required", "blob.s3.bucket: required", "blob.s3.access_key_id and secret_access_key: required"}},
		{"S3InClear", "blob:\n  driver: s3\n  s3:\n    endpoint: oss-cn-hangzhou.aliyuncs.com\n    bucket: b\n    access_key_id: k\n    secret_access_key: s\n    insecure: true\n",
			[]string{"blob.s3.insecure: plain http"}},
		{"NegativeLimits", "blob:\n  image_max_bytes: -1\n  thumbnail_size: 9999\n", []string{"blob.image_max_bytes -1", "blob.thumbnail_size 9999"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := loadConfig(writeFile(t, tt.file), envOf(nil).lookup)
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v does not say %q", err, w)
				}
			}
		})
	}
}

func TestOpenMediaLocal(t *testing.T) {
	dir := t.TempDir()
	cfg, _, err := loadConfig(writeFile(t, "data_dir: "+dir+"\nblob:\n  thumbnail_size: 64\n"), envOf(nil).lookup)
	if err != nil {
		t.Fatal(err)
	}
	media, err := cfg.openMedia(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	obj := putPhoto(t, media)
	// The default directory is DATA_DIR/blobs.
	if _, err := os.Stat(filepath.Join(dir, "blobs", "objects", filepath.FromSlash(obj.Key))); err != nil {
		t.Errorf("%s not under DATA_DIR/blobs: %v", obj.Key, err)
	}
	rc, _, err := media.Get(context.Background(), obj.ThumbnailKey)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	c, err := jpeg.DecodeConfig(rc)
	if err != nil || c.Width != 64 {
		t.Errorf("thumbnail %dx%d (%v), want 64 wide as blob.thumbnail_size says", c.Width, c.Height, err)
	}
}

// The s3 driver is configured from the file and the secret from the
// environment, as in production.
func TestOpenMediaS3(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	file := "blob:\n  driver: s3\n  s3:\n    endpoint: " + strings.TrimPrefix(srv.URL, "http://") +
		"\n    bucket: gridcast-media\n    region: us-east-1\n    access_key_id: k\n    insecure: true\n    path_style: true\n"
	env := map[string]string{"GRIDCAST_BLOB_S3_SECRET_ACCESS_KEY": "from-env"}

	cfg, _, err := loadConfig(writeFile(t, file), envOf(env).lookup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.openMedia(context.Background()); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("openMedia without the bucket = %v, want a missing-bucket error", err)
	}
	if r := redactSecrets(cfg); r.Blob.S3.SecretAccessKey != "REDACTED" {
		t.Errorf("config check would print the secret: %q", r.Blob.S3.SecretAccessKey)
	}

	cfg, _, err = loadConfig(writeFile(t, file+"    create_bucket: true\n"), envOf(env).lookup)
	if err != nil {
		t.Fatal(err)
	}
	media, err := cfg.openMedia(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	obj := putPhoto(t, media)
	if _, info, err := media.Get(context.Background(), obj.Key); err != nil || info.ContentType != blob.TypeJPEG {
		t.Errorf("Get = %+v, %v", info, err)
	}
}

func putPhoto(t *testing.T, media *blob.Media) blob.Object {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 640, 480)), nil); err != nil {
		t.Fatal(err)
	}
	obj, err := media.Put(context.Background(), &b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := media.Put(context.Background(), strings.NewReader("<html>")); !errors.Is(err, blob.ErrTypeNotAllowed) {
		t.Errorf("HTML put = %v, want ErrTypeNotAllowed", err)
	}
	return obj
}
