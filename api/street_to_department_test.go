package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/blob/localfs"
	"github.com/gridcast/gridcast/blob/s3"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// The street-to-department story of the field reports, through the API as
// its users act: a grid worker photographs a broken lift on their round and
// reports it for the elderly resident it strands; the grid leader
// dispatches it to the department its category suggests; the department
// accepts and resolves it with feedback; the ticket comes back resolved,
// the worker is told the department's answer and the resident is told the
// outcome. On both drivers, with the photo in a local directory on one and
// in an S3-compatible store on the other.
func TestPhotoReportReachesTheDepartmentAndComesBackResolved(t *testing.T) {
	for _, c := range []struct{ driver, blobs string }{{"sqlite", "localfs"}, {"postgres", "s3"}} {
		t.Run(c.driver+"+"+c.blobs, func(t *testing.T) {
			t.Parallel()
			var bs blob.Store
			switch c.blobs {
			case "localfs":
				l, err := localfs.New(filepath.Join(t.TempDir(), "media"))
				if err != nil {
					t.Fatal(err)
				}
				bs = l
			case "s3":
				srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
				t.Cleanup(srv.Close)
				s, err := s3.New(t.Context(), s3.Config{Endpoint: strings.TrimPrefix(srv.URL, "http://"), Bucket: "gridcast-story",
					Region: "us-east-1", AccessKeyID: "test", SecretAccessKey: "test-secret", Insecure: true, PathStyle: true, CreateBucket: true})
				if err != nil {
					t.Fatal(err)
				}
				bs = s
			}
			testStreetToDepartment(t, newEventsFixture(t, c.driver, bs))
		})
	}
}

func testStreetToDepartment(t *testing.T, f *eventsFixture) {
	ctx := t.Context()
	resident := f.residents[0]
	grid := resident.GridCode
	gridWorker, err := f.st.WorkerForGrid(ctx, grid, population.RoleGridWorker)
	if err != nil {
		t.Fatal(err)
	}
	own := testUser{"网格员小陈", "tok-story-own", []access.Role{access.RoleWorker}, []string{grid}}
	leader := testUser{"网格长老周", "tok-story-leader", []access.Role{access.RoleWorker}, []string{grid[:strings.LastIndex(grid, "-")]}}
	addUsers(t, f.st, own, leader)
	housing := testUser{name: "住建张工", token: "tok-story-housing"}
	if _, err := f.st.CreateUser(ctx, access.User{Name: housing.name, TokenSHA256: housing.user().TokenSHA256,
		Roles: []access.Role{access.RoleDepartment}, Department: "housing"}); err != nil {
		t.Fatal(err)
	}
	url := func(format string, a ...any) string { return f.srv.URL + fmt.Sprintf(format, a...) }

	// 1. The worker's photo report, about the resident the lift strands.
	photo := testPNG(t, 64, 48)
	code, body := postForm(t, own.token, url("/api/v1/events"), map[string]string{
		"grid": grid, "text": "3号楼电梯坏了三天，楼上独居老人下不了楼", "category": "property", "source": "patrol",
		"address": "幸福小区3号楼", "lat": "32.0603", "lng": "118.7969", "resident_id": fmt.Sprint(resident.ID),
		"worker_code": gridWorker.Code,
	}, upload{"photo", "lift.png", "image/png", photo})
	var rep api.EventResult
	if code != 201 || json.Unmarshal([]byte(body), &rep) != nil || len(rep.Attachments) != 1 {
		t.Fatalf("the worker's report: %d %s", code, body)
	}
	tk := rep.Ticket
	if tk.Category != "property" || tk.Source != "patrol" || tk.Reporter != own.name || tk.Status != "in_progress" {
		t.Errorf("the reported ticket: category %s, source %s, reporter %q, status %s; want property, patrol, %q, in_progress (the worker found it in their own grid)",
			tk.Category, tk.Source, tk.Reporter, tk.Status, own.name)
	}
	if code, ctype, got := getBytes(t, leader.token, f.srv.URL+rep.Attachments[0].URL); code != 200 || ctype != "image/png" || !bytes.Equal(got, photo) {
		t.Errorf("the leader opens the photo: %d %s, %d bytes; want the %d uploaded", code, ctype, len(got), len(photo))
	}
	if code, ctype, got := getBytes(t, leader.token, f.srv.URL+rep.Attachments[0].ThumbnailURL); code != 200 || ctype != "image/jpeg" || len(got) == 0 {
		t.Errorf("the photo's thumbnail: %d %s, %d bytes", code, ctype, len(got))
	}

	// 2. The department its category suggests (智能分离到相关部门).
	var depts []struct {
		Code       string
		Categories []struct{ Category string }
	}
	if _, _, b := as(t, leader.token, "GET", url("/api/v1/departments"), ""); json.Unmarshal([]byte(b), &depts) != nil {
		t.Fatalf("GET /api/v1/departments: %s", b)
	}
	suggested := ""
	for _, d := range depts {
		if slices.ContainsFunc(d.Categories, func(c struct{ Category string }) bool { return c.Category == tk.Category }) && suggested == "" {
			suggested = d.Code
		}
	}
	if suggested != "housing" {
		t.Fatalf("the department suggested for %s: %q, want housing (住建/物业)", tk.Category, suggested)
	}

	// 3. The grid leader dispatches it; the worker of the grid may not.
	due := time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)
	dispatch := `{"tasks":[{"department":"` + suggested + `","due_at":"` + due + `","note":"电梯停运，独居老人受困，请尽快维修"}]}`
	if code, _, b := as(t, own.token, "POST", url("/api/v1/tickets/%d/dispatch", tk.ID), dispatch); code != 403 {
		t.Errorf("the grid worker dispatching: %d %s, want 403", code, b)
	}
	code, _, b := as(t, leader.token, "POST", url("/api/v1/tickets/%d/dispatch", tk.ID), dispatch)
	var tasks []api.Task
	if code != 201 || json.Unmarshal([]byte(b), &tasks) != nil || len(tasks) != 1 {
		t.Fatalf("the leader dispatching: %d %s", code, b)
	}

	// 4. The department finds it on its list, accepts and resolves it.
	var mine []api.Task
	if _, _, b := as(t, housing.token, "GET", url("/api/v1/tasks"), ""); json.Unmarshal([]byte(b), &mine) != nil || len(mine) != 1 || mine[0].TicketID != tk.ID {
		t.Fatalf("住建's open tasks: %s", b)
	}
	before, _ := f.rec.dispatched()
	const feedback = "电梯主板已更换，今日恢复运行"
	for _, step := range []string{`{"action":"accept"}`, `{"action":"resolve","note":"` + feedback + `"}`} {
		if code, _, b := as(t, housing.token, "POST", url("/api/v1/tasks/%d/actions", tasks[0].ID), step); code != 200 {
			t.Fatalf("住建 %s: %d %s", step, code, b)
		}
	}

	// 5. The ticket comes back resolved, every step on its timeline.
	var got api.TicketDetail
	if _, _, b := as(t, own.token, "GET", url("/api/v1/tickets/%d", tk.ID), ""); json.Unmarshal([]byte(b), &got) != nil {
		t.Fatalf("GET the ticket: %s", b)
	}
	if got.Ticket.Status != "resolved" {
		t.Errorf("the ticket after the department resolved its only task: %s, want resolved", got.Ticket.Status)
	}
	var kinds []string
	for _, e := range got.Timeline {
		kinds = append(kinds, e.Kind)
	}
	for _, k := range []string{"created", "dispatch", "task", "status"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("the timeline %v lacks %s", kinds, k)
		}
	}

	// 6. The grid worker heard the department's answer, and the resident
	// was told the outcome.
	var toWorker bool
	var told string
	after, _ := f.rec.dispatched()
	for _, id := range after[len(before):] {
		m, err := f.st.Message(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case m.WorkerID == gridWorker.ID && m.Purpose == outbound.PurposeNotify && strings.Contains(m.Text+fmt.Sprint(m.Params), feedback):
			toWorker = true
		case m.ResidentID == resident.ID && m.TicketID == tk.ID && m.Purpose == outbound.PurposeReply:
			told += m.Text // an SMS answer may go in parts
		}
	}
	if want := "您反映的问题已由住建/物业办结：" + feedback; told != want {
		t.Errorf("the resident was told %q, want %q", told, want)
	}
	// The resident reads it in the ticket's conversation too (masked
	// there as on every screen).
	if !slices.ContainsFunc(got.Conversation, func(e api.ConversationEntry) bool {
		return e.Direction == "out" && e.Purpose == string(outbound.PurposeReply) && strings.Contains(e.Text, "住建")
	}) {
		t.Errorf("the conversation does not show the outcome sent to the resident: %+v", got.Conversation)
	}
	if !toWorker {
		t.Errorf("the grid worker was not told the department's feedback")
	}
}
