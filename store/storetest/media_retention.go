package storetest

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/blob/localfs"
	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/retention"
	"github.com/gridcast/gridcast/tickets"
)

// Retention and erasure of what tickets carry besides their text: the
// photos and voice (their rows cleared and their blob keys queued for the
// blob store, in one transaction), a reported event's location, and the
// staff's notes on department tasks and 督办 flags.

// closeTicket closes tk at at.
func closeTicket(t *testing.T, st Store, tk tickets.Ticket, at time.Time) {
	t.Helper()
	ev, err := tk.Transition(tickets.StatusClosed, "wang", at)
	apply(t, st, tk, ev, err)
}

// attach keeps a with ticket ticketID and returns it as stored.
func attach(t *testing.T, st Store, ticketID int64, a tickets.Attachment) tickets.Attachment {
	t.Helper()
	a.TicketID = ticketID
	if a.AddedBy == "" {
		a.AddedBy = "wangfang"
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = t0
	}
	got, _, err := st.AddAttachment(t.Context(), a)
	if err != nil {
		t.Fatalf("AddAttachment(%s): %v", a.Key, err)
	}
	return got
}

func attachment(t *testing.T, st Store, id int64) tickets.Attachment {
	t.Helper()
	a, err := st.Attachment(t.Context(), id)
	if err != nil {
		t.Fatalf("Attachment(%d): %v", id, err)
	}
	return a
}

// purged is what a purged attachment keeps of a.
func purged(a tickets.Attachment) tickets.Attachment {
	missing := a.Missing
	if missing == "" {
		missing = retention.AttachmentPurged
	}
	return tickets.Attachment{ID: a.ID, TicketID: a.TicketID, InboundID: a.InboundID, Kind: a.Kind, Missing: missing,
		AddedBy: a.AddedBy, CreatedAt: a.CreatedAt}
}

// staffNotes is what staff wrote on a ticket's tasks, their steps and its
// 督办 flags, in order.
func staffNotes(t *testing.T, st Store, ticketID int64) []string {
	t.Helper()
	ctx := t.Context()
	var out []string
	ts, err := st.TasksOfTicket(ctx, ticketID)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range ts {
		out = append(out, task.Note, task.Feedback, task.Reason)
		evs, err := st.TaskEvents(ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			out = append(out, e.Note)
		}
	}
	svs, err := st.Supervisions(ctx, ticketID)
	if err != nil {
		t.Fatal(err)
	}
	for _, sv := range svs {
		out = append(out, sv.Note, sv.ClearedNote)
	}
	return out
}

// removed is notes as a purge leaves them: what was written reads
// retention.Removed, what was empty stays empty.
func removed(notes []string) []string {
	out := make([]string, len(notes))
	for i, n := range notes {
		if n != "" {
			out[i] = retention.Removed
		}
	}
	return out
}

// dispatchAndFlag gives ticket ticketID a department task that is
// accepted and resolved with feedback, and a 督办 flag lifted with a note.
func dispatchAndFlag(t *testing.T, st Store, ticketID int64, resolve bool) {
	t.Helper()
	ctx := t.Context()
	ts, err := st.DispatchTasks(ctx, []dispatch.Task{{TicketID: ticketID, Department: "fire",
		DueAt: time.Now().Add(48 * time.Hour), Note: "居民张三家门口消防通道被占", DispatchedBy: "街道王芳"}}, dispatch.DefaultDepartments)
	if err != nil {
		t.Fatalf("DispatchTasks: %v", err)
	}
	if resolve {
		for _, m := range []dispatch.Move{{Action: dispatch.ActionAccept, By: "消防赵队"},
			{Action: dispatch.ActionResolve, By: "消防赵队", Note: "已联系张三挪车"}} {
			if _, err := st.MoveTask(ctx, ts[0].ID, m); err != nil {
				t.Fatalf("MoveTask(%s): %v", m.Action, err)
			}
		}
	}
	if _, err := st.Supervise(ctx, tickets.Supervision{TicketID: ticketID, By: "街道王芳", Note: "张三反映多次，三日内办结"}); err != nil {
		t.Fatalf("Supervise: %v", err)
	}
	if resolve {
		if _, err := st.Unsupervise(ctx, ticketID, "街道王芳", "已回访张三"); err != nil {
			t.Fatalf("Unsupervise: %v", err)
		}
	}
}

// queued reads the whole queue of blob keys to delete.
func queued(t *testing.T, st Store) []retention.QueuedBlob {
	t.Helper()
	q, err := st.QueuedBlobs(t.Context(), "", 100)
	if err != nil {
		t.Fatalf("QueuedBlobs: %v", err)
	}
	return q
}

// The sweep lets go of a closed ticket's photos and voice, location and
// staff notes once the ticket has been closed long enough; an open
// ticket's wait for it, and a key another ticket still holds is queued but
// marked in use.
func testPurgeMediaAndNotes(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 2)
	// A patrol report about resident 0 with a photo and a voice note, a
	// department task and a 督办 flag; then closed.
	rep := tickets.Ticket{ResidentID: ids[0], GridCode: "NY-01-01-01", Text: "3号楼消防通道被电动车堵住",
		Category: tickets.CategoryEnvironment, DueAt: t0.Add(24 * time.Hour), CreatedAt: t0, UpdatedAt: t0,
		Source: tickets.SourcePatrol, Reporter: "wangfang", Place: "3号楼消防通道",
		Location: tickets.Location{Address: "幸福小区3号楼东侧张三家", Lat: 30.69, Lng: 111.29}}
	if err := st.ReportEvent(ctx, &rep, tickets.Event{At: t0, Actor: "wangfang", Kind: tickets.EventCreated}, nil, nil); err != nil {
		t.Fatal(err)
	}
	photo := attach(t, st, rep.ID, tickets.Attachment{Kind: tickets.AttachmentImage, Key: "media/aa/aa11.jpg",
		ThumbnailKey: "thumb/aa/aa11.jpg", ContentType: "image/jpeg", Size: 2048, CreatedAt: t0})
	voice := attach(t, st, rep.ID, tickets.Attachment{Kind: tickets.AttachmentVoice, Key: "media/bb/bb22.amr",
		ContentType: "audio/amr", Size: 512, CreatedAt: t0})
	dispatchAndFlag(t, st, rep.ID, true)
	closeTicket(t, st, rep, t0.Add(2*time.Hour))

	// Resident 1's ticket stays open: the same photo (the same bytes, so
	// the same key), a voice of its own, a task.
	openT := newTicket(t, st, ids[1], "NY-01-01-02", time.Minute, time.Time{})
	same := attach(t, st, openT.ID, tickets.Attachment{Kind: tickets.AttachmentImage, Key: "media/aa/aa11.jpg",
		ThumbnailKey: "thumb/aa/aa11.jpg", ContentType: "image/jpeg", Size: 2048, CreatedAt: t0.Add(time.Minute)})
	own := attach(t, st, openT.ID, tickets.Attachment{Kind: tickets.AttachmentVoice, Key: "media/cc/cc33.amr",
		ContentType: "audio/amr", Size: 300, CreatedAt: t0.Add(time.Minute)})
	dispatchAndFlag(t, st, openT.ID, false)

	repNotes, openNotes := staffNotes(t, st, rep.ID), staffNotes(t, st, openT.ID)
	sweep := func(before time.Time, dry bool) retention.Counts {
		t.Helper()
		var c retention.Counts
		sw := retention.Sweep{Before: before, Batch: 1, DryRun: dry}
		for _, p := range []struct {
			name string
			fn   func(context.Context, retention.Sweep) (int64, error)
			into *int64
		}{
			{"PurgeTickets", st.PurgeTickets, &c.Tickets},
			{"PurgeAttachments", st.PurgeAttachments, &c.Attachments},
			{"PurgeTasks", st.PurgeTasks, &c.Tasks},
			{"PurgeSupervisions", st.PurgeSupervisions, &c.Supervisions},
		} {
			n, err := p.fn(ctx, sw)
			if err != nil {
				t.Fatalf("%s(dry run %v): %v", p.name, dry, err)
			}
			*p.into = n
		}
		return c
	}
	unchanged := func(when string) {
		t.Helper()
		for _, a := range []tickets.Attachment{same, own} {
			if d := cmp.Diff(a, attachment(t, st, a.ID)); d != "" {
				t.Errorf("%s: the open ticket's attachment changed (-before +after):\n%s", when, d)
			}
		}
		if d := cmp.Diff(openNotes, staffNotes(t, st, openT.ID)); d != "" {
			t.Errorf("%s: the open ticket's notes changed (-before +after):\n%s", when, d)
		}
	}

	// Before the age: nothing goes. The tasks and flags were made now, the
	// attachments at t0.
	if got := sweep(t0.Add(-time.Hour), false); got != (retention.Counts{}) {
		t.Errorf("sweep before the age = %+v, want nothing", got)
	}
	if got := sweep(time.Now().Add(-time.Hour), false); got != (retention.Counts{Tickets: 1, Attachments: 2}) {
		t.Errorf("sweep before the tasks' age = %+v, want the ticket and its attachments", got)
	}
	cutoff := time.Now().Add(time.Hour)
	want := retention.Counts{Tasks: 1, Supervisions: 1}
	if got := sweep(cutoff, true); got != want {
		t.Errorf("dry run = %+v, want %+v", got, want)
	}
	if d := cmp.Diff(repNotes, staffNotes(t, st, rep.ID)); d != "" {
		t.Errorf("a dry run changed the notes (-before +after):\n%s", d)
	}
	if got := sweep(cutoff, false); got != want {
		t.Errorf("sweep = %+v, want %+v", got, want)
	}
	unchanged("after the sweep")

	// The report keeps what counts; its text, location, media and notes go.
	got := ticket(t, st, rep.ID)
	if got.Text != "" || got.Location != (tickets.Location{}) || got.Place != "" || got.Source != tickets.SourcePatrol ||
		got.Reporter != "wangfang" || got.Status != tickets.StatusClosed || got.Category != rep.Category {
		t.Errorf("reported ticket after the sweep: %+v; want text, address, point and place cleared, the rest kept", got)
	}
	for _, a := range []tickets.Attachment{photo, voice} {
		if d := cmp.Diff(purged(a), attachment(t, st, a.ID)); d != "" {
			t.Errorf("attachment %d after the sweep (-want +got):\n%s", a.ID, d)
		}
	}
	if d := cmp.Diff(removed(repNotes), staffNotes(t, st, rep.ID)); d != "" {
		t.Errorf("reported ticket's notes after the sweep (-want +got):\n%s", d)
	}
	ts, err := st.TasksOfTicket(ctx, rep.ID)
	if err != nil || len(ts) != 1 || ts[0].State != dispatch.StateResolved || ts[0].Department != "fire" {
		t.Errorf("task after the sweep: %+v, %v; want it resolved by fire as before", ts, err)
	}
	wantQ := []retention.QueuedBlob{{Key: "media/aa/aa11.jpg", InUse: true}, {Key: "media/bb/bb22.amr"}, {Key: "thumb/aa/aa11.jpg", InUse: true}}
	if d := cmp.Diff(wantQ, queued(t, st)); d != "" {
		t.Errorf("queued blobs (-want +got):\n%s", d)
	}
	if q, err := st.QueuedBlobs(ctx, "media/bb/bb22.amr", 10); err != nil || len(q) != 1 || q[0].Key != "thumb/aa/aa11.jpg" {
		t.Errorf("QueuedBlobs(after the voice) = %+v, %v; want the thumbnail", q, err)
	}
	if err := st.DequeueBlobs(ctx, []string{"media/bb/bb22.amr", "media/zz/not-queued.jpg"}); err != nil {
		t.Fatal(err)
	}
	if n, err := st.CountQueuedBlobs(ctx); err != nil || n != 2 {
		t.Errorf("CountQueuedBlobs after taking one off = %d, %v; want 2", n, err)
	}

	// Again: nothing left.
	if got := sweep(cutoff, false); got != (retention.Counts{}) {
		t.Errorf("second sweep = %+v, want nothing", got)
	}

	// The open ticket closes: its media and notes go at the next sweep,
	// and the shared photo is no longer in use.
	closeTicket(t, st, openT, t0.Add(3*time.Hour))
	if got, want := sweep(cutoff, false), (retention.Counts{Tickets: 1, Attachments: 2, Tasks: 1, Supervisions: 1}); got != want {
		t.Errorf("sweep after the ticket closed = %+v, want %+v", got, want)
	}
	wantQ = []retention.QueuedBlob{{Key: "media/aa/aa11.jpg"}, {Key: "media/cc/cc33.amr"}, {Key: "thumb/aa/aa11.jpg"}}
	if d := cmp.Diff(wantQ, queued(t, st)); d != "" {
		t.Errorf("queued blobs after the second ticket (-want +got):\n%s", d)
	}
	if d := cmp.Diff(removed(openNotes), staffNotes(t, st, openT.ID)); d != "" {
		t.Errorf("second ticket's notes (-want +got):\n%s", d)
	}
}

// An erasure purges the attachments of the resident's tickets and of
// their messages (those sent from their phone while unknown included),
// and replaces the staff's notes on their tickets; another resident's
// ticket keeps its photo, which is the same bytes as one of theirs.
func testEraseMediaAndNotes(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 2)
	r, other := rs[0], rs[1]
	mine := newTicket(t, st, r.ID, "NY-01-01-01", 0, time.Time{})
	photo := attach(t, st, mine.ID, tickets.Attachment{Kind: tickets.AttachmentImage, Key: "media/aa/aa11.jpg",
		ThumbnailKey: "thumb/aa/aa11.jpg", ContentType: "image/jpeg", Size: 2048})
	dispatchAndFlag(t, st, mine.ID, false)

	// Before they were known, they sent a voice message from their phone.
	unknownT := tickets.Ticket{GridCode: "NY-01-01-01", Channel: population.ChannelWeChat, Text: "[语音]",
		Category: tickets.CategoryEnvironment, CreatedAt: t0, UpdatedAt: t0}
	if err := st.CreateTicket(ctx, &unknownT, tickets.Event{Actor: tickets.ActorSystem, Kind: tickets.EventCreated}); err != nil {
		t.Fatal(err)
	}
	in := record(t, st, tickets.InboundRecord{Channel: population.ChannelSMS, ProviderMsgID: "up-v", FromKey: string(r.Phone),
		Content: "[语音]", ReceivedAt: t0, Intent: tickets.IntentQuestion}, unknownT.ID)
	voice := attach(t, st, unknownT.ID, tickets.Attachment{InboundID: in, Kind: tickets.AttachmentVoice, Key: "media/bb/bb22.amr",
		ContentType: "audio/amr", Size: 512, MediaID: "MEDIA_V", AddedBy: tickets.ActorResident})

	theirs := newTicket(t, st, other.ID, "NY-01-01-02", time.Minute, time.Time{})
	kept := attach(t, st, theirs.ID, tickets.Attachment{Kind: tickets.AttachmentImage, Key: "media/aa/aa11.jpg",
		ThumbnailKey: "thumb/aa/aa11.jpg", ContentType: "image/jpeg", Size: 2048})
	dispatchAndFlag(t, st, theirs.ID, false)
	mineNotes, theirNotes := staffNotes(t, st, mine.ID), staffNotes(t, st, theirs.ID)

	e, err := st.EraseResident(ctx, r.ID, "王芳", "依申请删除 2026-050")
	if err != nil {
		t.Fatalf("EraseResident: %v", err)
	}
	if e.AttachmentsPurged != 2 || e.NotesCleared != 3 || e.BlobsDeleted != 0 || e.BlobsPending != 0 {
		t.Errorf("EraseResident = %+v; want 2 attachments purged, 3 notes (task, its step, flag) cleared, no blob touched", e)
	}
	for _, a := range []tickets.Attachment{photo, voice} {
		if d := cmp.Diff(purged(a), attachment(t, st, a.ID)); d != "" {
			t.Errorf("their attachment %d after the erasure (-want +got):\n%s", a.ID, d)
		}
	}
	if d := cmp.Diff(removed(mineNotes), staffNotes(t, st, mine.ID)); d != "" {
		t.Errorf("their ticket's notes after the erasure (-want +got):\n%s", d)
	}
	if d := cmp.Diff(kept, attachment(t, st, kept.ID)); d != "" {
		t.Errorf("the other resident's attachment changed (-before +after):\n%s", d)
	}
	if d := cmp.Diff(theirNotes, staffNotes(t, st, theirs.ID)); d != "" {
		t.Errorf("the other resident's notes changed (-before +after):\n%s", d)
	}
	wantQ := []retention.QueuedBlob{{Key: "media/aa/aa11.jpg", InUse: true}, {Key: "media/bb/bb22.amr"}, {Key: "thumb/aa/aa11.jpg", InUse: true}}
	if d := cmp.Diff(wantQ, queued(t, st)); d != "" {
		t.Errorf("queued blobs after the erasure (-want +got):\n%s", d)
	}

	// A second erasure changes nothing.
	again, err := st.EraseResident(ctx, r.ID, "李强", "重复申请 2026-051")
	if err != nil || !again.Already || again.AttachmentsPurged != 0 || again.NotesCleared != 0 {
		t.Errorf("second erasure = %+v, %v; want Already and nothing done", again, err)
	}
}

// failingBlobs is a blob store that is down.
type failingBlobs struct{}

func (failingBlobs) Delete(context.Context, string) error {
	return errors.New("blob store unreachable")
}

// sampleImage is a small PNG whose pixels depend on seed, so that two
// seeds give two objects.
func sampleImage(t *testing.T, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{R: seed, G: uint8(i), B: 200, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// With a real blob store (localfs): the files of an erased resident's
// photos and voice are gone after the erasure, those of a closed ticket
// after the sweep and not before its age; an erasure whose blob deletion
// failed (a crash, the blob store down) stands, and the next sweep
// deletes its files.
func testMediaFilesGone(t *testing.T, st Store) {
	ctx := t.Context()
	fs, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	media, err := blob.NewMedia(fs, blob.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	put := func(b []byte) blob.Object {
		t.Helper()
		o, err := media.Put(ctx, bytes.NewReader(b))
		if err != nil {
			t.Fatalf("Media.Put: %v", err)
		}
		return o
	}
	keep := func(tk tickets.Ticket, o blob.Object) []string {
		t.Helper()
		kind := tickets.AttachmentVoice
		if o.ThumbnailKey != "" {
			kind = tickets.AttachmentImage
		}
		attach(t, st, tk.ID, tickets.Attachment{Kind: kind, Key: o.Key, ThumbnailKey: o.ThumbnailKey, ContentType: o.ContentType,
			Size: o.Size, CreatedAt: tk.CreatedAt})
		if o.ThumbnailKey == "" {
			return []string{o.Key}
		}
		return []string{o.Key, o.ThumbnailKey}
	}
	there := func(when string, want bool, keys ...string) {
		t.Helper()
		for _, k := range keys {
			_, err := fs.Stat(ctx, k)
			switch {
			case want && err != nil:
				t.Errorf("%s: %s: %v, want the file there", when, k, err)
			case !want && !errors.Is(err, blob.ErrNotFound):
				t.Errorf("%s: %s: %v, want it gone", when, k, err)
			}
		}
	}

	ids := seedIDs(t, st, 3)
	closed := newTicket(t, st, ids[0], "NY-01-01-01", 0, time.Time{})
	closedFiles := append(keep(closed, put(sampleImage(t, 1))), keep(closed, put([]byte("#!AMR\n<closed ticket voice>")))...)
	closeTicket(t, st, closed, t0.Add(time.Hour))
	erased := newTicket(t, st, ids[1], "NY-01-01-02", time.Minute, time.Time{})
	erasedFiles := append(keep(erased, put(sampleImage(t, 2))), keep(erased, put([]byte("#!AMR\n<erased resident voice>")))...)
	crashed := newTicket(t, st, ids[2], "NY-02-01-01", 2*time.Minute, time.Time{})
	crashedFiles := keep(crashed, put(sampleImage(t, 3)))
	if len(closedFiles) != 3 || len(erasedFiles) != 3 || len(crashedFiles) != 2 {
		t.Fatalf("files kept: %v %v %v; want an original and a thumbnail per photo", closedFiles, erasedFiles, crashedFiles)
	}

	// An erasure deletes the resident's files, and only theirs.
	e, err := retention.Eraser{Store: st, Blobs: media}.EraseResident(ctx, ids[1], "王芳", "依申请删除 2026-060")
	if err != nil || e.AttachmentsPurged != 2 || e.BlobsDeleted != 3 || e.BlobsPending != 0 {
		t.Fatalf("Eraser.EraseResident = %+v, %v; want 2 attachments, 3 files deleted", e, err)
	}
	there("after the erasure", false, erasedFiles...)
	there("after another's erasure", true, append(closedFiles, crashedFiles...)...)

	// Under the age, the closed ticket's files stay.
	rc := retention.Config{Enabled: true, Inbound: retention.DefaultAge}
	n, err := retention.Purge(ctx, st, media, rc, t0.Add(24*time.Hour), false)
	if err != nil || n.Attachments != 0 || n.Blobs != 0 {
		t.Errorf("purge before the age = %+v, %v; want nothing", n, err)
	}
	there("before the age", true, closedFiles...)

	// The blob store is down while a resident is erased: the erasure
	// stands, the files wait in the queue.
	e, err = retention.Eraser{Store: st, Blobs: failingBlobs{}, Log: slog.New(slog.DiscardHandler)}.EraseResident(ctx, ids[2], "王芳", "依申请删除 2026-061")
	if err != nil || e.Already || e.AttachmentsPurged != 1 || e.BlobsDeleted != 0 || e.BlobsPending != 2 {
		t.Fatalf("erasure with the blob store down = %+v, %v; want it done, 2 files pending", e, err)
	}
	if r := mustResident(t, st, ids[2]); r.Phone != "" || r.Name == pii.Name("") {
		t.Errorf("erased resident after the blob store failed: %+v; want the erasure to stand", r)
	}
	there("after the failed deletion", true, crashedFiles...)

	// Past the age: the next sweep deletes the closed ticket's files and
	// finishes the erasure's.
	n, err = retention.Purge(ctx, st, media, rc, t0.Add(rc.Inbound+24*time.Hour), false)
	if err != nil || n.Attachments != 2 || n.Blobs != 5 || n.BlobsPending != 0 {
		t.Errorf("purge past the age = %+v, %v; want 2 attachments purged, 5 files deleted, none pending", n, err)
	}
	there("after the sweep", false, append(closedFiles, crashedFiles...)...)
	if n, err := st.CountQueuedBlobs(ctx); err != nil || n != 0 {
		t.Errorf("CountQueuedBlobs after the sweep = %d, %v; want 0", n, err)
	}
	if n, err = retention.Purge(ctx, st, media, rc, t0.Add(rc.Inbound+24*time.Hour), false); err != nil || n.Attachments != 0 || n.Blobs != 0 {
		t.Errorf("second purge = %+v, %v; want nothing", n, err)
	}
}
