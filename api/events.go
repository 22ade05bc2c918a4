package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/tickets"
)

// maxEventBody caps a POST /api/v1/events body: the photos (each also
// capped by the blob store's limits) and the fields.
const maxEventBody = 64 << 20

// eventMemory is how much of a multipart body is held in memory; the
// rest of the photos wait in temporary files.
const eventMemory = 8 << 20

// eventRequest is POST /api/v1/events as JSON (a report without photos);
// the multipart form has the same fields plus its photo files.
type eventRequest struct {
	By          string   `json:"by"`
	Grid        string   `json:"grid"`
	Text        string   `json:"text"`
	Category    string   `json:"category"`
	Source      string   `json:"source"`
	WorkerCode  string   `json:"worker_code"`
	Address     string   `json:"address"`
	Lat         *float64 `json:"lat"`
	Lng         *float64 `json:"lng"`
	Place       string   `json:"place"`
	ResidentID  int64    `json:"resident_id"`
	HouseholdID int64    `json:"household_id"`
}

// EventResult is what POST /api/v1/events answers: the new ticket and its
// attachments.
type EventResult struct {
	Ticket      Ticket       `json:"ticket"`
	Attachments []Attachment `json:"attachments"`
}

// Attachment is a photo or voice recording kept with a ticket, as the API
// shows it; URL serves its bytes, ThumbnailURL a small JPEG of an image.
type Attachment struct {
	ID          int64  `json:"id"`
	TicketID    int64  `json:"ticket_id"`
	Kind        string `json:"kind"`
	ContentType string `json:"content_type,omitempty"`
	Size        int64  `json:"size"`
	// FromResident: it came with the resident's message InboundID.
	FromResident bool   `json:"from_resident"`
	InboundID    int64  `json:"inbound_id,omitempty"`
	AddedBy      string `json:"added_by"`
	// Missing says why the media could not be kept ("" when it was).
	Missing      string    `json:"missing,omitempty"`
	URL          string    `json:"url,omitempty"`
	ThumbnailURL string    `json:"thumbnail_url,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

func attachmentOf(a tickets.Attachment) Attachment {
	out := Attachment{ID: a.ID, TicketID: a.TicketID, Kind: string(a.Kind), ContentType: a.ContentType, Size: a.Size,
		FromResident: a.InboundID != 0, InboundID: a.InboundID, AddedBy: a.AddedBy, Missing: a.Missing, CreatedAt: a.CreatedAt}
	if a.Key != "" {
		out.URL = fmt.Sprintf("/api/v1/attachments/%d", a.ID)
	}
	if a.ThumbnailKey != "" {
		out.ThumbnailURL = out.URL + "?thumb=1"
	}
	return out
}

func (s *server) mountEvents(v1 mountFunc) {
	if s.cfg.Desk == nil {
		return
	}
	v1("POST /api/v1/events", s.reportEvent, access.RoleWorker, access.RoleOfficer, access.RoleAdmin)
	v1("GET /api/v1/tickets/{id}/attachments", s.ticketScoped(s.listAttachments))
	v1("GET /api/v1/attachments/{id}", s.getAttachment)
}

// reportEvent serves POST /api/v1/events: an event a worker found on
// patrol or took by phone, filed as a ticket of a grid in the caller's
// scope. multipart/form-data carries the fields and up to
// desk.MaxReportPhotos photo files; application/json the fields alone.
func (s *server) reportEvent(w http.ResponseWriter, r *http.Request) {
	req, photos, cleanup, err := eventInput(w, r)
	defer cleanup()
	if err == nil {
		req.By, err = actor(r, "by", req.By)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	grid := strings.TrimSpace(req.Grid)
	if grid != "" && !scopeOf(r).Covers(grid) {
		s.outOfScope(w, r, "grid "+grid)
		return
	}
	src := tickets.Source(req.Source)
	if req.Source == "" {
		src = tickets.SourcePatrol
	}
	rep := desk.Report{GridCode: grid, Text: req.Text, Category: tickets.Category(req.Category), Source: src,
		By: req.By, WorkerCode: req.WorkerCode, Place: req.Place, ResidentID: req.ResidentID, HouseholdID: req.HouseholdID,
		Location: tickets.Location{Address: req.Address}, Photos: photos}
	if (req.Lat == nil) != (req.Lng == nil) {
		s.writeError(w, r, badRequest("give lat and lng together", "经纬度须同时填写"))
		return
	}
	if req.Lat != nil {
		rep.Location.Lat, rep.Location.Lng = *req.Lat, *req.Lng
	}
	res, err := s.cfg.Desk.Report(r.Context(), rep)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_ = s.record(r, req.By, audit.ActionTicketReport, fmt.Sprintf("ticket:%d", res.Ticket.ID), "",
		fmt.Sprintf("source=%s grid=%s category=%s attachments=%d", res.Ticket.Source, res.Ticket.GridCode, res.Ticket.Category, len(res.Attachments)))
	t, err := s.cfg.Tickets.Ticket(r.Context(), res.Ticket.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.people().ticket(r.Context(), t, s.cfg.Now(), 0)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := EventResult{Ticket: v, Attachments: make([]Attachment, 0, len(res.Attachments))}
	for _, a := range res.Attachments {
		out.Attachments = append(out.Attachments, attachmentOf(a))
	}
	writeJSON(w, http.StatusCreated, out)
}

// eventInput reads a report from a JSON or multipart body; cleanup
// removes the multipart's temporary files.
func eventInput(w http.ResponseWriter, r *http.Request) (eventRequest, []desk.Photo, func(), error) {
	var req eventRequest
	none := func() {}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return req, nil, none, decode(w, r, &req)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxEventBody)
	if err := r.ParseMultipartForm(eventMemory); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return req, nil, none, badRequest("the upload is over %d MiB", "上传内容超过 %d MiB", maxEventBody>>20)
		}
		return req, nil, none, badRequest("multipart body: %v", "表单内容无效：%v", err)
	}
	form := r.MultipartForm
	cleanup := func() { _ = form.RemoveAll() }
	for name := range form.File {
		if name != "photo" {
			return req, nil, cleanup, badRequest("file field %q: photos go in field photo", "文件字段 %q 无效：照片请放在 photo 字段", name)
		}
	}
	var errs []error
	for name := range form.Value {
		switch name {
		case "by", "grid", "text", "category", "source", "worker_code", "address", "lat", "lng", "place", "resident_id", "household_id":
		default:
			errs = append(errs, badRequest("unknown field %q", "未知字段 %q", name))
		}
	}
	get := func(name string) string { return strings.TrimSpace(r.FormValue(name)) }
	num := func(name string) *float64 {
		v := get(name)
		if v == "" {
			return nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			errs = append(errs, badRequest("%s %q: want a number of degrees", "%s %q 须为数字（度）", name, v))
			return nil
		}
		return &f
	}
	id := func(name string) int64 {
		v := get(name)
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			errs = append(errs, badRequest("%s %q: want a number", "%s %q 须为数字", name, v))
		}
		return n
	}
	req = eventRequest{By: get("by"), Grid: get("grid"), Text: get("text"), Category: get("category"), Source: get("source"),
		WorkerCode: get("worker_code"), Address: get("address"), Lat: num("lat"), Lng: num("lng"), Place: get("place"),
		ResidentID: id("resident_id"), HouseholdID: id("household_id")}
	if len(errs) > 0 {
		return req, nil, cleanup, errs[0]
	}
	headers := form.File["photo"]
	if len(headers) > desk.MaxReportPhotos {
		return req, nil, cleanup, badRequest("%d photos: at most %d per report", "照片 %d 张，每次上报最多 %d 张", len(headers), desk.MaxReportPhotos)
	}
	var files []multipart.File
	photos := make([]desk.Photo, 0, len(headers))
	for _, h := range headers {
		f, err := h.Open()
		if err != nil {
			closeAll(files)
			return req, nil, cleanup, fmt.Errorf("api: open photo %q: %w", h.Filename, err)
		}
		files = append(files, f)
		photos = append(photos, desk.Photo{Name: h.Filename, Body: f})
	}
	return req, photos, func() { closeAll(files); cleanup() }, nil
}

func closeAll[C io.Closer](cs []C) {
	for _, c := range cs {
		_ = c.Close()
	}
}

// listAttachments serves GET /api/v1/tickets/{id}/attachments: the
// ticket's photos and voice, in the order they were added.
func (s *server) listAttachments(w http.ResponseWriter, r *http.Request) {
	t := scopedTicket(r)
	as, err := s.cfg.Desk.Attachments(r.Context(), t.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]Attachment, 0, len(as))
	for _, a := range as {
		out = append(out, attachmentOf(a))
	}
	writeJSON(w, http.StatusOK, out)
}

// getAttachment serves GET /api/v1/attachments/{id} (?thumb=1: its
// thumbnail) with its content type, to a caller whose scope holds its
// ticket.
func (s *server) getAttachment(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.writeError(w, r, badRequest("attachment id %q: want a number", "附件编号 %q 无效", r.PathValue("id")))
		return
	}
	ctx := r.Context()
	a, err := s.cfg.Desk.Attachment(ctx, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.cfg.Tickets.Ticket(ctx, a.TicketID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !scopeOf(r).Covers(t.GridCode) && !s.dispatchedToCaller(r, t.ID) {
		s.outOfScope(w, r, fmt.Sprintf("attachment %d", id))
		return
	}
	thumb := r.URL.Query().Get("thumb") == "1"
	rc, info, err := s.cfg.Desk.OpenAttachment(ctx, a, thumb)
	if err != nil {
		s.writeError(w, r, err)
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
		s.cfg.Log.WarnContext(ctx, "attachment_copy_failed", "attachment_id", id, "err", err)
	}
}
