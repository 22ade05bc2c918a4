package desk

import (
	"context"
	"fmt"
	"io"

	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/fault"
)

// Photos kept for other records than tickets — a visit's on the register
// — go through the same blob store and content rules as a report's.

// ErrNoMedia refuses photos when no blob store is configured: records
// without photos still work.
var ErrNoMedia = fault.Refuse(fault.ErrInvalid,
	"photos cannot be kept: no blob store is configured (blob section); record without photos",
	"未配置文件存储（blob），无法保存照片；请不带照片登记", nil)

// KeepPhotos keeps photos (images only, at most as many as the caller
// allows) in the blob store, with the content rules, size limits and
// thumbnails of a report's, and returns them in order. A photo the rules
// refuse, or one that is not an image (a voice note), refuses them all
// with fault.ErrInvalid naming it, and nothing they wrote is left. With
// no blob store configured any photo is refused with ErrNoMedia. When
// what the photos were kept for then fails, DropPhotos deletes them.
func (s *Service) KeepPhotos(ctx context.Context, photos []Photo) ([]blob.Object, error) {
	if len(photos) == 0 {
		return nil, nil
	}
	if s.media == nil {
		return nil, ErrNoMedia
	}
	objs, _, err := s.putObjects(ctx, photos)
	if err != nil {
		return nil, err
	}
	for i, o := range objs {
		if !blob.IsImage(o.ContentType) {
			s.DropPhotos(ctx, objs)
			return nil, fault.Refuse(fault.ErrInvalid, fmt.Sprintf("photo %s is %s, not a photo", photoName(photos[i], i), o.ContentType),
				fmt.Sprintf("照片 %s 不是图片（%s），仅限 JPEG、PNG、WebP 图片", photoName(photos[i], i), o.ContentType), nil)
		}
	}
	s.log.InfoContext(ctx, "photos_kept", "photos", len(objs))
	return objs, nil
}

// DropPhotos deletes what KeepPhotos wrote for objs — an object whose
// bytes were kept already (Duplicate) stays, as another record may hold
// it. A failure is only logged: an orphan blob harms nobody.
func (s *Service) DropPhotos(ctx context.Context, objs []blob.Object) {
	if s.media == nil {
		return
	}
	var put []string
	for _, o := range objs {
		if !o.Duplicate {
			put = append(put, o.Key)
		}
	}
	s.dropBlobs(ctx, put)
}

// OpenPhoto returns the bytes kept under key (a photo's or its
// thumbnail's), for the caller to close, and what the blob store knows of
// them. A key the blob store lacks, or no blob store, is blob.ErrNotFound.
func (s *Service) OpenPhoto(ctx context.Context, key string) (io.ReadCloser, blob.Info, error) {
	if key == "" || s.media == nil {
		return nil, blob.Info{}, fmt.Errorf("desk: photo %q: %w", key, blob.ErrNotFound)
	}
	rc, info, err := s.media.Get(ctx, key)
	if err != nil {
		return nil, blob.Info{}, fmt.Errorf("desk: photo %s: %w", key, err)
	}
	return rc, info, nil
}
