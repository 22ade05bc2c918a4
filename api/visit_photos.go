package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/visits"
)

// A visit's photos are uploaded with its record (multipart/form-data),
// kept through the desk's blob store like a reported event's, and served
// back to callers whose scope covers the visit's grid. A client never
// names a blob store key: it could otherwise attach anyone's photo.

// visitFields are the fields of a multipart visit record.
var visitFields = []string{"worker", "resident_id", "kind", "notes", "visited_at", "slot_id", "ticket_id", "by", "report", "report_category"}

// visitInput reads a visit from a JSON or multipart body; cleanup, never
// nil, closes the photos and removes the multipart's temporary files.
// JSON carries no photos: a photos field (keys) is refused.
func visitInput(w http.ResponseWriter, r *http.Request) (VisitRequest, []desk.Photo, func(), error) {
	if !isMultipart(r) {
		var in struct {
			VisitRequest
			Photos json.RawMessage `json:"photos"`
		}
		if err := decode(w, r, &in); err != nil {
			return VisitRequest{}, nil, func() {}, err
		}
		if in.Photos != nil {
			return VisitRequest{}, nil, func() {}, badRequest(
				"photos are uploaded as files with the record (multipart/form-data, field photo), not named by key",
				"照片须随走访记录以文件上传（multipart/form-data 的 photo 字段），不能填写照片编号")
		}
		return in.VisitRequest, nil, func() {}, nil
	}
	f, photos, cleanup, err := readUpload(w, r, visitFields, visits.MaxPhotos)
	if err != nil {
		return VisitRequest{}, nil, cleanup, err
	}
	req := VisitRequest{Worker: f.str("worker"), ResidentID: f.id("resident_id"), Kind: f.str("kind"), Notes: f.str("notes"),
		VisitedAt: f.time("visited_at"), SlotID: f.id("slot_id"), TicketID: f.id("ticket_id"), By: f.str("by"),
		Report: f.str("report"), ReportCategory: f.str("report_category")}
	return req, photos, cleanup, f.err()
}

// keepVisitPhotos keeps a visit's photos in the desk's blob store; none
// is nothing. Without a desk (or its blob store) photos are refused.
func (s *server) keepVisitPhotos(ctx context.Context, photos []desk.Photo) ([]blob.Object, error) {
	if len(photos) == 0 {
		return nil, nil
	}
	if s.cfg.Desk == nil {
		return nil, desk.ErrNoMedia
	}
	return s.cfg.Desk.KeepPhotos(ctx, photos)
}

// visitPhotoURL is where photo n (from 1) of visit id is served.
func visitPhotoURL(id int64, n int) string {
	return fmt.Sprintf("/api/v1/visits/%d/photos/%d", id, n)
}

func visitPhotosToAPI(r visits.Record) []VisitPhoto {
	if len(r.Photos) == 0 {
		return nil
	}
	out := make([]VisitPhoto, 0, len(r.Photos))
	for i, p := range r.Photos {
		v := VisitPhoto{URL: visitPhotoURL(r.ID, i+1), ContentType: p.ContentType, Size: p.Size}
		if p.ThumbnailKey != "" {
			v.ThumbnailURL = v.URL + "?thumb=1"
		}
		out = append(out, v)
	}
	return out
}

// visitPhoto serves GET /api/v1/visits/{id}/photos/{n} (?thumb=1: its
// thumbnail) with its content type, to a caller whose scope covers the
// visit's grid.
func (s *server) visitPhoto(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.writeError(w, r, badRequest("visit id %q: want a number", "走访记录编号 %q 无效", r.PathValue("id")))
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n <= 0 {
		s.writeError(w, r, badRequest("photo %q: want its number from 1", "照片序号 %q 无效，须从 1 起", r.PathValue("n")))
		return
	}
	ctx := r.Context()
	rec, err := s.cfg.Visits.VisitRecord(ctx, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !scopeOf(r).Covers(rec.GridCode) {
		s.outOfScope(w, r, fmt.Sprintf("visit %d", id))
		return
	}
	thumb := r.URL.Query().Get("thumb") == "1"
	noPhoto := fault.Refuse(fault.ErrNotFound, fmt.Sprintf("visit %d has no photo %d", id, n),
		fmt.Sprintf("走访记录 %d 没有第 %d 张照片", id, n), nil)
	if n > len(rec.Photos) || s.cfg.Desk == nil {
		s.writeError(w, r, noPhoto)
		return
	}
	key := rec.Photos[n-1].Key
	if thumb {
		key = rec.Photos[n-1].ThumbnailKey
	}
	rc, info, err := s.cfg.Desk.OpenPhoto(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		s.writeError(w, r, noPhoto)
		return
	}
	if err != nil {
		s.writeError(w, r, fmt.Errorf("api: visit %d photo %d: %w", id, n, err))
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", info.ContentType)
	if info.Size >= 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(info.Size, 10))
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, rc); err != nil {
		s.cfg.Log.WarnContext(ctx, "visit_photo_copy_failed", "visit_id", id, "photo", n, "err", err)
	}
}
