package api

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/tickets"
)

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

// eventFields are the fields of a multipart report.
var eventFields = []string{"by", "grid", "text", "category", "source", "worker_code", "address", "lat", "lng", "place", "resident_id", "household_id"}

// eventInput reads a report from a JSON or multipart body; cleanup, never
// nil, closes the photos and removes the multipart's temporary files.
func eventInput(w http.ResponseWriter, r *http.Request) (eventRequest, []desk.Photo, func(), error) {
	var req eventRequest
	if !isMultipart(r) {
		return req, nil, func() {}, decode(w, r, &req)
	}
	f, photos, cleanup, err := readUpload(w, r, eventFields, desk.MaxReportPhotos)
	if err != nil {
		return req, nil, cleanup, err
	}
	req = eventRequest{By: f.str("by"), Grid: f.str("grid"), Text: f.str("text"), Category: f.str("category"), Source: f.str("source"),
		WorkerCode: f.str("worker_code"), Address: f.str("address"), Lat: f.degrees("lat"), Lng: f.degrees("lng"), Place: f.str("place"),
		ResidentID: f.id("resident_id"), HouseholdID: f.id("household_id")}
	return req, photos, cleanup, f.err()
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
