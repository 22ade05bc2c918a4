package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/blob/localfs"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

// gridcast tickets report files a patrol finding with its photo: a ticket
// of the grid, its photo in the data directory's blob store, the report in
// the audit log. A bad report stores nothing.
func TestCLITicketsReport(t *testing.T) {
	f := newDeskFixture(t)
	img := image.NewRGBA(image.Rect(0, 0, 20, 20))
	img.Set(3, 3, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(t.TempDir(), "lane.png")
	if err := os.WriteFile(photo, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(bad, []byte("not a photo"), 0o600); err != nil {
		t.Fatal(err)
	}
	grid := f.resident.GridCode
	count := func() int {
		ts, err := f.st.Tickets(t.Context(), store.TicketFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(ts)
	}
	before := count()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--text", "井盖缺失"}, 1, "grid is required"},
		{[]string{"--grid", grid}, 1, "description is required"},
		{[]string{"--grid", grid, "--text", "x", "--source", "resident"}, 2, "want patrol or hotline"},
		{[]string{"--grid", grid, "--text", "x", "--lat", "30"}, 2, "--lat and --lng go together"},
		{[]string{"--grid", grid, "--text", "x", "--lat", "95", "--lng", "111"}, 1, "latitude 95"},
		{[]string{"--grid", "NOPE", "--text", "x"}, 1, "NOPE"},
		{[]string{"--grid", grid, "--text", "x", "--photo", photo, "--photo", bad}, 1, "photo notes.txt refused"},
	} {
		_, errOut, code := gridcast(t, f.dir, append([]string{"tickets", "report"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("report %v: code %d (want %d), stderr %q (want %q)", tc.args, code, tc.code, errOut, tc.want)
		}
	}
	if n := count(); n != before {
		t.Fatalf("tickets = %d after refused reports, want %d", n, before)
	}
	out, errOut, code := gridcast(t, f.dir, "tickets", "report", "--grid", grid, "--text", "3号楼消防通道被杂物堵塞",
		"--address", "3号楼东侧", "--lat", "30.69", "--lng", "111.28", "--photo", photo, "--by", "李强")
	if code != 0 || !strings.Contains(out, "网格巡查") || !strings.Contains(out, "image image/png") {
		t.Fatalf("report: code %d\n%s\n%s", code, out, errOut)
	}
	ts, err := f.st.Tickets(t.Context(), store.TicketFilter{AfterID: f.ticket})
	if err != nil || len(ts) != 1 {
		t.Fatalf("reported tickets = %+v, %v", ts, err)
	}
	tk := ts[0]
	if tk.Source != tickets.SourcePatrol || tk.Reporter != "李强" || tk.Location.Lat != 30.69 || tk.GridCode != grid {
		t.Errorf("reported ticket = %+v", tk)
	}
	atts, err := f.st.Attachments(t.Context(), tk.ID)
	if err != nil || len(atts) != 1 {
		t.Fatalf("attachments = %+v, %v", atts, err)
	}
	bs, err := localfs.New(filepath.Join(f.dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := bs.Get(t.Context(), atts[0].Key)
	if err != nil {
		t.Fatalf("the photo in the blob store: %v", err)
	}
	kept, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(kept, b.Bytes()) {
		t.Errorf("the photo in the blob store: %d bytes, %v; want the %d reported", len(kept), err, b.Len())
	}
	if out, _, _ := gridcast(t, f.dir, "audit", "list", "--action", "ticket.report"); !strings.Contains(out, "李强") {
		t.Errorf("audit list shows no report by 李强:\n%s", out)
	}
}
