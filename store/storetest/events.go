package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// Reported events and the photos and voice kept with tickets.

// eventTests are the reported events' store tests.
var eventTests = []struct {
	name string
	fn   func(t *testing.T, st Store)
}{
	{"ReportEvent", testReportEvent},
	{"ReportEventAllOrNothing", testReportEventAllOrNothing},
	{"InboundAttachment", testInboundAttachment},
}

func testReportEvent(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	w := seedWorker(t, st, "W001")
	tk := tickets.Ticket{ResidentID: ids[0], GridCode: "NY-01-01-01", Text: "3号楼消防通道被电动车堵住",
		Category: tickets.CategoryEnvironment, DueAt: t0.Add(24 * time.Hour), CreatedAt: t0, UpdatedAt: t0,
		Source: tickets.SourcePatrol, Reporter: "wangfang", Place: "3号楼消防通道",
		Location: tickets.Location{Address: "幸福小区3号楼东侧", Lat: 30.69, Lng: 111.29}}
	created := tickets.Event{At: t0, Actor: "wangfang", Kind: tickets.EventCreated, To: string(tk.Category), Note: "source: patrol"}
	assigned, err := tk.Assign(w, tickets.LevelGridWorker, tickets.ActorSystem, t0)
	if err != nil {
		t.Fatal(err)
	}
	started, err := tk.Transition(tickets.StatusInProgress, "wangfang", t0)
	if err != nil {
		t.Fatal(err)
	}
	atts := []tickets.Attachment{
		{Kind: tickets.AttachmentImage, Key: "media/ab/ab12.jpg", ThumbnailKey: "thumb/ab/ab12.jpg", ContentType: "image/jpeg", Size: 2048, AddedBy: "wangfang"},
		{Kind: tickets.AttachmentVoice, Key: "media/cd/cd34.amr", ContentType: "audio/amr", Size: 512, AddedBy: "wangfang"},
	}
	if err := st.ReportEvent(ctx, &tk, created, []tickets.Event{assigned, started}, atts); err != nil {
		t.Fatalf("ReportEvent: %v", err)
	}
	if tk.ID == 0 || atts[0].ID == 0 || atts[1].ID == 0 || atts[0].TicketID != tk.ID {
		t.Fatalf("ReportEvent set ticket %d, attachments %+v", tk.ID, atts)
	}
	got, err := st.Ticket(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(tk, got); d != "" {
		t.Errorf("Ticket (-want +got):\n%s", d)
	}
	if got.Status != tickets.StatusInProgress || got.Source != tickets.SourcePatrol || !got.Location.HasPoint() {
		t.Errorf("reported ticket = %s from %s at %+v; want in progress, patrol, with its point", got.Status, got.Source, got.Location)
	}
	list, err := st.Attachments(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range atts {
		atts[i].CreatedAt = t0
	}
	if d := cmp.Diff(atts, list); d != "" {
		t.Errorf("Attachments (-want +got):\n%s", d)
	}
	one, err := st.Attachment(ctx, atts[1].ID)
	if err != nil || one.Key != atts[1].Key {
		t.Errorf("Attachment(%d) = %+v, %v", atts[1].ID, one, err)
	}
	if _, err := st.Attachment(ctx, 99999); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("Attachment(unknown) = %v, want ErrNotFound", err)
	}
	evs, err := st.TicketEvents(ctx, tk.ID)
	if err != nil || len(evs) != 3 || evs[0].Actor != "wangfang" || evs[2].To != string(tickets.StatusInProgress) {
		t.Errorf("TicketEvents = %+v, %v; want created by the reporter, assigned, started", evs, err)
	}
	var hh int64
	var hhGrid string
	if err := st.DB().QueryRowContext(ctx, "SELECT id, grid_code FROM households ORDER BY id LIMIT 1").Scan(&hh, &hhGrid); err != nil {
		t.Fatal(err)
	}
	if g, err := st.HouseholdGrid(ctx, hh); err != nil || g != hhGrid {
		t.Errorf("HouseholdGrid(%d) = %q, %v; want %q", hh, g, err, hhGrid)
	}
	if _, err := st.HouseholdGrid(ctx, 999999); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("HouseholdGrid(unknown) = %v, want ErrNotFound", err)
	}
	// Erasing the resident concerned clears the description and the
	// location — the address, the point and the place (which may all
	// point at their home) — and purges the photos and voice.
	if _, err := st.EraseResident(ctx, ids[0], "王芳", "依申请删除 2026-040"); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Ticket(ctx, tk.ID); err != nil || got.Text != "" || got.Location != (tickets.Location{}) || got.Place != "" ||
		got.Source != tickets.SourcePatrol {
		t.Errorf("reported ticket after erasing its resident = %+v, %v; want text, address, point and place cleared", got, err)
	}
	if list, err := st.Attachments(ctx, tk.ID); err != nil || len(list) != 2 || list[0].Key != "" || list[0].ThumbnailKey != "" ||
		list[1].Key != "" || list[0].Kind != tickets.AttachmentImage {
		t.Errorf("reported ticket's attachments after erasing its resident = %+v, %v; want them kept without their keys", list, err)
	}
	// A ticket without a point reads back without one; a resident's reply
	// reads back as from a resident.
	plain := newTicket(t, st, ids[0], "NY-01-01-01", time.Minute, t0.Add(time.Hour))
	if got, err := st.Ticket(ctx, plain.ID); err != nil || got.Source != tickets.SourceResident || got.Location.HasPoint() || got.Reporter != "" {
		t.Errorf("resident's ticket = %+v, %v; want source resident, no location", got, err)
	}
}

func testReportEventAllOrNothing(t *testing.T, st Store) {
	ctx := t.Context()
	seedIDs(t, st, 1)
	count := func() (n int) {
		if err := st.DB().QueryRowContext(ctx, "SELECT count(*) FROM tickets").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	for name, c := range map[string]struct {
		tk   tickets.Ticket
		atts []tickets.Attachment
	}{
		"bad kind": {tickets.Ticket{GridCode: "NY-01-01-01", Text: "x", Category: tickets.CategoryOther, Source: tickets.SourceHotline, Reporter: "li"},
			[]tickets.Attachment{{Kind: "video", Key: "media/x.jpg", AddedBy: "li"}}},
		"no key": {tickets.Ticket{GridCode: "NY-01-01-01", Text: "x", Category: tickets.CategoryOther, Source: tickets.SourceHotline, Reporter: "li"},
			[]tickets.Attachment{{Kind: tickets.AttachmentImage, AddedBy: "li"}}},
		"bad latitude": {tickets.Ticket{GridCode: "NY-01-01-01", Text: "x", Category: tickets.CategoryOther, Source: tickets.SourcePatrol, Reporter: "li",
			Location: tickets.Location{Lat: 91, Lng: 111}}, nil},
		"unknown household": {tickets.Ticket{GridCode: "NY-01-01-01", Text: "x", Category: tickets.CategoryOther, Source: tickets.SourcePatrol, Reporter: "li",
			HouseholdID: 424242}, []tickets.Attachment{{Kind: tickets.AttachmentImage, Key: "media/x.jpg", AddedBy: "li"}}},
	} {
		tk := c.tk
		if err := st.ReportEvent(ctx, &tk, tickets.Event{Actor: "li", Kind: tickets.EventCreated}, nil, c.atts); err == nil {
			t.Errorf("%s: ReportEvent accepted", name)
		}
	}
	if n := count(); n != before {
		t.Errorf("tickets after refused reports = %d, want %d", n, before)
	}
}

func testInboundAttachment(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	tk := newTicket(t, st, ids[0], "NY-01-01-01", 0, t0.Add(time.Hour))
	inID, _, err := st.RecordInbound(ctx, tickets.InboundRecord{Channel: population.ChannelWeChat, ProviderMsgID: "7002",
		FromKey: "oOpenID0001", ResidentID: ids[0], Content: "[图片] MEDIA1", ReceivedAt: t0, Intent: tickets.IntentQuestion})
	if err != nil {
		t.Fatal(err)
	}
	a := tickets.Attachment{TicketID: tk.ID, InboundID: inID, Kind: tickets.AttachmentImage, Key: "media/ef/ef56.png",
		ThumbnailKey: "thumb/ef/ef56.jpg", ContentType: "image/png", Size: 99, MediaID: "MEDIA1", AddedBy: tickets.ActorResident, CreatedAt: t0}
	got, first, err := st.AddAttachment(ctx, a)
	if err != nil || !first || got.ID == 0 {
		t.Fatalf("AddAttachment = %+v, %v, %v; want stored, first", got, first, err)
	}
	// The retried handling of the same message adds none.
	again := a
	again.Key, again.Missing = "", "fetch failed"
	dup, first, err := st.AddAttachment(ctx, again)
	if err != nil || first || dup.ID != got.ID || dup.Key != a.Key {
		t.Errorf("AddAttachment(same message) = %+v, %v, %v; want the first, not first", dup, first, err)
	}
	// A media that could not be fetched is recorded as missing.
	in2, _, err := st.RecordInbound(ctx, tickets.InboundRecord{Channel: population.ChannelWeChat, ProviderMsgID: "7003",
		FromKey: "oOpenID0001", ResidentID: ids[0], Content: "[语音]", ReceivedAt: t0, Intent: tickets.IntentQuestion})
	if err != nil {
		t.Fatal(err)
	}
	miss, first, err := st.AddAttachment(ctx, tickets.Attachment{TicketID: tk.ID, InboundID: in2, Kind: tickets.AttachmentVoice,
		MediaID: "MEDIA2", Missing: "fetch failed", AddedBy: tickets.ActorResident})
	if err != nil || !first || miss.Key != "" || miss.Missing == "" {
		t.Errorf("AddAttachment(missing) = %+v, %v, %v", miss, first, err)
	}
	list, err := st.Attachments(ctx, tk.ID)
	if err != nil || len(list) != 2 || list[0].InboundID != inID || list[1].Missing != "fetch failed" {
		t.Errorf("Attachments = %+v, %v; want the image and the missing voice", list, err)
	}
	if _, _, err := st.AddAttachment(ctx, tickets.Attachment{TicketID: 999999, Kind: tickets.AttachmentImage, Key: "media/x.jpg",
		AddedBy: "li"}); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("AddAttachment(unknown ticket) = %v, want ErrNotFound", err)
	}
	// The missing voice is offered for another fetch while the provider
	// keeps it, and completed once; a second completion of what it was
	// changes nothing.
	if ms, err := st.MissingMedia(ctx, miss.CreatedAt.Add(-time.Hour), 10); err != nil || len(ms) != 1 || ms[0].ID != miss.ID {
		t.Fatalf("MissingMedia = %+v, %v; want the missing voice", ms, err)
	}
	if ms, err := st.MissingMedia(ctx, miss.CreatedAt.Add(time.Hour), 10); err != nil || len(ms) != 0 {
		t.Errorf("MissingMedia past its keeping = %+v, %v; want none", ms, err)
	}
	done := tickets.Attachment{Key: "media/aa/aa11.amr", ContentType: "audio/amr", Size: 1200}
	if ok, err := st.FillAttachment(ctx, miss, done); err != nil || !ok {
		t.Fatalf("FillAttachment = %v, %v", ok, err)
	}
	if ok, err := st.FillAttachment(ctx, miss, tickets.Attachment{Missing: "content refused"}); err != nil || ok {
		t.Errorf("FillAttachment of what it no longer is = %v, %v; want nothing changed", ok, err)
	}
	if back, err := st.Attachment(ctx, miss.ID); err != nil || back.Key != done.Key || back.Missing != "" || back.Size != 1200 {
		t.Errorf("the completed voice = %+v, %v", back, err)
	}
	if ms, err := st.MissingMedia(ctx, miss.CreatedAt.Add(-time.Hour), 10); err != nil || len(ms) != 0 {
		t.Errorf("MissingMedia after completion = %+v, %v; want none", ms, err)
	}
}
