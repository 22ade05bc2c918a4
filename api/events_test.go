package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/blob/localfs"
	"github.com/gridcast/gridcast/blob/s3"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/tickets"
)

// eventsFixture is the scope fixture served by a desk that keeps photos
// in bs, images up to 64 KiB.
type eventsFixture struct {
	*scopeFixture
	srv *httptest.Server
}

func newEventsFixture(t *testing.T, driver string, bs blob.Store) *eventsFixture {
	t.Helper()
	sf := newScopeFixture(t, driver)
	media, err := blob.NewMedia(bs, blob.Limits{ImageMaxBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	log := testlog.New(t)
	dk, err := desk.New(desk.Config{}, desk.Deps{Store: sf.st, Dispatcher: sf.rec, Log: log, Media: media})
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Segments: sf.st, Tickets: ticketStore{sf.st}, Desk: dk, Users: sf.st, Audit: sf.st, Dispatch: sf.st,
		Ready: func(context.Context) error { return nil }, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	f := &eventsFixture{scopeFixture: sf, srv: httptest.NewServer(h)}
	t.Cleanup(f.srv.Close)
	return f
}

func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.NRGBA{uint8(x * 7), uint8(y * 13), uint8(x * y), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 48, 36))
	for x := range 48 {
		img.Set(x, x%36, color.RGBA{250, 200, 0, 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// upload is one file of a multipart report.
type upload struct {
	field, name, ctype string
	data               []byte
}

// postForm sends a multipart report as token and returns the status and
// body.
func postForm(t *testing.T, token, u string, fields map[string]string, files ...upload) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, f.field, f.name))
		h.Set("Content-Type", f.ctype)
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.data)
	}
	mw.Close()
	req, err := http.NewRequest("POST", u, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// getBytes fetches u as token: status, content type and body.
func getBytes(t *testing.T, token, u string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), b
}

func (f *eventsFixture) countTickets(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.st.DB().QueryRowContext(t.Context(), "SELECT count(*) FROM tickets").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A worker reports a blocked fire lane with two photos: the ticket says
// patrol, who reported it and where, its photos are listed and served to
// users whose scope holds the grid, and the report is audited. Users
// outside the grid's scope can neither report there nor see the photos;
// a viewer cannot report; bad photos are refused with nothing stored.
func TestReportEventAPI(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			bs, err := localfs.New(dir)
			if err != nil {
				t.Fatal(err)
			}
			f := newEventsFixture(t, driver, bs)
			testReportEventAPI(t, f, func() int {
				n := 0
				filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						n++
					}
					return err
				})
				return n
			})
		})
	}
}

func testReportEventAPI(t *testing.T, f *eventsFixture, blobFiles func() int) {
	grid := f.residents[0].GridCode
	worker, outWorker := f.in[access.RoleWorker], f.out[access.RoleWorker]
	p1, p2 := testPNG(t, 30, 20), testJPEG(t)
	fields := map[string]string{"grid": grid, "text": "3号楼东侧消防通道被电动车堵住", "address": "3号楼东侧",
		"lat": "30.6952", "lng": "111.2865", "place": "消防通道"}
	code, body := postForm(t, worker.token, f.srv.URL+"/api/v1/events", fields,
		upload{"photo", "a.png", "image/png", p1}, upload{"photo", "b.jpg", "image/jpeg", p2})
	if code != http.StatusCreated {
		t.Fatalf("POST /api/v1/events: %d %s", code, body)
	}
	var res api.EventResult
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	tk := res.Ticket
	if tk.Source != "patrol" || tk.SourceLabel != "网格巡查" || tk.Reporter != worker.name || tk.Grid != grid ||
		tk.Location == nil || tk.Location.Address != "3号楼东侧" || tk.Location.Lat == nil || *tk.Location.Lat != 30.6952 ||
		tk.Place != "消防通道" || len(res.Attachments) != 2 {
		t.Fatalf("reported ticket = %s", body)
	}
	var list []api.Attachment
	code, _, lbody := as(t, worker.token, "GET", fmt.Sprintf("%s/api/v1/tickets/%d/attachments", f.srv.URL, tk.ID), "")
	if code != 200 || json.Unmarshal([]byte(lbody), &list) != nil || len(list) != 2 {
		t.Fatalf("attachments: %d %s", code, lbody)
	}
	for i, want := range [][]byte{p1, p2} {
		a := list[i]
		code, ctype, got := getBytes(t, worker.token, f.srv.URL+a.URL)
		if code != 200 || !bytes.Equal(got, want) || ctype != a.ContentType {
			t.Errorf("GET %s: %d %s, %d bytes; want the %d uploaded", a.URL, code, ctype, len(got), len(want))
		}
		if code, ctype, th := getBytes(t, worker.token, f.srv.URL+a.ThumbnailURL); code != 200 || ctype != "image/jpeg" || len(th) == 0 {
			t.Errorf("GET %s: %d %s", a.ThumbnailURL, code, ctype)
		}
		// Outside the grid's scope the photo is refused.
		if code, _, _ := getBytes(t, outWorker.token, f.srv.URL+a.URL); code != 403 {
			t.Errorf("GET %s outside the scope: %d, want 403", a.URL, code)
		}
	}
	if code, _, _ := as(t, outWorker.token, "GET", fmt.Sprintf("%s/api/v1/tickets/%d/attachments", f.srv.URL, tk.ID), ""); code != 403 {
		t.Errorf("attachments outside the scope: %d, want 403", code)
	}
	if code, _, _ := getBytes(t, worker.token, f.srv.URL+"/api/v1/attachments/999999"); code != 404 {
		t.Errorf("unknown attachment: %d, want 404", code)
	}
	es, err := f.st.AuditEntries(t.Context(), audit.Filter{Action: string(audit.ActionTicketReport)})
	if err != nil || len(es) != 1 || es[0].Actor != worker.name || es[0].Subject != fmt.Sprintf("ticket:%d", tk.ID) {
		t.Errorf("audit of the report = %+v, %v", es, err)
	}

	// A report as JSON, without photos; the category as staff chose it.
	code, _, body = as(t, f.in[access.RoleOfficer].token, "POST", f.srv.URL+"/api/v1/events",
		`{"grid":"`+grid+`","text":"居民来电：楼上漏水","source":"hotline","category":"environment"}`)
	if code != 201 || !strings.Contains(body, `"source":"hotline"`) || !strings.Contains(body, `"source_label":"热线来电"`) {
		t.Errorf("JSON report: %d %s", code, body)
	}

	tickets, files := f.countTickets(t), blobFiles()
	big := testPNG(t, 400, 400) // over the 64 KiB limit
	for _, c := range []struct {
		name  string
		token string
		files []upload
		code  int
	}{
		{"out of scope", outWorker.token, []upload{{"photo", "a.png", "image/png", p1}}, 403},
		{"viewer", f.in[access.RoleViewer].token, nil, 403},
		{"wrong type", worker.token, []upload{{"photo", "a.png", "image/png", p1}, {"photo", "x.pdf", "application/pdf", []byte("%PDF-1.4 …")}}, 400},
		{"too big", worker.token, []upload{{"photo", "big.png", "image/png", big}}, 400},
		{"other file field", worker.token, []upload{{"file", "a.png", "image/png", p1}}, 400},
	} {
		code, body := postForm(t, c.token, f.srv.URL+"/api/v1/events", fields, c.files...)
		if code != c.code {
			t.Errorf("%s: %d %s, want %d", c.name, code, body, c.code)
		}
		if code == 400 && problem(t, body) == "" {
			t.Errorf("%s: no sentence in %s", c.name, body)
		}
	}
	if len(big) <= 64<<10 {
		t.Fatalf("the big PNG is %d bytes, not over the limit", len(big))
	}
	if n := f.countTickets(t); n != tickets {
		t.Errorf("tickets = %d after refused reports, want %d", n, tickets)
	}
	if n := blobFiles(); n != files {
		t.Errorf("blob files = %d after refused reports, want %d", n, files)
	}
	for _, bad := range []map[string]string{
		{"grid": grid, "text": "x", "lat": "91", "lng": "111"},
		{"grid": grid, "text": "x", "lat": "30"},
		{"grid": grid, "text": ""},
		{"grid": grid, "text": "x", "source": "resident"},
		{"grid": grid, "text": "x", "colour": "red"},
	} {
		if code, body := postForm(t, worker.token, f.srv.URL+"/api/v1/events", bad); code != 400 {
			t.Errorf("report %v: %d %s, want 400", bad, code, body)
		}
	}
}

// The photos of a report reach an S3-compatible store and are served
// back from it.
func TestReportEventS3(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	bs, err := s3.New(t.Context(), s3.Config{Endpoint: strings.TrimPrefix(srv.URL, "http://"), Bucket: "gridcast-events",
		Region: "us-east-1", AccessKeyID: "test", SecretAccessKey: "test-secret", Insecure: true, PathStyle: true, CreateBucket: true})
	if err != nil {
		t.Fatal(err)
	}
	f := newEventsFixture(t, "sqlite", bs)
	worker := f.in[access.RoleWorker]
	p := testJPEG(t)
	code, body := postForm(t, worker.token, f.srv.URL+"/api/v1/events",
		map[string]string{"grid": f.residents[0].GridCode, "text": "路灯杆倾斜"}, upload{"photo", "p.jpg", "image/jpeg", p})
	var res api.EventResult
	if code != 201 || json.Unmarshal([]byte(body), &res) != nil || len(res.Attachments) != 1 {
		t.Fatalf("POST /api/v1/events: %d %s", code, body)
	}
	a := res.Attachments[0]
	if code, ctype, got := getBytes(t, worker.token, f.srv.URL+a.URL); code != 200 || ctype != "image/jpeg" || !bytes.Equal(got, p) {
		t.Errorf("GET %s from S3: %d %s, %d bytes; want the %d uploaded", a.URL, code, ctype, len(got), len(p))
	}
}

// A category the city configured is named by its own label on the
// ticket's screens, not by its identifier.
func TestConfiguredCategoryLabel(t *testing.T) {
	t.Parallel()
	sf := newScopeFixture(t, "sqlite")
	cls := tickets.Classifier{Rules: append(slices.Clone(tickets.DefaultRules),
		tickets.Rule{Category: "pets", Label: "宠物管理", Words: []string{"遛狗"}, Weights: map[string]int{"遛狗": 3}})}
	dk, err := desk.New(desk.Config{Tickets: tickets.Config{Classifier: cls}}, desk.Deps{Store: sf.st, Dispatcher: sf.rec, Log: testlog.New(t)})
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Segments: sf.st, Tickets: ticketStore{sf.st}, Desk: dk, Users: sf.st, Audit: sf.st,
		Ready: func(context.Context) error { return nil }, Log: testlog.New(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	worker := sf.in[access.RoleWorker]
	code, _, body := as(t, worker.token, "POST", srv.URL+"/api/v1/events", `{"grid":"`+sf.residents[0].GridCode+`","text":"小区里遛狗不拴绳"}`)
	var res api.EventResult
	if code != 201 || json.Unmarshal([]byte(body), &res) != nil {
		t.Fatalf("POST /api/v1/events: %d %s", code, body)
	}
	if res.Ticket.Category != "pets" || res.Ticket.CategoryLabel != "宠物管理" {
		t.Errorf("the configured category shows as %s %q, want pets 宠物管理", res.Ticket.Category, res.Ticket.CategoryLabel)
	}
}
