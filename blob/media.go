package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Media keeps photos and voice in a [Store] under content-addressed keys,
// after checking them against its [Limits]. It is safe for concurrent use:
// two processes putting the same bytes write the same objects.
type Media struct {
	store  Store
	limits Limits
}

// NewMedia returns a Media over store with limits (zero fields take their
// defaults; limits must pass Validate).
func NewMedia(store Store, limits Limits) (*Media, error) {
	if err := limits.Validate(); err != nil {
		return nil, fmt.Errorf("blob: limits: %w", err)
	}
	return &Media{store: store, limits: limits.WithDefaults()}, nil
}

// Object is what Media.Put kept.
type Object struct {
	// Key is the original's key: "media/<first two hex digits>/<SHA-256 in
	// hex><extension>", the same for the same bytes.
	Key         string
	ContentType string
	Size        int64
	// Width and Height are an image's size in pixels as shown (a JPEG
	// turned by its EXIF orientation, as the thumbnail is); zero for voice.
	Width, Height int
	// ThumbnailKey is the key of an image's JPEG thumbnail; "" for voice.
	ThumbnailKey string
	// Duplicate is true when the same bytes were already kept, and nothing
	// was written.
	Duplicate bool
}

// Put reads r to its end (or one byte past the limit) and keeps it.
// The bytes decide the type (see [Sniff]); content Media does not keep is
// refused with an error wrapping [ErrRefused] and nothing is stored. An
// image is decoded to check it and to make its thumbnail, so the whole
// object is held in memory: at most the image or voice limit.
func (m *Media) Put(ctx context.Context, r io.Reader) (Object, error) {
	head := make([]byte, 16)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Object{}, fmt.Errorf("blob: read: %w", err)
	}
	head = head[:n]
	if n == 0 {
		return Object{}, refuse(ErrEmpty, "no bytes")
	}
	ct := Sniff(head)
	if ct == "" {
		return Object{}, refuse(ErrTypeNotAllowed, "content is not a JPEG, PNG or WebP image nor AMR, MP3 or SILK voice")
	}
	limit := m.limits.maxBytes(ct)
	var buf bytes.Buffer
	buf.Write(head)
	if _, err := buf.ReadFrom(io.LimitReader(r, limit+1-int64(n))); err != nil {
		return Object{}, fmt.Errorf("blob: read: %w", err)
	}
	if int64(buf.Len()) > limit {
		return Object{}, refuse(ErrTooLarge, "%s over the limit of %d bytes", ct, limit)
	}
	data := buf.Bytes()
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	obj := Object{
		Key:         "media/" + hexSum[:2] + "/" + hexSum + extension(ct),
		ContentType: ct,
		Size:        int64(len(data)),
	}
	var thumb bytes.Buffer
	if IsImage(ct) {
		img, err := decodeImage(data, m.limits.MaxPixels)
		if err != nil {
			return Object{}, err
		}
		o := 1
		if ct == TypeJPEG {
			o = jpegOrientation(data)
		}
		obj.Width, obj.Height = img.Bounds().Dx(), img.Bounds().Dy()
		if o >= 5 {
			obj.Width, obj.Height = obj.Height, obj.Width
		}
		obj.ThumbnailKey = ThumbnailKey(obj.Key)
		if err := writeThumbnail(&thumb, img, m.limits.ThumbnailSize, o); err != nil {
			return Object{}, err
		}
	}
	switch _, err := m.store.Stat(ctx, obj.Key); {
	case err == nil:
		obj.Duplicate = true
		return obj, nil
	case !errors.Is(err, ErrNotFound):
		return Object{}, fmt.Errorf("blob: put %s: %w", obj.Key, err)
	}
	// The thumbnail goes first: an original that is present always has its
	// thumbnail, so the duplicate check above need look at one key.
	if obj.ThumbnailKey != "" {
		if err := m.store.Put(ctx, obj.ThumbnailKey, TypeJPEG, int64(thumb.Len()), &thumb); err != nil {
			return Object{}, fmt.Errorf("blob: put thumbnail %s: %w", obj.ThumbnailKey, err)
		}
	}
	if err := m.store.Put(ctx, obj.Key, ct, obj.Size, bytes.NewReader(data)); err != nil {
		return Object{}, fmt.Errorf("blob: put %s: %w", obj.Key, err)
	}
	return obj, nil
}

// Get opens the object (an original or a thumbnail) under key.
func (m *Media) Get(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	return m.store.Get(ctx, key)
}

// Delete removes the object under key and, for an image, its thumbnail.
func (m *Media) Delete(ctx context.Context, key string) error {
	// The original goes first, the reverse of Put, so that a crash in
	// between leaves a thumbnail without its original, never the opposite.
	if err := m.store.Delete(ctx, key); err != nil {
		return err
	}
	if tk := ThumbnailKey(key); tk != "" {
		return m.store.Delete(ctx, tk)
	}
	return nil
}

// ThumbnailKey is the key of the thumbnail of the image kept under key
// ("thumb/…/<SHA-256>.jpg"), or "" when key is not an image's media key.
func ThumbnailKey(key string) string {
	rest, ok := strings.CutPrefix(key, "media/")
	if !ok {
		return ""
	}
	for _, ext := range []string{".jpg", ".png", ".webp"} {
		if base, ok := strings.CutSuffix(rest, ext); ok {
			return "thumb/" + base + ".jpg"
		}
	}
	return ""
}
