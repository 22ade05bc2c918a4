package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

// cliMedia opens the blob store the CLI uses with data directory dir.
func cliMedia(t *testing.T, dir string) *blob.Media {
	t.Helper()
	a := &app{env: envOf(map[string]string{"GRIDCAST_DATA_DIR": dir}), stdout: io.Discard, stderr: io.Discard}
	if err := a.loadConfig(); err != nil {
		t.Fatal(err)
	}
	m, err := a.cfg.openMedia(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// ticketWithMedia opens a ticket for resident at at, closed at closed
// (zero: left open), with a photo (its seed decides its bytes) and a voice
// note, and returns the blob keys kept: original, thumbnail, voice.
func ticketWithMedia(t *testing.T, st *store.Store, media *blob.Media, r population.Resident, seed uint8, at, closed time.Time) []string {
	t.Helper()
	ctx := t.Context()
	img := image.NewRGBA(image.Rect(0, 0, 12, 12))
	img.Set(int(seed%12), 1, color.RGBA{seed, 90, 30, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	photo, err := media.Put(ctx, &buf)
	if err != nil {
		t.Fatal(err)
	}
	voice, err := media.Put(ctx, strings.NewReader("#!AMR\n<voice "+string(rune('a'+seed))+">"))
	if err != nil {
		t.Fatal(err)
	}
	tk := tickets.Ticket{ResidentID: r.ID, GridCode: r.GridCode, Channel: population.ChannelWeChat, Text: "楼道堆满杂物",
		Category: tickets.CategoryEnvironment, Status: tickets.StatusNew, Level: tickets.LevelGridWorker, CreatedAt: at, UpdatedAt: at}
	if err := st.CreateTicket(ctx, &tk, tickets.Event{At: at, Actor: tickets.ActorSystem, Kind: tickets.EventCreated}); err != nil {
		t.Fatal(err)
	}
	for _, o := range []blob.Object{photo, voice} {
		kind := tickets.AttachmentVoice
		if o.ThumbnailKey != "" {
			kind = tickets.AttachmentImage
		}
		if _, _, err := st.AddAttachment(ctx, tickets.Attachment{TicketID: tk.ID, Kind: kind, Key: o.Key, ThumbnailKey: o.ThumbnailKey,
			ContentType: o.ContentType, Size: o.Size, AddedBy: "wangfang", CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	if !closed.IsZero() {
		ev, err := tk.Transition(tickets.StatusClosed, "wangfang", closed)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.ApplyTicketEvent(ctx, tk, ev); err != nil {
			t.Fatal(err)
		}
	}
	return []string{photo.Key, photo.ThumbnailKey, voice.Key}
}

// filesThere fails the test unless every key is (want) or is not in media.
func filesThere(t *testing.T, media *blob.Media, when string, want bool, keys []string) {
	t.Helper()
	for _, k := range keys {
		rc, _, err := media.Get(t.Context(), k)
		if err == nil {
			rc.Close()
		}
		switch {
		case want && err != nil:
			t.Errorf("%s: %s: %v, want the file there", when, k, err)
		case !want && !errors.Is(err, blob.ErrNotFound):
			t.Errorf("%s: %s: %v, want it gone", when, k, err)
		}
	}
}

// `residents erase` deletes the resident's photos and voice from the blob
// store; `retention run` deletes those of tickets closed longer ago than
// retention.inbound, not before, and finishes an erasure whose blob
// deletion did not happen (a crash after the store's step).
func TestCLIMediaRetention(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	if _, e, code := gridcast(t, dir, "seed", "--residents", "10", "--seed", "4", "--quiet"); code != 0 {
		t.Fatalf("seed: %s", e)
	}
	st := cliStore(t, dir)
	media := cliMedia(t, dir)
	rs, err := st.Residents(t.Context(), []int64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	erasedFiles := ticketWithMedia(t, st, media, rs[1], 1, now, time.Time{})
	oldFiles := ticketWithMedia(t, st, media, rs[2], 2, now.AddDate(0, 0, -200), now.AddDate(0, 0, -190))
	crashFiles := ticketWithMedia(t, st, media, rs[3], 3, now.AddDate(0, 0, -1), time.Time{})

	out, e, code := gridcast(t, dir, "residents", "erase", "1", "--by", "王芳", "--reason", "依申请删除 2026-070")
	if code != 0 || !strings.Contains(out, "photos and voice purged 2 (files deleted from the blob store 3)") {
		t.Errorf("erase: exit %d\n%s%s", code, out, e)
	}
	filesThere(t, media, "after the erasure", false, erasedFiles)
	filesThere(t, media, "after another's erasure", true, append(oldFiles, crashFiles...))

	// A crash after the store's step: the resident is erased, their files
	// are still there, queued.
	if _, err := st.EraseResident(t.Context(), 3, "王芳", "依申请删除 2026-071"); err != nil {
		t.Fatal(err)
	}
	filesThere(t, media, "after the store's step", true, crashFiles)

	photos := regexp.MustCompile(`(?m)^closed tickets' photos and voice.*\(180 days\)\s+2$`)
	out, e, code = gridcast(t, dir, "retention", "run", "--dry-run")
	if code != 0 || !photos.MatchString(out) || !strings.Contains(out, "files waiting to be deleted from the blob store: 3") {
		t.Errorf("dry run: exit %d\n%s%s", code, out, e)
	}
	filesThere(t, media, "after the dry run", true, append(oldFiles, crashFiles...))

	out, e, code = gridcast(t, dir, "retention", "run", "--json")
	var rep retentionReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Attachments != 2 || rep.Blobs != 6 || rep.BlobsPending != 0 {
		t.Errorf("run: exit %d, %q %q; want 2 attachments purged, 6 files deleted", code, out, e)
	}
	filesThere(t, media, "after the run", false, append(oldFiles, crashFiles...))
	out, _, _ = gridcast(t, dir, "retention", "run")
	if !strings.Contains(out, "files deleted from the blob store (originals and thumbnails): 0") {
		t.Errorf("second run:\n%s", out)
	}
	if q, err := st.CountQueuedBlobs(t.Context()); err != nil || q != 0 {
		t.Errorf("queued blobs after the run = %d, %v; want none", q, err)
	}
}
