package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/blob/localfs"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/retention"
	"github.com/gridcast/gridcast/tickets"
)

// scopeFixture is the desk fixture with a second street: street NY-01
// holds tickets a and a2 and the campaign, street NY-02 ticket b. For each
// role there is a user whose scope is NY-01 ("in", the records' street) and
// one whose scope is NY-02 ("out").
type scopeFixture struct {
	*deskFixture
	srv              *httptest.Server
	a, a2, b         int64 // ticket ids
	campaign         int64
	in, out          map[access.Role]testUser
	city             testUser // an administrator of the whole city
	inWorkerCode     string
	outsideWorkerRef string
	// media is the blob store the erase route deletes photos and voice
	// from (localfs in a temporary directory).
	media *blob.Media
}

func newScopeFixture(t *testing.T, driver string) *scopeFixture {
	t.Helper()
	f := &scopeFixture{deskFixture: newDeskFixtureOn(t, driver), in: map[access.Role]testUser{}, out: map[access.Role]testUser{}}
	ctx := t.Context()
	if err := f.st.UpsertGrids(ctx, []population.Grid{
		{Code: "NY-02", Name: "西街道", Level: population.LevelStreet, ParentCode: "NY"},
		{Code: "NY-02-01", Name: "柳岸社区", Level: population.LevelCommunity, ParentCode: "NY-02"},
		{Code: "NY-02-01-01", Name: "柳岸第一网格", Level: population.LevelGrid, ParentCode: "NY-02-01"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.UpsertWorkers(ctx, []population.Worker{{Code: "W-NY-02-01-01", Name: "周杰", Phone: "13900000021",
		Role: population.RoleGridWorker, GridCode: "NY-02-01-01"}}); err != nil {
		t.Fatal(err)
	}
	moved := f.residents[2]
	moved.GridCode = "NY-02-01-01"
	if _, err := f.st.UpsertResidents(ctx, []population.Resident{moved}); err != nil {
		t.Fatal(err)
	}
	f.a = f.sms(t, f.residents[0].Phone, "小区门口的路灯坏了", "").TicketID
	f.a2 = f.sms(t, f.residents[1].Phone, "楼道里堆满了杂物", "").TicketID
	f.b = f.sms(t, moved.Phone, "我想咨询一下低保怎么申请", "").TicketID
	f.inWorkerCode = f.workers[0].Code
	for _, w := range f.workers {
		if w.Role == population.RoleGridWorker {
			f.inWorkerCode = w.Code
		}
	}
	var all []testUser
	for i, r := range access.Roles {
		in := testUser{fmt.Sprintf("in-%s", r), fmt.Sprintf("tok-in-%d", i), []access.Role{r}, []string{"NY-01"}}
		out := testUser{fmt.Sprintf("out-%s", r), fmt.Sprintf("tok-out-%d", i), []access.Role{r}, []string{"NY-02"}}
		f.in[r], f.out[r] = in, out
		all = append(all, in, out)
	}
	f.city = testUser{"city-admin", "tok-city", []access.Role{access.RoleAdmin}, cityWide}
	all = append(all, f.city)
	for _, u := range all {
		au := u.user()
		if u.roles[0] == access.RoleDepartment {
			au.Department = "城管"
		}
		if _, err := f.st.CreateUser(ctx, au); err != nil {
			t.Fatalf("create %s: %v", u.name, err)
		}
	}
	fs, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if f.media, err = blob.NewMedia(fs, blob.Limits{}); err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Segments: f.st, Tickets: ticketStore{f.st}, Desk: f.desk, Campaigns: f.st,
		Policy: campaigns.Policy{ApprovalThreshold: 1}, Ready: func(context.Context) error { return nil }, Users: f.st, Audit: f.st,
		Eraser: retention.Eraser{Store: f.st, Blobs: f.media}, Dispatch: f.st, Supervision: f.st})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	// The street's officer makes a campaign: its scope is theirs.
	code, _, body := as(t, f.in[access.RoleOfficer].token, "POST", f.srv.URL+"/api/v1/campaigns", `{"name":"保安招聘","kind":"job_posting",
		"segment":"age:18..60","channel_policy":"sms_only","expires_at":"`+time.Now().Add(48*time.Hour).Format(time.RFC3339)+`",
		"sms":{"sign_name":"网格通","template_code":"SMS_T","params":{"name":"{{resident.surname_title}}"}},"wechat":{"template_id":"","fields":{}}}`)
	var c api.Campaign
	if code != 201 || json.Unmarshal([]byte(body), &c) != nil || strings.Join(c.Scope, ",") != "NY-01" {
		t.Fatalf("the street officer's campaign: %d %s, want scope NY-01", code, body)
	}
	f.campaign = c.ID
	return f
}

// Every route × every role × in and out of scope: a user without the
// route's role is refused 403, a user outside the record's scope is refused
// 403, and everyone else gets through (whatever the record's state then
// says). On both store drivers.
func TestScopeMatrix(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			testScopeMatrix(t, newScopeFixture(t, driver))
		})
	}
}

func testScopeMatrix(t *testing.T, f *scopeFixture) {
	ticket := func(id int64) string { return fmt.Sprintf("/api/v1/tickets/%d", id) }
	camp := fmt.Sprintf("/api/v1/campaigns/%d", f.campaign)
	const (
		anywhere = iota // the route reads nothing of one grid
		scoped          // the record (or the residents) of street NY-01
		cityOnly        // only a whole-city scope gets through
	)
	all := []access.Role(nil)
	for _, rt := range []struct {
		method, path, body string
		need               []access.Role
		scope              int
	}{
		{"GET", "/api/v1/me", "", all, anywhere},
		{"GET", "/api/v1/segments", "", all, anywhere},
		{"GET", "/api/v1/segments/count?expr=age:0..", "", all, anywhere}, // counts the caller's residents (TestScopeFilters)
		{"POST", "/api/v1/segments/preview", `{"expr":"age:60..","n":2}`, all, anywhere},
		{"PUT", "/api/v1/segments/olds", `{"expr":"age:60.."}`, []access.Role{access.RoleOfficer}, anywhere},
		{"GET", "/api/v1/segments/olds", "", all, anywhere},
		{"GET", "/api/v1/campaigns", "", all, anywhere},
		{"POST", "/api/v1/campaigns", `{}`, []access.Role{access.RoleOfficer}, anywhere},
		{"GET", camp, "", all, scoped},
		{"GET", camp + "/events", "", all, scoped},
		{"GET", camp + "/answers", "", all, scoped},
		{"POST", camp + "/actions", `{"action":"approve"}`, []access.Role{access.RoleOfficer, access.RoleChecker}, scoped},
		{"POST", camp + "/actions", `{"action":"pause"}`, []access.Role{access.RoleOfficer}, scoped},
		{"GET", "/api/v1/tickets", "", all, anywhere},
		{"GET", "/api/v1/tickets/unknown-senders", "", all, cityOnly},
		{"GET", ticket(f.a), "", all, scoped},
		{"GET", ticket(f.a) + "/quick-replies", "", all, scoped},
		{"POST", ticket(f.a) + "/reply", `{"text":"您好，已记录。"}`, []access.Role{access.RoleWorker}, scoped},
		{"POST", ticket(f.a) + "/start", `{}`, []access.Role{access.RoleWorker}, scoped},
		{"POST", ticket(f.a) + "/reassign", `{"worker_code":"` + f.inWorkerCode + `"}`, []access.Role{access.RoleWorker}, scoped},
		{"POST", ticket(f.a) + "/resolve", `{"note":"已修好"}`, []access.Role{access.RoleWorker}, scoped},
		{"POST", ticket(f.a) + "/reopen", `{"note":"又坏了"}`, []access.Role{access.RoleWorker}, scoped},
		{"POST", ticket(f.a) + "/close", `{"note":"结案"}`, []access.Role{access.RoleWorker}, scoped},
		{"POST", ticket(f.a) + "/recategorise", `{"category":"property","note":"小区内路灯归物业"}`, []access.Role{access.RoleWorker}, scoped},
		{"POST", ticket(f.a) + "/urgency", `{"urgency":"复杂"}`, []access.Role{access.RoleWorker}, scoped},
		{"POST", ticket(f.a) + "/supervise", `{"note":"请尽快办结"}`, []access.Role{access.RoleWorker, access.RoleOfficer, access.RoleAdmin}, scoped},
		{"POST", ticket(f.a) + "/unsupervise", `{"note":"已落实"}`, []access.Role{access.RoleWorker, access.RoleOfficer, access.RoleAdmin}, scoped},
		{"POST", ticket(f.a2) + "/merge", fmt.Sprintf(`{"into":%d}`, f.a), []access.Role{access.RoleWorker}, scoped},
		{"POST", fmt.Sprintf("/api/v1/residents/%d/unmask", f.residents[0].ID), `{"reason":"上门核实住址"}`,
			[]access.Role{access.RoleWorker, access.RoleOfficer, access.RoleAdmin}, scoped},
		{"GET", "/api/v1/audit", "", []access.Role{access.RoleAdmin}, anywhere},
		{"POST", fmt.Sprintf("/api/v1/residents/%d/erase", f.residents[1].ID), `{"reason":"依申请删除 2026-031"}`,
			[]access.Role{access.RoleOfficer, access.RoleAdmin}, scoped},
		{"DELETE", "/api/v1/segments/olds", "", []access.Role{access.RoleOfficer}, anywhere},
		{"POST", "/api/v1/events", `{"grid":"` + f.residents[0].GridCode + `","text":"井盖缺失"}`,
			[]access.Role{access.RoleWorker, access.RoleOfficer, access.RoleAdmin}, scoped},
		{"GET", ticket(f.a) + "/attachments", "", all, scoped},
	} {
		for _, role := range access.Roles {
			for _, side := range []string{"in", "out"} {
				u := f.in[role]
				if side == "out" {
					u = f.out[role]
				}
				name := fmt.Sprintf("%s %s as %s", rt.method, rt.path, u.name)
				refused := ""
				switch {
				case len(rt.need) > 0 && !contains(rt.need, role):
					refused = "role"
				case rt.scope == cityOnly || rt.scope == scoped && side == "out":
					refused = "scope"
				}
				code, _, body := as(t, u.token, rt.method, f.srv.URL+rt.path, rt.body)
				switch {
				case refused != "" && code != 403:
					t.Errorf("%s: %d %.200s, want 403 (%s)", name, code, body, refused)
				case refused == "" && (code == 401 || code == 403 || code >= 500):
					t.Errorf("%s: %d %.200s, want it let through", name, code, body)
				}
			}
		}
	}
	// The whole city's administrator reads what no grid holds.
	if code, _, body := as(t, f.city.token, "GET", f.srv.URL+"/api/v1/tickets/unknown-senders", ""); code != 200 {
		t.Errorf("unknown senders as the city's admin: %d %s", code, body)
	}
}

func contains(rs []access.Role, r access.Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// Lists show only what lies in the caller's scope; a ticket is handed only
// to a worker of it, merged only with one of it; a campaign reaches only
// its scope's residents and only a checker covering it approves it.
func TestScopeFilters(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := newScopeFixture(t, driver)
			inV, outV := f.in[access.RoleViewer], f.out[access.RoleViewer]
			ids := func(u testUser) []int64 {
				var ts []api.Ticket
				code, _, body := as(t, u.token, "GET", f.srv.URL+"/api/v1/tickets", "")
				if code != 200 || json.Unmarshal([]byte(body), &ts) != nil {
					t.Fatalf("tickets as %s: %d %s", u.name, code, body)
				}
				var out []int64
				for _, tk := range ts {
					out = append(out, tk.ID)
				}
				return out
			}
			if got := ids(inV); fmt.Sprint(got) != fmt.Sprint([]int64{f.a, f.a2}) {
				t.Errorf("NY-01's tickets: %v, want %v", got, []int64{f.a, f.a2})
			}
			if got := ids(outV); fmt.Sprint(got) != fmt.Sprint([]int64{f.b}) {
				t.Errorf("NY-02's tickets: %v, want [%d]", got, f.b)
			}
			if got := ids(f.in[access.RoleDepartment]); len(got) != 2 {
				t.Errorf("a department user with NY-01: %v", got)
			}
			count := func(u testUser) int64 {
				var c struct{ Count int64 }
				_, _, body := as(t, u.token, "GET", f.srv.URL+"/api/v1/segments/count?expr=age:0..", "")
				if err := json.Unmarshal([]byte(body), &c); err != nil {
					t.Fatalf("count as %s: %s", u.name, body)
				}
				return c.Count
			}
			if in, out := count(inV), count(outV); in != 299 || out != 1 {
				t.Errorf("residents counted: NY-01 %d, NY-02 %d; want 299 and 1", in, out)
			}
			var cs []api.Campaign
			_, _, body := as(t, outV.token, "GET", f.srv.URL+"/api/v1/campaigns", "")
			if json.Unmarshal([]byte(body), &cs) != nil || len(cs) != 0 {
				t.Errorf("NY-02 lists NY-01's campaign: %s", body)
			}
			_, _, body = as(t, inV.token, "GET", f.srv.URL+"/api/v1/campaigns", "")
			if json.Unmarshal([]byte(body), &cs) != nil || len(cs) != 1 {
				t.Errorf("NY-01 does not list its campaign: %s", body)
			}
			// A newer campaign of NY-02 does not push NY-01's out of
			// NY-01's first page.
			mc, _, mb := as(t, f.out[access.RoleOfficer].token, "POST", f.srv.URL+"/api/v1/campaigns", `{"name":"保洁招聘","kind":"job_posting",
				"segment":"age:18..60","channel_policy":"sms_only","expires_at":"`+time.Now().Add(48*time.Hour).Format(time.RFC3339)+`",
				"sms":{"sign_name":"网格通","template_code":"SMS_T","params":{"name":"{{resident.surname_title}}"}},"wechat":{"template_id":"","fields":{}}}`)
			if mc != 201 {
				t.Fatalf("NY-02's officer makes a campaign: %d %s", mc, mb)
			}
			_, _, body = as(t, inV.token, "GET", f.srv.URL+"/api/v1/campaigns?limit=1", "")
			if json.Unmarshal([]byte(body), &cs) != nil || len(cs) != 1 || cs[0].ID != f.campaign {
				t.Errorf("NY-01's first page of one, after NY-02's newer campaign: %s; want campaign %d", body, f.campaign)
			}
			// A ticket of NY-01 cannot be handed to NY-02's worker, nor
			// merged into NY-02's ticket, by NY-01's worker.
			w := f.in[access.RoleWorker]
			if code, _, body := as(t, w.token, "POST", fmt.Sprintf("%s/api/v1/tickets/%d/reassign", f.srv.URL, f.a),
				`{"worker_code":"W-NY-02-01-01"}`); code != 403 {
				t.Errorf("reassign to another street's worker: %d %s", code, body)
			}
			if code, _, body := as(t, w.token, "POST", fmt.Sprintf("%s/api/v1/tickets/%d/merge", f.srv.URL, f.a),
				fmt.Sprintf(`{"into":%d}`, f.b)); code != 403 {
				t.Errorf("merge into another street's ticket: %d %s", code, body)
			}
			// An officer cannot widen a campaign beyond their scope.
			o := f.in[access.RoleOfficer]
			if code, _, body := as(t, o.token, "POST", f.srv.URL+"/api/v1/campaigns", `{"name":"x","kind":"job_posting","segment":"age:18..","scope":["NY"],
				"expires_at":"`+time.Now().Add(48*time.Hour).Format(time.RFC3339)+`","sms":{},"wechat":{}}`); code != 403 {
				t.Errorf("a campaign wider than the officer's scope: %d %s", code, body)
			}
			// A checker of the street approves; one of another street may not.
			camp := fmt.Sprintf("%s/api/v1/campaigns/%d/actions", f.srv.URL, f.campaign)
			if code, _, body := as(t, f.out[access.RoleChecker].token, "POST", camp, `{"action":"approve"}`); code != 403 {
				t.Errorf("another street's checker approving: %d %s", code, body)
			}
			if code, _, body := as(t, f.in[access.RoleChecker].token, "POST", camp, `{"action":"send"}`); code != 403 {
				t.Errorf("a checker sending: %d %s", code, body)
			}
			code, _, body := as(t, f.in[access.RoleChecker].token, "POST", camp, `{"action":"approve"}`)
			if code != 200 {
				t.Fatalf("the street's checker approving: %d %s", code, body)
			}
			// The campaign's audience is its segment within its scope: of
			// everyone (age:0..), the 299 residents of NY-01, not NY-02's.
			c, err := f.st.Campaign(t.Context(), f.campaign)
			if err != nil {
				t.Fatal(err)
			}
			c.Segment = "age:0.."
			n, err := f.st.CountSegment(t.Context(), c.Audience())
			if err != nil || n != 299 {
				t.Errorf("audience of everyone within NY-01: %d (%v), want 299 of 300", n, err)
			}
		})
	}
}

// In the trial mode a page of another site cannot change anything: a
// text/plain or form POST is refused for its type, a JSON one for its
// origin; and with a login token only the browser that opened the
// one-time link gets in.
func TestTrialModeRefusesCrossSiteAndNeedsTheLink(t *testing.T) {
	t.Parallel()
	f := newDeskFixture(t)
	campaign := f.srv.URL + "/api/v1/campaigns"
	for _, tc := range []struct {
		name, ctype, origin string
		want                int
	}{
		{"text/plain from another page", "text/plain", "https://evil.example", 403},
		{"text/plain without an origin", "text/plain", "", 415},
		{"a form", "application/x-www-form-urlencoded", "", 415},
		{"JSON from another origin", "application/json", "https://evil.example", 403},
	} {
		req, _ := http.NewRequest("POST", campaign, strings.NewReader(`{"name":"x","by":"x"}`))
		req.Header.Set("Content-Type", tc.ctype)
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, res.StatusCode, tc.want)
		}
	}
	cs, _ := f.st.Campaigns(t.Context(), "", 0)
	if len(cs) != 0 {
		t.Errorf("%d campaigns created by refused requests", len(cs))
	}

	h, err := api.New(api.Config{Segments: f.st, Tickets: ticketStore{f.st}, Ready: func(context.Context) error { return nil },
		TrialToken: "the-one-time-token"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	get := func(c *http.Client, path string) int {
		res, err := c.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := get(browser, "/api/v1/me"); code != 401 {
		t.Errorf("before the link: %d, want 401", code)
	}
	if code := get(browser, "/login?token=guess"); code != 403 {
		t.Errorf("a wrong token: %d, want 403", code)
	}
	// The link leads to the console (not served here: 404 after the redirect).
	if code := get(browser, "/login?token=the-one-time-token"); code != 404 {
		t.Errorf("the link: ended at %d, want the console's redirect", code)
	}
	if code := get(browser, "/api/v1/me"); code != 200 {
		t.Errorf("after the link: %d, want 200", code)
	}
	other := &http.Client{}
	if code := get(other, "/login?token=the-one-time-token"); code != 403 {
		t.Errorf("the link used twice: %d, want 403", code)
	}
	if code := get(other, "/api/v1/me"); code != 401 {
		t.Errorf("another client without the cookie: %d, want 401", code)
	}
}

// The grid worker of a resident's own grid sees them in clear, and the
// access is on the audit log; the community's leader sees them masked and
// unmasks only for a reason the log records; a worker of another street
// cannot unmask them at all.
func TestPersonalDataByGrid(t *testing.T) {
	t.Parallel()
	f := newScopeFixture(t, "sqlite")
	own := testUser{"网格员", "tok-own-grid", []access.Role{access.RoleWorker}, []string{"NY-01-01-01"}}
	leader := testUser{"网格长", "tok-leader", []access.Role{access.RoleWorker}, []string{"NY-01-01"}}
	addUsers(t, f.st, own, leader)
	r := f.residents[0]
	show := func(u testUser) api.Ticket {
		var d api.TicketDetail
		code, _, body := as(t, u.token, "GET", fmt.Sprintf("%s/api/v1/tickets/%d", f.srv.URL, f.a), "")
		if code != 200 || json.Unmarshal([]byte(body), &d) != nil {
			t.Fatalf("ticket as %s: %d %s", u.name, code, body)
		}
		return d.Ticket
	}
	if tk := show(own); !tk.Clear || tk.Resident != string(r.Name) || tk.Phone != string(r.Phone) {
		t.Errorf("the own grid's worker sees %q %q (clear %v), want the resident in clear", tk.Resident, tk.Phone, tk.Clear)
	}
	if tk := show(leader); tk.Clear || tk.Phone != r.Phone.Masked() || tk.Resident != r.Name.Masked() {
		t.Errorf("the leader sees %q %q (clear %v), want masked", tk.Resident, tk.Phone, tk.Clear)
	}
	unmask := fmt.Sprintf("%s/api/v1/residents/%d/unmask", f.srv.URL, r.ID)
	if code, _, body := as(t, leader.token, "POST", unmask, `{"reason":""}`); code != 400 {
		t.Errorf("unmask without a reason: %d %s", code, body)
	}
	code, _, body := as(t, leader.token, "POST", unmask, `{"reason":"核实独居老人联系方式"}`)
	var u api.Unmasked
	if code != 200 || json.Unmarshal([]byte(body), &u) != nil || u.Phone != string(r.Phone) {
		t.Errorf("unmask with a reason: %d %s", code, body)
	}
	if code, _, _ := as(t, f.out[access.RoleWorker].token, "POST", unmask, `{"reason":"核实独居老人联系方式"}`); code != 403 {
		t.Errorf("another street's worker unmasking: %d, want 403", code)
	}
	code, _, body = as(t, f.city.token, "GET", f.srv.URL+"/api/v1/audit?action=pii", "")
	var es []struct {
		Actor, Action, Subject, Reason string
	}
	if code != 200 || json.Unmarshal([]byte(body), &es) != nil {
		t.Fatalf("audit: %d %s", code, body)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Actor+" "+e.Action+" "+e.Subject+" "+e.Reason)
	}
	want := []string{
		fmt.Sprintf("网格员 pii.view resident:%d own grid", r.ID),
		fmt.Sprintf("网格长 pii.unmask resident:%d 核实独居老人联系方式", r.ID),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(body, string(r.Phone)) {
		t.Error("the audit log holds the phone in clear")
	}
	// Erasure on request: an officer of the street, with a reason; the
	// resident's phone and the voice note on their ticket are gone, and the
	// act is on the log.
	tk, err := f.st.Ticket(t.Context(), f.a)
	if err != nil || tk.ResidentID != r.ID {
		t.Fatalf("ticket a = %+v, %v; want resident %d's", tk, err, r.ID)
	}
	voice, err := f.media.Put(t.Context(), strings.NewReader("#!AMR\n<居民的语音>"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.st.AddAttachment(t.Context(), tickets.Attachment{TicketID: f.a, Kind: tickets.AttachmentVoice, Key: voice.Key,
		ContentType: voice.ContentType, Size: voice.Size, AddedBy: tickets.ActorResident}); err != nil {
		t.Fatal(err)
	}
	erase := fmt.Sprintf("%s/api/v1/residents/%d/erase", f.srv.URL, r.ID)
	if code, _, body := as(t, f.in[access.RoleOfficer].token, "POST", erase, `{"reason":"删"}`); code != 400 {
		t.Errorf("erase without a real reason: %d %s", code, body)
	}
	if code, _, body := as(t, f.in[access.RoleOfficer].token, "POST", erase, `{"reason":"依申请删除 2026-031"}`); code != 200 ||
		!strings.Contains(body, `"already":false`) || !strings.Contains(body, `"attachments_purged":1`) || !strings.Contains(body, `"blobs_deleted":1`) {
		t.Fatalf("erase: %d %s", code, body)
	}
	if _, _, err := f.media.Get(t.Context(), voice.Key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("their voice note after the erasure: %v, want it deleted from the blob store", err)
	}
	if got, err := f.st.Resident(t.Context(), r.ID); err != nil || got.Phone != "" {
		t.Errorf("after the erasure the resident keeps phone %q (%v)", got.Phone.Masked(), err)
	}
	_, _, body = as(t, f.city.token, "GET", f.srv.URL+"/api/v1/audit?action=resident.erase", "")
	if !strings.Contains(body, fmt.Sprintf(`"resident:%d"`, r.ID)) || !strings.Contains(body, "依申请删除 2026-031") {
		t.Errorf("the erasure is not on the audit log: %s", body)
	}
}

// A user created, changed or disabled while the server runs takes effect
// at the next request: no restart.
func TestUserChangesTakeEffectAtOnce(t *testing.T) {
	t.Parallel()
	f := newScopeFixture(t, "sqlite")
	late := testUser{"新同事", "tok-late", []access.Role{access.RoleViewer}, []string{"NY-02"}}
	me := f.srv.URL + "/api/v1/me"
	if code, _, _ := as(t, late.token, "GET", me, ""); code != 401 {
		t.Fatalf("before the user exists: %d, want 401", code)
	}
	addUsers(t, f.st, late)
	if code, _, body := as(t, late.token, "GET", me, ""); code != 200 || !strings.Contains(body, `"NY-02"`) {
		t.Fatalf("right after create: %d %s", code, body)
	}
	u, err := f.st.UserByName(t.Context(), late.name)
	if err != nil {
		t.Fatal(err)
	}
	u.Grids = []string{"NY-01"}
	if _, err := f.st.UpdateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := as(t, late.token, "GET", fmt.Sprintf("%s/api/v1/tickets/%d", f.srv.URL, f.a), ""); code != 200 {
		t.Errorf("a ticket of the newly granted street: %d, want 200", code)
	}
	u.Disabled = true
	if _, err := f.st.UpdateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := as(t, late.token, "GET", me, ""); code != 401 {
		t.Errorf("after disabling: %d, want 401", code)
	}
}
