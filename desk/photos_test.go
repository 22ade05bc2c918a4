package desk_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/fault"
)

// KeepPhotos keeps images with their thumbnails and refuses, leaving no
// file, a batch with a voice note or an oversize image; DropPhotos
// deletes what a failed record kept but not bytes kept before it; a desk
// without a blob store refuses photos.
func TestKeepPhotos(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	photo := func(name string, b []byte) desk.Photo { return desk.Photo{Name: name, Body: bytes.NewReader(b)} }
	if _, err := f.desk.KeepPhotos(ctx, []desk.Photo{photo("a.png", pngBytes(t))}); !errors.Is(err, desk.ErrNoMedia) {
		t.Errorf("KeepPhotos without a blob store = %v, want ErrNoMedia", err)
	}
	dir := f.withMedia(t, nil)

	before, err := f.desk.KeepPhotos(ctx, []desk.Photo{photo("old.jpg", jpegBytes(t))})
	if err != nil || len(before) != 1 || before[0].ThumbnailKey == "" {
		t.Fatalf("KeepPhotos = %+v, %v; want a JPEG with a thumbnail", before, err)
	}
	one := len(files(t, dir)) // the earlier photo's and its thumbnail's
	for name, batch := range map[string][]desk.Photo{
		"voice":     {photo("a.png", pngBytes(t)), photo("v.amr", []byte("#!AMR\n<voice>"))},
		"oversize":  {photo("a.png", pngBytes(t)), photo("big.png", append(pngBytes(t), make([]byte, 70<<10)...))},
		"not media": {photo("a.png", pngBytes(t)), photo("doc.pdf", []byte("%PDF-1.4"))},
	} {
		_, err := f.desk.KeepPhotos(ctx, batch)
		if !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("%s: KeepPhotos = %v, want ErrInvalid", name, err)
		}
		if zh, _ := fault.Explain(err, fault.Chinese); !strings.Contains(zh, "照片") {
			t.Errorf("%s: refusal %q does not say which photo", name, zh)
		}
		if got := files(t, dir); len(got) != one {
			t.Errorf("%s: files after the refusal = %v, want only the earlier photo and its thumbnail", name, got)
		}
	}

	kept, err := f.desk.KeepPhotos(ctx, []desk.Photo{photo("new.png", pngBytes(t)), photo("again.jpg", jpegBytes(t))})
	if err != nil || len(kept) != 2 || kept[0].ContentType != blob.TypePNG || !kept[1].Duplicate {
		t.Fatalf("KeepPhotos = %+v, %v; want a new PNG and the JPEG kept before", kept, err)
	}
	rc, info, err := f.desk.OpenPhoto(ctx, kept[0].ThumbnailKey)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if info.ContentType != blob.TypeJPEG || len(b) == 0 {
		t.Errorf("thumbnail: %s, %d bytes; want a JPEG", info.ContentType, len(b))
	}
	f.desk.DropPhotos(ctx, kept)
	if got := files(t, dir); len(got) != one {
		t.Errorf("files after DropPhotos = %v, want the earlier photo kept", got)
	}
	if _, _, err := f.desk.OpenPhoto(ctx, kept[0].Key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("OpenPhoto(dropped) = %v, want blob.ErrNotFound", err)
	}
}
