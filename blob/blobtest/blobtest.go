// Package blobtest is the conformance suite every blob.Store passes: the
// Store's own contract, and blob.Media's content rules over it.
package blobtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/blob"
)

// NewStore returns an empty Store for one test; it is closed by the test's
// cleanups.
type NewStore func(t *testing.T) blob.Store

// Run runs the whole suite against stores made by newStore.
func Run(t *testing.T, newStore NewStore) {
	t.Run("Store", func(t *testing.T) { runStore(t, newStore) })
	t.Run("Media", func(t *testing.T) { runMedia(t, newStore) })
}

func runStore(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		s := newStore(t)
		data := []byte("#!AMR\nsome voice")
		if err := s.Put(ctx, "a/b/c.amr", "audio/amr", int64(len(data)), bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		want := blob.Info{Key: "a/b/c.amr", Size: int64(len(data)), ContentType: "audio/amr"}
		info, err := s.Stat(ctx, "a/b/c.amr")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, info); d != "" {
			t.Errorf("Stat (-want +got):\n%s", d)
		}
		if got, info := get(t, s, "a/b/c.amr"); !bytes.Equal(got, data) || info != want {
			t.Errorf("Get = %q, %+v; want %q, %+v", got, info, data, want)
		}
	})

	t.Run("UnknownSize", func(t *testing.T) {
		s := newStore(t)
		if err := s.Put(ctx, "x", "image/png", -1, strings.NewReader("0123456789")); err != nil {
			t.Fatal(err)
		}
		if info, err := s.Stat(ctx, "x"); err != nil || info.Size != 10 {
			t.Errorf("Stat = %+v, %v; want size 10", info, err)
		}
	})

	t.Run("Replace", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "k", "text/plain", "old")
		put(t, s, "k", "image/jpeg", "new!")
		got, info := get(t, s, "k")
		if string(got) != "new!" || info.ContentType != "image/jpeg" || info.Size != 4 {
			t.Errorf("after replace Get = %q, %+v", got, info)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Stat(ctx, "no/such"); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Stat(missing) = %v, want ErrNotFound", err)
		}
		if rc, _, err := s.Get(ctx, "no/such"); !errors.Is(err, blob.ErrNotFound) {
			if rc != nil {
				rc.Close()
			}
			t.Errorf("Get(missing) = %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "no/such"); err != nil {
			t.Errorf("Delete(missing) = %v, want nil", err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "k", "text/plain", "x")
		if err := s.Delete(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stat(ctx, "k"); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Stat after Delete = %v, want ErrNotFound", err)
		}
	})

	t.Run("BadKeys", func(t *testing.T) {
		s := newStore(t)
		for _, key := range []string{"", "../escape", "a/../../b", "/abs", "a//b", "UPPER", "sp ace", "a/./b", "trailing/"} {
			if err := s.Put(ctx, key, "text/plain", 1, strings.NewReader("x")); !errors.Is(err, blob.ErrBadKey) {
				t.Errorf("Put(%q) = %v, want ErrBadKey", key, err)
			}
			if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrBadKey) {
				t.Errorf("Stat(%q) = %v, want ErrBadKey", key, err)
			}
		}
	})
}

func runMedia(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	newMedia := func(t *testing.T, l blob.Limits) (*blob.Media, blob.Store) {
		s := newStore(t)
		m, err := blob.NewMedia(s, l)
		if err != nil {
			t.Fatal(err)
		}
		return m, s
	}

	t.Run("Images", func(t *testing.T) {
		for _, tc := range []struct {
			name      string
			data      []byte
			wantType  string
			wantW     int
			wantH     int
			wantThumb image.Point
		}{
			{"LandscapeJPEG", encodeJPEG(t, 1000, 500), blob.TypeJPEG, 1000, 500, image.Pt(320, 160)},
			{"PortraitPNG", encodePNG(t, 400, 800), blob.TypePNG, 400, 800, image.Pt(160, 320)},
			{"SmallPNGNotEnlarged", encodePNG(t, 100, 50), blob.TypePNG, 100, 50, image.Pt(100, 50)},
			{"WebP", webp1x1(t), blob.TypeWebP, 1, 1, image.Pt(1, 1)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				m, s := newMedia(t, blob.Limits{})
				obj, err := m.Put(ctx, bytes.NewReader(tc.data))
				if err != nil {
					t.Fatal(err)
				}
				if obj.ContentType != tc.wantType || obj.Width != tc.wantW || obj.Height != tc.wantH ||
					obj.Size != int64(len(tc.data)) || obj.Duplicate || !strings.HasPrefix(obj.Key, "media/") ||
					obj.ThumbnailKey == "" {
					t.Errorf("Put = %+v", obj)
				}
				got, info := get(t, s, obj.Key)
				if !bytes.Equal(got, tc.data) || info.ContentType != tc.wantType {
					t.Errorf("original: %d bytes of %s back, want %d of %s", len(got), info.ContentType, len(tc.data), tc.wantType)
				}
				thumb, info := get(t, s, obj.ThumbnailKey)
				if info.ContentType != blob.TypeJPEG {
					t.Errorf("thumbnail type %s, want image/jpeg", info.ContentType)
				}
				cfg, err := jpeg.DecodeConfig(bytes.NewReader(thumb))
				if err != nil {
					t.Fatalf("thumbnail: %v", err)
				}
				if got := image.Pt(cfg.Width, cfg.Height); got != tc.wantThumb {
					t.Errorf("thumbnail %v, want %v", got, tc.wantThumb)
				}
			})
		}
	})

	t.Run("Voice", func(t *testing.T) {
		for _, tc := range []struct {
			name, data, wantType string
		}{
			{"AMR", "#!AMR\n\x3c\x00\x00\x00", blob.TypeAMR},
			{"MP3WithID3", "ID3\x04\x00\x00\x00\x00\x00\x00", blob.TypeMP3},
			{"MP3Frame", "\xff\xfb\x90\x64\x00\x00", blob.TypeMP3},
			{"SILK", "\x02#!SILK_V3\x0c\x00", blob.TypeSILK},
		} {
			t.Run(tc.name, func(t *testing.T) {
				m, s := newMedia(t, blob.Limits{})
				obj, err := m.Put(ctx, strings.NewReader(tc.data))
				if err != nil {
					t.Fatal(err)
				}
				if obj.ContentType != tc.wantType || obj.ThumbnailKey != "" || obj.Width != 0 {
					t.Errorf("Put = %+v", obj)
				}
				if got, _ := get(t, s, obj.Key); string(got) != tc.data {
					t.Errorf("got %q back, want %q", got, tc.data)
				}
			})
		}
	})

	t.Run("DuplicateStoredOnce", func(t *testing.T) {
		m, s := newMedia(t, blob.Limits{})
		data := encodeJPEG(t, 640, 480)
		first, err := m.Put(ctx, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		// The second upload must not rewrite: replace the stored thumbnail
		// with a marker and check it survives.
		put(t, s, first.ThumbnailKey, blob.TypeJPEG, "marker")
		second, err := m.Put(ctx, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if !second.Duplicate || second.Key != first.Key || second.ThumbnailKey != first.ThumbnailKey {
			t.Errorf("second Put = %+v, want a duplicate of %+v", second, first)
		}
		if got, _ := get(t, s, first.ThumbnailKey); string(got) != "marker" {
			t.Error("duplicate Put rewrote the thumbnail")
		}
		other, err := m.Put(ctx, bytes.NewReader(encodeJPEG(t, 641, 480)))
		if err != nil {
			t.Fatal(err)
		}
		if other.Key == first.Key || other.Duplicate {
			t.Errorf("different bytes got %+v", other)
		}
	})

	t.Run("Refusals", func(t *testing.T) {
		big := encodeJPEG(t, 300, 300)
		for _, tc := range []struct {
			name   string
			limits blob.Limits
			data   []byte
			want   error
		}{
			{"Empty", blob.Limits{}, nil, blob.ErrEmpty},
			{"HTMLNamedJPG", blob.Limits{}, []byte("<!DOCTYPE html><html><body>not a photo</body></html>"), blob.ErrTypeNotAllowed},
			{"PDF", blob.Limits{}, []byte("%PDF-1.7\n..."), blob.ErrTypeNotAllowed},
			{"ImageOverLimit", blob.Limits{ImageMaxBytes: int64(len(big) - 1)}, big, blob.ErrTooLarge},
			{"VoiceOverLimit", blob.Limits{VoiceMaxBytes: 10}, []byte("#!AMR\n0123456789"), blob.ErrTooLarge},
			{"TooManyPixels", blob.Limits{MaxPixels: 300*300 - 1}, big, blob.ErrTooLarge},
			{"TruncatedJPEG", blob.Limits{}, big[:len(big)/2], blob.ErrUndecodable},
			{"JPEGMagicOnly", blob.Limits{}, []byte("\xff\xd8\xff\xe0garbage"), blob.ErrUndecodable},
		} {
			t.Run(tc.name, func(t *testing.T) {
				m, s := newMedia(t, tc.limits)
				obj, err := m.Put(ctx, bytes.NewReader(tc.data))
				if !errors.Is(err, blob.ErrRefused) || !errors.Is(err, tc.want) {
					t.Fatalf("Put = %+v, %v; want ErrRefused and %v", obj, err, tc.want)
				}
				// Nothing was stored: the same bytes under generous
				// limits are new.
				m2, _ := blob.NewMedia(s, blob.Limits{})
				if obj, err := m2.Put(ctx, bytes.NewReader(tc.data)); err == nil && obj.Duplicate {
					t.Errorf("refused content was stored as %s", obj.Key)
				}
			})
		}
	})

	t.Run("OverLimitStopsReading", func(t *testing.T) {
		m, _ := newMedia(t, blob.Limits{VoiceMaxBytes: 100})
		r := &countingReader{r: io.MultiReader(strings.NewReader("#!AMR\n"), zeros{})}
		if _, err := m.Put(ctx, r); !errors.Is(err, blob.ErrTooLarge) {
			t.Fatalf("Put = %v, want ErrTooLarge", err)
		}
		if r.n > 101+16 {
			t.Errorf("read %d bytes of an endless stream with a 100-byte limit", r.n)
		}
	})

	t.Run("ConcurrentSamePhoto", func(t *testing.T) {
		// Two processes receiving the same photo at once both succeed and
		// leave one whole object.
		m, s := newMedia(t, blob.Limits{})
		data := encodeJPEG(t, 500, 400)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = m.Put(ctx, bytes.NewReader(data))
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		obj, err := m.Put(ctx, bytes.NewReader(data))
		if err != nil || !obj.Duplicate {
			t.Fatalf("Put after the race = %+v, %v; want a duplicate", obj, err)
		}
		if got, _ := get(t, s, obj.Key); !bytes.Equal(got, data) {
			t.Errorf("stored %d bytes, want the %d put", len(got), len(data))
		}
	})

	t.Run("DeleteRemovesThumbnail", func(t *testing.T) {
		m, s := newMedia(t, blob.Limits{})
		obj, err := m.Put(ctx, bytes.NewReader(encodePNG(t, 50, 50)))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Delete(ctx, obj.Key); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{obj.Key, obj.ThumbnailKey} {
			if _, err := s.Stat(ctx, k); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("Stat(%s) after Delete = %v, want ErrNotFound", k, err)
			}
		}
	})
}

func put(t *testing.T, s blob.Store, key, ct, data string) {
	t.Helper()
	if err := s.Put(context.Background(), key, ct, int64(len(data)), strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, s blob.Store, key string) ([]byte, blob.Info) {
	t.Helper()
	rc, info, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data, info
}

// gradient is a w×h image with some detail, so encoders do real work.
func gradient(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), uint8(x ^ y), 200})
		}
	}
	return img
}

func encodeJPEG(t *testing.T, w, h int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, gradient(w, h), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t *testing.T, w, h int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, gradient(w, h)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// webp1x1 is a 1×1 lossless WebP (the standard library has no encoder).
func webp1x1(t *testing.T) []byte {
	b, err := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
