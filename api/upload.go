package api

import (
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gridcast/gridcast/desk"
)

// Uploads: the routes that take photos (POST /api/v1/events and POST
// /api/v1/visits) read multipart/form-data the same way — fields by name,
// photo files in field photo, the body capped — and hand the photos to
// the desk's blob store.

// maxUploadBody caps a multipart body: the photos (each also capped by
// the blob store's limits) and the fields.
const maxUploadBody = 64 << 20

// uploadMemory is how much of a multipart body is held in memory; the
// rest of the photos wait in temporary files.
const uploadMemory = 8 << 20

// isMultipart reports whether r's body is multipart/form-data.
func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

// formFields are the fields of a multipart body; reading one that does
// not parse keeps the first problem for err.
type formFields struct {
	values url.Values
	errs   []error
}

// str is field name, trimmed.
func (f *formFields) str(name string) string {
	if vs := f.values[name]; len(vs) > 0 {
		return strings.TrimSpace(vs[0])
	}
	return ""
}

// degrees is field name as a number, nil when empty.
func (f *formFields) degrees(name string) *float64 {
	v := f.str(name)
	if v == "" {
		return nil
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		f.errs = append(f.errs, badRequest("%s %q: want a number of degrees", "%s %q 须为数字（度）", name, v))
		return nil
	}
	return &n
}

// id is field name as a positive number, 0 when empty.
func (f *formFields) id(name string) int64 {
	v := f.str(name)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		f.errs = append(f.errs, badRequest("%s %q: want a number", "%s %q 须为数字", name, v))
	}
	return n
}

// time is field name as an RFC 3339 time, zero when empty.
func (f *formFields) time(name string) time.Time {
	v := f.str(name)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		f.errs = append(f.errs, badRequest("%s %q: want a time such as 2026-12-06T09:30:00+08:00", "%s %q 须为时间，如 2026-12-06T09:30:00+08:00", name, v))
	}
	return t
}

// err is the first field that did not parse, or nil.
func (f *formFields) err() error {
	if len(f.errs) > 0 {
		return f.errs[0]
	}
	return nil
}

// readUpload reads r's multipart body: its fields, each of which must be
// one of names, and at most maxPhotos files in field photo, opened. The
// returned cleanup, never nil, closes the files and removes the
// multipart's temporary files; call it whatever the error.
func readUpload(w http.ResponseWriter, r *http.Request, names []string, maxPhotos int) (*formFields, []desk.Photo, func(), error) {
	none := func() {}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBody)
	if err := r.ParseMultipartForm(uploadMemory); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, nil, none, badRequest("the upload is over %d MiB", "上传内容超过 %d MiB", maxUploadBody>>20)
		}
		return nil, nil, none, badRequest("multipart body: %v", "表单内容无效：%v", err)
	}
	form := r.MultipartForm
	cleanup := func() { _ = form.RemoveAll() }
	for name := range form.File {
		if name != "photo" {
			return nil, nil, cleanup, badRequest("file field %q: photos go in field photo", "文件字段 %q 无效：照片请放在 photo 字段", name)
		}
	}
	for name := range form.Value {
		if !slices.Contains(names, name) {
			return nil, nil, cleanup, badRequest("unknown field %q", "未知字段 %q", name)
		}
	}
	headers := form.File["photo"]
	if len(headers) > maxPhotos {
		return nil, nil, cleanup, badRequest("%d photos: at most %d", "照片 %d 张，最多 %d 张", len(headers), maxPhotos)
	}
	var files []multipart.File
	photos := make([]desk.Photo, 0, len(headers))
	for _, h := range headers {
		f, err := h.Open()
		if err != nil {
			closeAll(files)
			return nil, nil, cleanup, fmt.Errorf("api: open photo %q: %w", h.Filename, err)
		}
		files = append(files, f)
		photos = append(photos, desk.Photo{Name: h.Filename, Body: f})
	}
	return &formFields{values: form.Value}, photos, func() { closeAll(files); cleanup() }, nil
}
