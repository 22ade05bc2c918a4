package desk_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/blob/localfs"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// pngBytes is a small real PNG.
func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		img.Set(x, x%30, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// jpegBytes is a small real JPEG.
func jpegBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		img.Set(x, x%48, color.RGBA{30, 30, 200, 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withMedia gives f's desk a blob store in a temporary directory (and
// fetcher, when not nil) and returns the directory.
func (f *fixture) withMedia(t *testing.T, fetcher desk.MediaFetcher) string {
	t.Helper()
	dir := t.TempDir()
	bs, err := localfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	media, err := blob.NewMedia(bs, blob.Limits{ImageMaxBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	f.desk, err = desk.New(desk.Config{}, desk.Deps{Store: f.st, Dispatcher: f.rec, Now: f.clock, Log: testlog.New(t),
		Media: media, Fetcher: fetcher})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// files lists the files under dir.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) countTickets(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.st.DB().QueryRowContext(t.Context(), "SELECT count(*) FROM tickets").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// readBlob reads an attachment's bytes (or its thumbnail's) through the
// desk.
func readBlob(t *testing.T, d *desk.Service, a tickets.Attachment, thumb bool) ([]byte, blob.Info) {
	t.Helper()
	rc, info, err := d.OpenAttachment(t.Context(), a, thumb)
	if err != nil {
		t.Fatalf("OpenAttachment(%d, thumb %v): %v", a.ID, thumb, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b, info
}

// A worker reports a blocked fire lane found on patrol in someone else's
// grid, with two photos: the ticket says where it came from and who
// reported it, goes to the grid's worker (who is notified), and its
// photos are in the blob store with thumbnails.
func TestReportPatrol(t *testing.T) {
	f := newFixture(t)
	dir := f.withMedia(t, nil)
	ctx := t.Context()
	grid := f.res[0].GridCode
	p1, p2 := pngBytes(t), jpegBytes(t)
	res, err := f.desk.Report(ctx, desk.Report{GridCode: grid, Text: "3号楼东侧消防通道被电动车堵住", By: "李强",
		Location: tickets.Location{Address: "幸福小区3号楼东侧", Lat: 30.6952, Lng: 111.2865}, Place: "3号楼消防通道",
		ResidentID: f.res[0].ID,
		Photos:     []desk.Photo{{Name: "a.png", Body: bytes.NewReader(p1)}, {Name: "b.jpg", Body: bytes.NewReader(p2)}}})
	if err != nil {
		t.Fatalf("Report: %v", err)
	}
	tk, err := f.st.Ticket(ctx, res.Ticket.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Like any ticket, its category decides the level that owns it.
	gw, err := f.st.WorkerForGrid(ctx, grid, tk.Level.Role())
	if err != nil {
		t.Fatal(err)
	}
	if tk.Source != tickets.SourcePatrol || tk.Reporter != "李强" || tk.Status != tickets.StatusAssigned ||
		tk.AssigneeWorkerID != gw.ID || tk.Location.Lat != 30.6952 || tk.Place != "3号楼消防通道" || tk.ResidentID != f.res[0].ID ||
		tk.DueAt.IsZero() || tk.Channel != "" {
		t.Errorf("reported ticket = %+v; want patrol by 李强, assigned to %s with a deadline", tk, gw.Code)
	}
	evs := f.events(t, tk.ID)
	if evs[0].Kind != tickets.EventCreated || evs[0].Actor != "李强" || !strings.Contains(evs[0].Note, "source: patrol (网格巡查)") ||
		!strings.Contains(evs[0].Note, "reporter: 李强") {
		t.Errorf("created event = %+v; want the reporter as actor and the source noted", evs[0])
	}
	notified := false
	for _, m := range f.queued(t) {
		if m.WorkerID == gw.ID && m.TicketID == tk.ID {
			notified = true
		}
	}
	if !notified {
		t.Errorf("grid worker %s not notified of the report", gw.Code)
	}
	atts, err := f.desk.Attachments(ctx, tk.ID)
	if err != nil || len(atts) != 2 {
		t.Fatalf("Attachments = %+v, %v; want 2", atts, err)
	}
	for i, want := range [][]byte{p1, p2} {
		a := atts[i]
		if a.Kind != tickets.AttachmentImage || a.AddedBy != "李强" || a.InboundID != 0 || a.ThumbnailKey == "" {
			t.Errorf("attachment %d = %+v", i, a)
		}
		got, info := readBlob(t, f.desk, a, false)
		if !bytes.Equal(got, want) || info.ContentType != a.ContentType {
			t.Errorf("attachment %d: %d bytes of %s; want the %d uploaded", i, len(got), info.ContentType, len(want))
		}
		if th, info := readBlob(t, f.desk, a, true); len(th) == 0 || info.ContentType != blob.TypeJPEG {
			t.Errorf("thumbnail %d: %d bytes of %s", i, len(th), info.ContentType)
		}
	}
	if n := len(files(t, dir)); n == 0 {
		t.Error("no blob files written")
	}
}

// The grid's own worker reporting what they found: it is theirs and in
// progress at once, and nobody is notified. A hotline call keeps the
// category staff chose.
func TestReportOwnPatrolAndHotline(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	grid := f.res[0].GridCode
	gw, err := f.st.WorkerForGrid(ctx, grid, population.RoleGridWorker)
	if err != nil {
		t.Fatal(err)
	}
	before := len(f.queued(t))
	res, err := f.desk.Report(ctx, desk.Report{GridCode: grid, Text: "2单元电梯停运，有老人被困", By: "网格员", WorkerCode: gw.Code})
	if err != nil {
		t.Fatal(err)
	}
	if res.Ticket.Status != tickets.StatusInProgress || res.Ticket.AssigneeWorkerID != gw.ID || res.Assignee.ID != gw.ID {
		t.Errorf("own patrol = %s, worker %d; want in progress with %d", res.Ticket.Status, res.Ticket.AssigneeWorkerID, gw.ID)
	}
	if n := len(f.queued(t)); n != before {
		t.Errorf("%d notifications for the worker's own report, want none", n-before)
	}
	var household int64
	if err := f.st.DB().QueryRowContext(ctx, "SELECT id FROM households WHERE grid_code = ? ORDER BY id LIMIT 1", grid).Scan(&household); err != nil {
		t.Fatal(err)
	}
	hot, err := f.desk.Report(ctx, desk.Report{GridCode: grid, Text: "居民来电：楼上漏水", By: "热线坐席",
		Source: tickets.SourceHotline, Category: tickets.CategoryEnvironment, HouseholdID: household})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.st.Ticket(ctx, hot.Ticket.ID)
	if err != nil || got.Source != tickets.SourceHotline || got.Category != tickets.CategoryEnvironment ||
		got.Status != tickets.StatusAssigned || got.HouseholdID != household {
		t.Errorf("hotline report = %+v, %v", got, err)
	}
}

// Bad reports are refused with a sentence saying what to fix, and nothing
// is stored: no ticket, no blob.
func TestReportRefused(t *testing.T) {
	f := newFixture(t)
	dir := f.withMedia(t, nil)
	ctx := t.Context()
	grid := f.res[0].GridCode
	gs, err := f.st.Grids(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var otherGrid string
	for _, g := range gs {
		if g.Level == population.LevelGrid && g.Code != grid {
			otherGrid = g.Code
		}
	}
	var household int64
	if err := f.st.DB().QueryRowContext(ctx, "SELECT id FROM households WHERE grid_code = ? ORDER BY id LIMIT 1", grid).Scan(&household); err != nil {
		t.Fatal(err)
	}
	ok := desk.Report{GridCode: grid, Text: "井盖缺失", By: "李强"}
	photo := func(b []byte) []desk.Photo { return []desk.Photo{{Name: "x", Body: bytes.NewReader(b)}} }
	big := append(pngBytes(t), bytes.Repeat([]byte{0}, 70<<10)...)
	cases := []struct {
		name string
		mod  func(r *desk.Report)
		kind error
	}{
		{"no reporter", func(r *desk.Report) { r.By = " " }, fault.ErrInvalid},
		{"no grid", func(r *desk.Report) { r.GridCode = "" }, fault.ErrInvalid},
		{"unknown grid", func(r *desk.Report) { r.GridCode = "XX-99" }, fault.ErrNotFound},
		{"no text", func(r *desk.Report) { r.Text = "  " }, fault.ErrInvalid},
		{"resident source", func(r *desk.Report) { r.Source = tickets.SourceResident }, fault.ErrInvalid},
		{"latitude", func(r *desk.Report) { r.Location.Lat, r.Location.Lng = 95, 111 }, fault.ErrInvalid},
		{"longitude", func(r *desk.Report) { r.Location.Lat, r.Location.Lng = 30, 181 }, fault.ErrInvalid},
		{"category", func(r *desk.Report) { r.Category = "weather" }, fault.ErrInvalid},
		{"resident of another grid", func(r *desk.Report) { r.GridCode, r.ResidentID = otherGrid, f.res[0].ID }, fault.ErrInvalid},
		{"unknown resident", func(r *desk.Report) { r.ResidentID = 9999999 }, fault.ErrNotFound},
		{"unknown household", func(r *desk.Report) { r.HouseholdID = 9999999 }, fault.ErrNotFound},
		{"unknown worker code", func(r *desk.Report) { r.WorkerCode = "W-NOBODY" }, fault.ErrInvalid},
		{"household of another grid", func(r *desk.Report) { r.GridCode, r.HouseholdID = otherGrid, household }, fault.ErrInvalid},
		{"not an image", func(r *desk.Report) { r.Photos = photo([]byte("%PDF-1.4 not a photo")) }, fault.ErrInvalid},
		{"too big", func(r *desk.Report) { r.Photos = photo(big) }, fault.ErrInvalid},
		{"second photo bad", func(r *desk.Report) {
			r.Photos = append(photo(pngBytes(t)), desk.Photo{Name: "y", Body: strings.NewReader("GIF89a")})
		}, fault.ErrInvalid},
		{"too many", func(r *desk.Report) {
			for range desk.MaxReportPhotos + 1 {
				r.Photos = append(r.Photos, photo(pngBytes(t))...)
			}
		}, fault.ErrInvalid},
	}
	before := f.countTickets(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ok
			c.mod(&r)
			_, err := f.desk.Report(ctx, r)
			if !errors.Is(err, c.kind) {
				t.Fatalf("Report = %v, want %v", err, c.kind)
			}
			if msg, refusal := fault.Explain(err, fault.Chinese); !refusal || msg == "" {
				t.Errorf("refusal says %q (refusal %v)", msg, refusal)
			}
		})
	}
	if n := f.countTickets(t); n != before {
		t.Errorf("tickets = %d after refused reports, want %d", n, before)
	}
	if fs := files(t, dir); len(fs) != 0 {
		t.Errorf("blob files after refused reports: %v", fs)
	}
}

// Without a blob store a text report works and one with photos is
// refused, saying why.
func TestReportWithoutBlobStore(t *testing.T) {
	f := newFixture(t)
	grid := f.res[0].GridCode
	_, err := f.desk.Report(t.Context(), desk.Report{GridCode: grid, Text: "路灯不亮", By: "李强",
		Photos: []desk.Photo{{Name: "a.png", Body: bytes.NewReader(pngBytes(t))}}})
	if msg, _ := fault.Explain(err, fault.English); !errors.Is(err, fault.ErrInvalid) || !strings.Contains(msg, "blob") {
		t.Errorf("photo without a blob store = %v (%q); want a refusal naming the blob store", err, msg)
	}
	if _, err := f.desk.Report(t.Context(), desk.Report{GridCode: grid, Text: "路灯不亮", By: "李强"}); err != nil {
		t.Errorf("text report without a blob store: %v", err)
	}
}

// fetcher serves media by id, or fails.
type fetcher struct {
	media map[string][]byte
	err   error
}

func (f fetcher) FetchMedia(_ context.Context, id string) (io.ReadCloser, string, error) {
	if f.err != nil {
		return nil, "", f.err
	}
	b, ok := f.media[id]
	if !ok {
		return nil, "", errors.New("wechat: errcode 40007")
	}
	return io.NopCloser(bytes.NewReader(b)), "image/jpeg", nil
}

// A resident's WeChat image is kept with the ticket it opened, linked to
// their message, once however often the message is delivered; one whose
// media cannot be fetched still reaches the ticket and is recorded as
// missing.
func TestInboundMediaKept(t *testing.T) {
	f := newFixture(t)
	img := jpegBytes(t)
	f.withMedia(t, fetcher{media: map[string][]byte{"M1": img}})
	var r population.Resident
	for _, x := range f.res {
		if x.OpenID != "" {
			r = x
			break
		}
	}
	ctx := t.Context()
	msg := desk.Message{Channel: population.ChannelWeChat, ProviderMsgID: "i1", From: string(r.OpenID), Kind: desk.KindImage,
		Text: "[图片] M1", MediaID: "M1"}
	out, err := f.desk.Handle(ctx, msg)
	if err != nil || out.TicketID == 0 {
		t.Fatalf("Handle = %+v, %v", out, err)
	}
	if _, err := f.desk.Handle(ctx, msg); err != nil {
		t.Fatal(err)
	}
	lost := msg
	lost.ProviderMsgID, lost.MediaID, lost.Kind = "v2", "EXPIRED", desk.KindVoice
	if out2, err := f.desk.Handle(ctx, lost); err != nil || out2.TicketID != out.TicketID {
		t.Fatalf("voice with lost media = %+v, %v; want it on ticket %d", out2, err, out.TicketID)
	}
	atts, err := f.desk.Attachments(ctx, out.TicketID)
	if err != nil || len(atts) != 2 {
		t.Fatalf("Attachments = %+v, %v; want the image and the missing voice", atts, err)
	}
	if a := atts[0]; a.InboundID != out.InboundID || a.AddedBy != tickets.ActorResident || a.MediaID != "M1" || a.Missing != "" {
		t.Errorf("image attachment = %+v", a)
	}
	if got, _ := readBlob(t, f.desk, atts[0], false); !bytes.Equal(got, img) {
		t.Errorf("kept %d bytes, want the %d the provider served", len(got), len(img))
	}
	if a := atts[1]; a.Key != "" || a.Missing == "" || a.Kind != tickets.AttachmentVoice || a.MediaID != "EXPIRED" {
		t.Errorf("voice attachment = %+v; want it recorded as missing", a)
	}
	if _, _, err := f.desk.OpenAttachment(ctx, atts[1], false); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("opening a missing media = %v, want ErrNotFound", err)
	}
	if n := f.desk.MediaMissing(); n != 1 {
		t.Errorf("MediaMissing = %d, want 1", n)
	}
}

// A resident's media WeChat failed to hand over is fetched again by the
// sweep while WeChat keeps it (three days): the image kept at last, a
// file the rules refuse marked so for good and never tried again, and
// nothing tried once the three days are over.
func TestRefetchMedia(t *testing.T) {
	f := newFixture(t)
	served := map[string][]byte{}
	f.withMedia(t, fetcher{media: served})
	var r population.Resident
	for _, x := range f.res {
		if x.OpenID != "" {
			r = x
			break
		}
	}
	ctx := t.Context()
	say := func(id, media string) int64 {
		t.Helper()
		out, err := f.desk.Handle(ctx, desk.Message{Channel: population.ChannelWeChat, ProviderMsgID: id, From: string(r.OpenID),
			Kind: desk.KindImage, Text: "[图片]", MediaID: media})
		if err != nil || out.TicketID == 0 {
			t.Fatalf("Handle = %+v, %v", out, err)
		}
		return out.TicketID
	}
	tk := say("r1", "LATE")
	say("r2", "BAD")
	say("r3", "GONE")
	img := jpegBytes(t)
	served["LATE"], served["BAD"] = img, []byte("%PDF-1.4 not a photo")
	if n, err := f.desk.RefetchMedia(ctx); err != nil || n != 1 {
		t.Fatalf("RefetchMedia = %d, %v; want the late image kept", n, err)
	}
	atts, err := f.desk.Attachments(ctx, tk)
	if err != nil || len(atts) != 3 {
		t.Fatalf("Attachments = %+v, %v", atts, err)
	}
	byMedia := map[string]tickets.Attachment{}
	for _, a := range atts {
		byMedia[a.MediaID] = a
	}
	if got, _ := readBlob(t, f.desk, byMedia["LATE"], false); !bytes.Equal(got, img) || byMedia["LATE"].Missing != "" {
		t.Errorf("the late image: %+v, %d bytes; want kept whole", byMedia["LATE"], len(got))
	}
	if a := byMedia["BAD"]; a.Key != "" || a.Missing != "content refused" {
		t.Errorf("the refused file: %+v; want marked refused", a)
	}
	if a := byMedia["GONE"]; a.Missing != "fetch failed" {
		t.Errorf("the one still missing: %+v", a)
	}
	served["GONE"] = img
	f.now.Add(int64(73 * time.Hour))
	if n, err := f.desk.RefetchMedia(ctx); err != nil || n != 0 {
		t.Errorf("RefetchMedia after three days = %d, %v; want nothing tried", n, err)
	}
}
