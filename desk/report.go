package desk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// Events keeps the events staff report and the photos and voice kept with
// tickets. *store.Store satisfies it.
type Events interface {
	// ReportEvent stores a reported event's ticket, its creation event,
	// the events then that follow it and its attachments in one
	// transaction.
	ReportEvent(ctx context.Context, t *tickets.Ticket, ev tickets.Event, then []tickets.Event, atts []tickets.Attachment) error
	// AddAttachment keeps one attachment; a resident message's second
	// returns the first with first=false.
	AddAttachment(ctx context.Context, a tickets.Attachment) (tickets.Attachment, bool, error)
	Attachments(ctx context.Context, ticketID int64) ([]tickets.Attachment, error)
	Attachment(ctx context.Context, id int64) (tickets.Attachment, error)
	Grid(ctx context.Context, code string) (population.Grid, error)
	// HouseholdGrid is the grid a household lives in.
	HouseholdGrid(ctx context.Context, id int64) (string, error)
	// MissingMedia and FillAttachment let RefetchMedia try residents'
	// media again while the provider keeps it.
	MissingMedia(ctx context.Context, since time.Time, limit int) ([]tickets.Attachment, error)
	FillAttachment(ctx context.Context, a, got tickets.Attachment) (bool, error)
}

// Media keeps photos and voice: *blob.Media satisfies it (content rules,
// size limits and thumbnails are its own).
type Media interface {
	Put(ctx context.Context, r io.Reader) (blob.Object, error)
	Get(ctx context.Context, key string) (io.ReadCloser, blob.Info, error)
	Delete(ctx context.Context, key string) error
}

var _ Media = (*blob.Media)(nil)

// The limits of a report.
const (
	// MaxReportPhotos is how many photos (or voice notes) one report may
	// carry.
	MaxReportPhotos = 9
	maxReportText   = 2000 // runes
	maxAddress      = 200  // runes
	maxPlace        = 100  // runes
)

// Report is an event staff report (事件上报): found on patrol, or taken by
// phone from a resident.
type Report struct {
	// GridCode is the grid the event is in; required. It decides the
	// worker the ticket goes to.
	GridCode string
	// Text describes the event; required. Personal data.
	Text string
	// Category files it; "" classifies Text as a resident's message is.
	Category tickets.Category
	// Source is tickets.SourcePatrol (also for "") or SourceHotline.
	Source tickets.Source
	// By is the user reporting, recorded as the ticket's reporter and the
	// actor of its creation; required.
	By string
	// WorkerCode is the reporter's own worker code, when they are a
	// worker: the report counts as theirs in 考核 (events reported), and a
	// report by the worker the ticket goes to starts in progress: they
	// found it and are handling it. An unknown code is refused.
	WorkerCode string
	// Location is where the event is: an address within the grid and an
	// optional point.
	Location tickets.Location
	// Place, ResidentID and HouseholdID name what the event concerns, all
	// optional. The resident and the household must be of the grid.
	Place                   string
	ResidentID, HouseholdID int64
	// Photos are the pictures (or voice notes) taken, at most
	// MaxReportPhotos; each must pass the blob store's content rules.
	Photos []Photo
}

// Photo is one uploaded file of a Report.
type Photo struct {
	// Name is the file's name as uploaded, for refusals only.
	Name string
	Body io.Reader
}

// ReportResult is what Report stored.
type ReportResult struct {
	Ticket      tickets.Ticket
	Attachments []tickets.Attachment
	// Assignee is who the ticket went to; zero when the grid has nobody at
	// its level (escalation finds an owner above).
	Assignee population.Worker
}

// Report files an event staff reported as a ticket with its source and
// reporter, its category's deadline and level, assigned like any ticket
// (its grid's owner at the level, on leave their backup) and notified to
// them — unless the reporter is that owner: their own patrol finding then
// starts in progress and nobody is notified. Photos go to the blob store
// first (content rules, thumbnails); the ticket, its timeline and its
// attachments are then stored in one transaction. Bad input is refused
// with fault.ErrInvalid (a grid or resident that does not exist with
// fault.ErrNotFound), and nothing is stored.
func (s *Service) Report(ctx context.Context, rep Report) (ReportResult, error) {
	if err := s.checkReport(ctx, &rep); err != nil {
		return ReportResult{}, err
	}
	now := s.now()
	sla := s.cfg.Tickets.SLA
	var matched []string
	if rep.Category == "" {
		cls := s.cfg.Tickets.Classifier.ClassifyHint(rep.Text, "")
		rep.Category, matched = cls.Category, cls.Matched
	}
	nt := tickets.Ticket{ResidentID: rep.ResidentID, GridCode: rep.GridCode, Text: rep.Text, Category: rep.Category,
		Source: rep.Source, Reporter: rep.By, Location: rep.Location, Place: rep.Place, HouseholdID: rep.HouseholdID}
	if rep.WorkerCode != "" {
		rw, err := s.st.WorkerByCode(ctx, rep.WorkerCode)
		if err != nil {
			return ReportResult{}, err
		}
		nt.ReporterWorkerID = rw.ID // credited in 考核 (events reported)
	}
	nt, ev := sla.Open(nt, matched, now)
	ev.Actor = rep.By
	ev.Note = strings.Trim(fmt.Sprintf("source: %s (%s); reporter: %s; %s", nt.Source, nt.Source.Label(), rep.By, ev.Note), "; ")
	if len(rep.Photos) > 0 {
		ev.Note += fmt.Sprintf("; attachments: %d", len(rep.Photos))
	}
	nt.Level = s.cfg.Tickets.Levels.For(nt.Category)
	w, aev, note, err := s.assignment(ctx, &nt, nt.Level, tickets.ActorSystem, "")
	if err != nil {
		return ReportResult{}, err
	}
	var then []tickets.Event
	self := false
	if w.ID != 0 {
		then = append(then, aev)
		if self = rep.WorkerCode != "" && strings.EqualFold(w.Code, rep.WorkerCode); self {
			sev, err := nt.Transition(tickets.StatusInProgress, rep.By, now)
			if err != nil {
				return ReportResult{}, err
			}
			sev.Note = "reported by the worker handling it"
			then = append(then, sev)
		}
	}
	atts, put, err := s.putPhotos(ctx, rep.Photos, rep.By, now)
	if err != nil {
		return ReportResult{}, err
	}
	if err := s.st.ReportEvent(ctx, &nt, ev, then, atts); err != nil {
		s.dropBlobs(ctx, put)
		return ReportResult{}, err
	}
	s.log.InfoContext(ctx, "event_reported", "ticket_id", nt.ID, "grid", nt.GridCode, "source", nt.Source,
		"category", nt.Category, "attachments", len(atts), "assignee", w.Code, "self", self)
	if w.ID == 0 {
		s.log.WarnContext(ctx, "ticket_unowned", "ticket_id", nt.ID, "grid", nt.GridCode, "why", note)
	}
	res := ReportResult{Ticket: nt, Attachments: atts, Assignee: w}
	if err := s.schedule(ctx, nt); err != nil {
		return res, err
	}
	if w.ID != 0 && !self {
		if err := s.notify(ctx, nt, w, eventReported); err != nil {
			return res, err
		}
	}
	return res, nil
}

// eventReported is the notification of a ticket staff reported.
const eventReported = "上报事件"

// checkReport refuses a report that cannot be stored, in words the
// reporter can act on, and tidies the fields it keeps.
func (s *Service) checkReport(ctx context.Context, rep *Report) error {
	rep.GridCode, rep.Text, rep.By = strings.TrimSpace(rep.GridCode), strings.TrimSpace(rep.Text), strings.TrimSpace(rep.By)
	rep.WorkerCode, rep.Place = strings.TrimSpace(rep.WorkerCode), strings.TrimSpace(rep.Place)
	rep.Location.Address = strings.TrimSpace(rep.Location.Address)
	if rep.Source == "" {
		rep.Source = tickets.SourcePatrol
	}
	lat, lng := rep.Location.Lat, rep.Location.Lng
	switch {
	case rep.By == "":
		return tickets.ErrNoActor
	case rep.GridCode == "":
		return invalid("the grid is required: it decides who handles the event", "请填写事件所在网格")
	case rep.Text == "":
		return invalid("the description is required", "请填写事件描述")
	case utf8.RuneCountInString(rep.Text) > maxReportText:
		return invalid(fmt.Sprintf("the description is over %d characters", maxReportText), fmt.Sprintf("事件描述超过%d字", maxReportText))
	case rep.Source != tickets.SourcePatrol && rep.Source != tickets.SourceHotline:
		return invalid(fmt.Sprintf("source %q: a report comes from patrol or hotline", rep.Source),
			fmt.Sprintf("来源 %q 无效：上报事件的来源须为 patrol（网格巡查）或 hotline（热线来电）", rep.Source))
	case math.IsNaN(lat) || math.IsNaN(lng) || lat < -90 || lat > 90:
		return invalid(fmt.Sprintf("latitude %v: want -90 to 90", lat), fmt.Sprintf("纬度 %v 无效：须在 -90 到 90 之间", lat))
	case lng < -180 || lng > 180:
		return invalid(fmt.Sprintf("longitude %v: want -180 to 180", lng), fmt.Sprintf("经度 %v 无效：须在 -180 到 180 之间", lng))
	case utf8.RuneCountInString(rep.Location.Address) > maxAddress:
		return invalid(fmt.Sprintf("the address is over %d characters", maxAddress), fmt.Sprintf("地址超过%d字", maxAddress))
	case utf8.RuneCountInString(rep.Place) > maxPlace:
		return invalid(fmt.Sprintf("the place is over %d characters", maxPlace), fmt.Sprintf("地点超过%d字", maxPlace))
	case rep.ResidentID < 0 || rep.HouseholdID < 0:
		return invalid("a resident or household id is a positive number", "居民或户的编号须为正整数")
	case len(rep.Photos) > MaxReportPhotos:
		return invalid(fmt.Sprintf("%d photos: at most %d per report", len(rep.Photos), MaxReportPhotos),
			fmt.Sprintf("照片 %d 张，每次上报最多 %d 张", len(rep.Photos), MaxReportPhotos))
	case len(rep.Photos) > 0 && s.media == nil:
		return fault.Refuse(fault.ErrInvalid, "photos cannot be kept: no blob store is configured (blob section); report without photos",
			"未配置文件存储（blob），无法保存照片；请不带照片上报", nil)
	}
	if rep.Category != "" {
		c, err := tickets.ParseCategory(string(rep.Category))
		if err != nil {
			return invalid(fmt.Sprintf("category %q is not one of the ticket categories", rep.Category),
				fmt.Sprintf("类别 %q 不是工单类别", rep.Category))
		}
		rep.Category = c
	}
	if _, err := s.st.Grid(ctx, rep.GridCode); err != nil {
		return err
	}
	if rep.HouseholdID != 0 {
		g, err := s.st.HouseholdGrid(ctx, rep.HouseholdID)
		if err != nil {
			return err
		}
		if g != rep.GridCode {
			return invalid(fmt.Sprintf("household %d is not in grid %s", rep.HouseholdID, rep.GridCode),
				fmt.Sprintf("住户 %d 不属于网格 %s", rep.HouseholdID, rep.GridCode))
		}
	}
	if rep.WorkerCode != "" {
		if _, err := s.st.WorkerByCode(ctx, rep.WorkerCode); errors.Is(err, fault.ErrNotFound) {
			return invalid(fmt.Sprintf("worker code %q: no such worker", rep.WorkerCode), fmt.Sprintf("网格员编号 %q 不存在", rep.WorkerCode))
		} else if err != nil {
			return err
		}
	}
	if rep.ResidentID != 0 {
		r, err := s.st.Resident(ctx, rep.ResidentID)
		if err != nil {
			return err
		}
		if r.GridCode != rep.GridCode {
			return invalid(fmt.Sprintf("resident %d does not live in grid %s", rep.ResidentID, rep.GridCode),
				fmt.Sprintf("居民 %d 不属于网格 %s", rep.ResidentID, rep.GridCode))
		}
	}
	return nil
}

// invalid is a refusal of bad input.
func invalid(en, zh string) error { return fault.Refuse(fault.ErrInvalid, en, zh, nil) }

// putPhotos keeps photos in the blob store and returns their attachments
// and the keys it wrote (to drop if storing the report fails). A photo
// the content rules refuse refuses the report, and what was written for
// it is dropped.
func (s *Service) putPhotos(ctx context.Context, photos []Photo, by string, now time.Time) ([]tickets.Attachment, []string, error) {
	objs, put, err := s.putObjects(ctx, photos)
	if err != nil {
		return nil, nil, err
	}
	atts := make([]tickets.Attachment, 0, len(objs))
	for _, obj := range objs {
		atts = append(atts, attachmentOf(obj, by, now))
	}
	return atts, put, nil
}

// putObjects keeps photos in the blob store and returns the objects and
// the keys it wrote (not those of bytes already kept). A photo the
// content rules refuse is a fault.ErrInvalid naming it, and what was
// written before it is dropped.
func (s *Service) putObjects(ctx context.Context, photos []Photo) ([]blob.Object, []string, error) {
	var objs []blob.Object
	var put []string
	for i, p := range photos {
		obj, err := s.media.Put(ctx, p.Body)
		if err != nil {
			s.dropBlobs(ctx, put)
			if errors.Is(err, blob.ErrRefused) {
				return nil, nil, fault.Refuse(fault.ErrInvalid, fmt.Sprintf("photo %s refused", photoName(p, i)),
					fmt.Sprintf("照片 %s 不符合要求（仅限 JPEG、PNG、WebP 图片或 AMR、MP3 录音，且不超过大小限制）", photoName(p, i)), nil).Because(err, true)
			}
			return nil, nil, fmt.Errorf("desk: keep photo %d: %w", i+1, err)
		}
		if !obj.Duplicate {
			put = append(put, obj.Key)
		}
		objs = append(objs, obj)
	}
	return objs, put, nil
}

// photoName is how a refusal names photo i of an upload: its file name,
// or its place.
func photoName(p Photo, i int) string {
	if p.Name != "" {
		return p.Name
	}
	return fmt.Sprintf("#%d", i+1)
}

// attachmentOf is the attachment of a kept object.
func attachmentOf(obj blob.Object, by string, now time.Time) tickets.Attachment {
	kind := tickets.AttachmentVoice
	if blob.IsImage(obj.ContentType) {
		kind = tickets.AttachmentImage
	}
	return tickets.Attachment{Kind: kind, Key: obj.Key, ThumbnailKey: obj.ThumbnailKey, ContentType: obj.ContentType,
		Size: obj.Size, AddedBy: by, CreatedAt: now}
}

// dropBlobs deletes what a refused or failed report wrote to the blob
// store; a failure is only logged (an orphan blob harms nobody).
func (s *Service) dropBlobs(ctx context.Context, keys []string) {
	for _, k := range keys {
		if err := s.media.Delete(context.WithoutCancel(ctx), k); err != nil && !errors.Is(err, blob.ErrNotFound) {
			s.log.WarnContext(ctx, "blob_drop_failed", "key", k, "err", err)
		}
	}
}

// Attachments lists ticket id's photos and voice.
func (s *Service) Attachments(ctx context.Context, ticketID int64) ([]tickets.Attachment, error) {
	return s.st.Attachments(ctx, ticketID)
}

// Attachment returns attachment id's record (its ticket decides who may
// see it).
func (s *Service) Attachment(ctx context.Context, id int64) (tickets.Attachment, error) {
	return s.st.Attachment(ctx, id)
}

// OpenAttachment returns a's bytes (its thumbnail with thumb), for the
// caller to close, and what the blob store knows of them. A missing
// media, or an image without a thumbnail asked for one, is
// fault.ErrNotFound.
func (s *Service) OpenAttachment(ctx context.Context, a tickets.Attachment, thumb bool) (io.ReadCloser, blob.Info, error) {
	key := a.Key
	if thumb {
		key = a.ThumbnailKey
	}
	if key == "" || s.media == nil {
		return nil, blob.Info{}, fault.NotFound(fault.Attachment, a.ID)
	}
	rc, info, err := s.media.Get(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, blob.Info{}, fmt.Errorf("desk: attachment %d: blob %s: %w", a.ID, key, fault.NotFound(fault.Attachment, a.ID))
	}
	if err != nil {
		return nil, blob.Info{}, fmt.Errorf("desk: attachment %d: %w", a.ID, err)
	}
	return rc, info, nil
}
