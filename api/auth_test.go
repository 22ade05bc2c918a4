package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/campaigns"
)

// The users of the authenticated server, by token.
// Their scope is the whole city; scope_test.go has users of one street.
var (
	maker   = testUser{"王芳", "tok-maker-8f1c", []access.Role{access.RoleOfficer}, cityWide}
	checker = testUser{"李强", "tok-checker-2d7a", []access.Role{access.RoleOfficer, access.RoleViewer}, cityWide}
	worker  = testUser{"张伟", "tok-worker-93be", []access.Role{access.RoleWorker}, cityWide}
	viewer  = testUser{"赵敏", "tok-viewer-05c4", []access.Role{access.RoleViewer}, cityWide}
)

var cityWide = []string{access.All}

type testUser struct {
	name, token string
	roles       []access.Role
	grids       []string
}

func (u testUser) user() access.User {
	return access.User{Name: u.name, TokenSHA256: sha256.Sum256([]byte(u.token)), Roles: u.roles, Grids: u.grids}
}

// addUsers stores the users in st, as gridcast users create does.
func addUsers(t *testing.T, st interface {
	CreateUser(context.Context, access.User) (access.User, error)
}, us ...testUser) {
	t.Helper()
	for _, u := range us {
		if _, err := st.CreateUser(t.Context(), u.user()); err != nil {
			t.Fatalf("create user %s: %v", u.name, err)
		}
	}
}

// authFixture is the desk fixture's store and desk behind a second server
// that has users, and the campaigns too.
type authFixture struct {
	*deskFixture
	srv *httptest.Server
}

func newAuthFixture(t *testing.T) *authFixture {
	t.Helper()
	f := newDeskFixture(t)
	addUsers(t, f.st, maker, checker, worker, viewer)
	h, err := api.New(api.Config{Segments: f.st, Tickets: ticketStore{f.st}, Desk: f.desk, Campaigns: f.st,
		Policy: campaigns.Policy{ApprovalThreshold: 1}, Ready: func(context.Context) error { return nil },
		Users: f.st})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &authFixture{deskFixture: f, srv: srv}
}

// as does a request with token ("" for none) and returns the status, the
// WWW-Authenticate header and the body.
func as(t *testing.T, token, method, u, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("WWW-Authenticate"), string(b)
}

// problem decodes an error body; it fails the test if body is not one.
func problem(t *testing.T, body string) string {
	t.Helper()
	var p api.Problem
	if err := json.Unmarshal([]byte(body), &p); err != nil || p.Error == "" {
		t.Errorf("not a problem body: %q (%v)", body, err)
	}
	return p.Error
}

func TestAuthRefusesWithoutAValidToken(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t)
	for _, tc := range []struct {
		name, header, method, path string
	}{
		{"no token", "", "GET", "/api/v1/tickets"},
		{"no token, a write", "", "POST", "/api/v1/tickets/1/reply"},
		{"no token, an unknown path", "", "GET", "/api/v1/nothing-here"},
		{"wrong token", "Bearer tok-nobody", "GET", "/api/v1/tickets"},
		{"a token's hash as the token", fmt.Sprintf("Bearer %x", sha256.Sum256([]byte(viewer.token))), "GET", "/api/v1/tickets"},
		{"empty bearer", "Bearer ", "GET", "/api/v1/segments"},
		{"another scheme", "Basic " + viewer.token, "GET", "/api/v1/segments"},
		{"the bare token", viewer.token, "GET", "/api/v1/segments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, f.srv.URL+tc.path, strings.NewReader(`{"by":"x","text":"y"}`))
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != 401 || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%d, WWW-Authenticate %q: want 401 with a Bearer challenge", res.StatusCode, res.Header.Get("WWW-Authenticate"))
			}
			problem(t, string(b))
		})
	}
	// The scheme's name is case-insensitive.
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/segments", nil)
	req.Header.Set("Authorization", "bearer "+viewer.token)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Errorf("lower-case bearer: %v %v", res.Status, err)
	}
	// Health, metrics and the webhooks need no token.
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		if code, _, body := as(t, "", "GET", f.srv.URL+p, ""); code != 200 {
			t.Errorf("%s without a token: %d %.100s", p, code, body)
		}
	}
	if _, _, body := as(t, "", "GET", f.srv.URL+"/metrics", ""); !strings.Contains(body, `gridcast_http_api_refused_total{reason="bad_token"}`) {
		t.Errorf("metrics lack the refusals:\n%.600s", body)
	}
}

func TestAuthRoles(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t)
	a := f.residents[0]
	o := f.sms(t, a.Phone, "请问小区门口的路灯坏了，什么时候能修好？", "")
	ticket := fmt.Sprintf("%s/api/v1/tickets/%d", f.srv.URL, o.TicketID)

	t.Run("a viewer reads but changes nothing", func(t *testing.T) {
		for _, p := range []string{"/api/v1/tickets", "/api/v1/segments", "/api/v1/campaigns", "/api/v1/segments/count?expr=age:0.."} {
			if code, _, body := as(t, viewer.token, "GET", f.srv.URL+p, ""); code != 200 {
				t.Errorf("GET %s: %d %.200s", p, code, body)
			}
		}
		if code, _, body := as(t, viewer.token, "POST", f.srv.URL+"/api/v1/segments/preview", `{"expr":"age:60..","n":2}`); code != 200 {
			t.Errorf("preview (a read): %d %.200s", code, body)
		}
		for _, tc := range []struct{ method, u, body, role string }{
			{"POST", ticket + "/reply", `{"text":"您好"}`, "worker"},
			{"POST", ticket + "/resolve", `{}`, "worker"},
			{"POST", f.srv.URL + "/api/v1/campaigns", `{}`, "officer"},
			{"POST", f.srv.URL + "/api/v1/campaigns/1/actions", `{"action":"approve"}`, "officer or checker"},
			{"PUT", f.srv.URL + "/api/v1/segments/olds", `{"expr":"age:60.."}`, "officer"},
			{"DELETE", f.srv.URL + "/api/v1/segments/olds", "", "officer"},
		} {
			code, _, body := as(t, viewer.token, tc.method, tc.u, tc.body)
			if code != 403 || !strings.Contains(problem(t, body), "needs the "+tc.role) {
				t.Errorf("%s %s as a viewer: %d %s, want 403 naming the %s role", tc.method, tc.u, code, body, tc.role)
			}
		}
	})

	t.Run("me", func(t *testing.T) {
		code, _, body := as(t, worker.token, "GET", f.srv.URL+"/api/v1/me", "")
		var me api.Me
		if code != 200 || json.Unmarshal([]byte(body), &me) != nil || !me.Authenticated || me.Name != worker.name ||
			!slices.Equal(me.Roles, []access.Role{access.RoleWorker}) || !slices.Equal(me.Grids, cityWide) {
			t.Errorf("me as the worker: %d %s", code, body)
		}
		if code, _, _ := as(t, "", "GET", f.srv.URL+"/api/v1/me", ""); code != 401 {
			t.Errorf("me without a token: %d, want 401", code)
		}
	})

	t.Run("a worker acts as themselves", func(t *testing.T) {
		code, _, body := as(t, worker.token, "POST", ticket+"/reply", `{"by":"李强","text":"您好，明天上午维修。"}`)
		if code != 400 || !strings.Contains(problem(t, body), "by 须为您本人或不填") {
			t.Errorf("reply naming someone else: %d %s, want 400", code, body)
		}
		if code, _, body := as(t, worker.token, "POST", ticket+"/reply", `{"text":"您好，已联系物业，明天上午维修。"}`); code != 202 {
			t.Fatalf("reply without by: %d %s", code, body)
		}
		if code, _, body := as(t, worker.token, "POST", ticket+"/start", `{"by":"张伟"}`); code != 200 {
			t.Errorf("start with by naming the worker: %d %s", code, body)
		}
		code, _, body = as(t, viewer.token, "GET", ticket, "")
		var d api.TicketDetail
		if code != 200 || json.Unmarshal([]byte(body), &d) != nil {
			t.Fatalf("show: %d %s", code, body)
		}
		var actors []string
		for _, ev := range d.Timeline[2:] { // after created and assigned (by the system)
			actors = append(actors, ev.Actor)
		}
		if !slices.Equal(actors, []string{worker.name, worker.name}) {
			t.Errorf("timeline actors after the reply and start: %v, want the worker's name twice", actors)
		}
		last := d.Conversation[len(d.Conversation)-1]
		if last.Purpose != "reply" || last.Actor != worker.name {
			t.Errorf("the reply as sent: %+v, want %s as its actor", last, worker.name)
		}
		if code, _, _ := as(t, maker.token, "POST", ticket+"/resolve", `{}`); code != 403 {
			t.Errorf("an officer resolving a ticket: %d, want 403", code)
		}
	})

	t.Run("an officer approves, a worker cannot, the maker cannot", func(t *testing.T) {
		camp := `{"name":"保安招聘","kind":"job_posting","segment":"age:18..60","channel_policy":"sms_only",%s
			"expires_at":"` + time.Now().Add(48*time.Hour).Format(time.RFC3339) + `",
			"sms":{"sign_name":"网格通","template_code":"SMS_T","params":{"name":"{{resident.surname_title}}"}},"wechat":{"template_id":"","fields":{}}}`
		code, _, body := as(t, maker.token, "POST", f.srv.URL+"/api/v1/campaigns", fmt.Sprintf(camp, `"owner":"李强",`))
		if code != 400 || !strings.Contains(problem(t, body), "owner 须为您本人或不填") {
			t.Errorf("a campaign owned by someone else: %d %s, want 400", code, body)
		}
		code, _, body = as(t, maker.token, "POST", f.srv.URL+"/api/v1/campaigns", fmt.Sprintf(camp, ""))
		var c api.Campaign
		if code != 201 || json.Unmarshal([]byte(body), &c) != nil || c.Owner != maker.name {
			t.Fatalf("create without owner: %d %s, want the maker as owner", code, body)
		}
		actions := fmt.Sprintf("%s/api/v1/campaigns/%d/actions", f.srv.URL, c.ID)
		if code, _, body := as(t, worker.token, "POST", actions, `{"action":"approve"}`); code != 403 {
			t.Errorf("a worker approving: %d %s, want 403", code, body)
		}
		if code, _, body := as(t, maker.token, "POST", actions, `{"action":"approve"}`); code != 409 {
			t.Errorf("the maker approving: %d %s, want 409", code, body)
		}
		if code, _, body := as(t, checker.token, "POST", actions, `{"action":"approve","by":"王芳"}`); code != 400 {
			t.Errorf("approving in the maker's name: %d %s, want 400", code, body)
		}
		code, _, body = as(t, checker.token, "POST", actions, `{"action":"approve"}`)
		if code != 200 || json.Unmarshal([]byte(body), &c) != nil || c.ApprovedBy != checker.name {
			t.Errorf("the checker approving: %d %s", code, body)
		}
		var evs []api.CampaignEvent
		_, _, body = as(t, viewer.token, "GET", fmt.Sprintf("%s/api/v1/campaigns/%d/events", f.srv.URL, c.ID), "")
		if json.Unmarshal([]byte(body), &evs) != nil || len(evs) == 0 || evs[len(evs)-1].Actor != checker.name {
			t.Errorf("events: %s, want the approval by %s last", body, checker.name)
		}
	})
}

// Without users the API answers only requests made on this host, and
// actions name their actor in by as before.
func TestAuthOffIsLocalOnly(t *testing.T) {
	t.Parallel()
	f := newDeskFixture(t)
	h := f.srv.Config.Handler
	for _, tc := range []struct {
		name, remote, path string
		header             map[string]string
		want               int
	}{
		{"IPv4 peer", "192.0.2.7:40000", "/api/v1/tickets", nil, 403},
		{"private peer", "10.1.2.3:40000", "/api/v1/segments", nil, 403},
		{"IPv6 peer", "[2001:db8::1]:40000", "/api/v1/tickets", nil, 403},
		{"a proxy on this host", "127.0.0.1:40000", "/api/v1/tickets", map[string]string{"X-Forwarded-For": "203.0.113.9"}, 403},
		{"Forwarded", "[::1]:40000", "/api/v1/tickets", map[string]string{"Forwarded": "for=203.0.113.9"}, 403},
		{"X-Client-IP", "127.0.0.1:40000", "/api/v1/tickets", map[string]string{"X-Client-IP": "203.0.113.9"}, 403},
		{"True-Client-IP", "127.0.0.1:40000", "/api/v1/tickets", map[string]string{"True-Client-IP": "203.0.113.9"}, 403},
		{"Via", "127.0.0.1:40000", "/api/v1/tickets", map[string]string{"Via": "1.1 proxy"}, 403},
		{"unknown path", "192.0.2.7:40000", "/api/v1/nothing-here", nil, 403},
		{"loopback", "127.0.0.1:40000", "/api/v1/tickets", nil, 200},
		{"IPv6 loopback", "[::1]:40000", "/api/v1/tickets", nil, 200},
		{"me on a trial", "127.0.0.1:40000", "/api/v1/me", nil, 200},
		{"health from afar", "192.0.2.7:40000", "/healthz", nil, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tc.path, nil)
			req.RemoteAddr = tc.remote
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.want)
			}
			if tc.want == 403 && !strings.Contains(problem(t, rec.Body.String()), "gridcast users create") {
				t.Errorf("the refusal does not say how to create users: %s", rec.Body)
			}
		})
	}

	// On loopback (httptest's listener) by is required and recorded.
	o := f.sms(t, f.residents[1].Phone, "我想咨询一下低保怎么申请", "")
	u := fmt.Sprintf("%s/api/v1/tickets/%d", f.srv.URL, o.TicketID)
	if code, _, body := as(t, "", "POST", u+"/reply", `{"text":"您好"}`); code != 400 || !strings.Contains(body, "请注明操作人") {
		t.Errorf("reply without by: %d %s, want 400", code, body)
	}
	if code, _, body := as(t, viewer.token, "POST", u+"/reply", `{"text":"您好"}`); code != 400 {
		t.Errorf("a token does not stand for by while authentication is off: %d %s", code, body)
	}
	if code, _, body := as(t, "", "POST", u+"/start", `{"by":"wang.fang"}`); code != 200 || !strings.Contains(body, `"in_progress"`) {
		t.Errorf("start with by: %d %s", code, body)
	}
	var d api.TicketDetail
	call(t, "GET", u, "", &d)
	if ev := d.Timeline[len(d.Timeline)-1]; ev.Actor != "wang.fang" {
		t.Errorf("last event: %+v, want wang.fang's", ev)
	}
}

func TestNewRefusesAnExtraAPIRoute(t *testing.T) {
	t.Parallel()
	f := newDeskFixture(t)
	_, err := api.New(api.Config{Segments: f.st, Ready: func(context.Context) error { return nil },
		Extra: map[string]http.Handler{"POST /api/v1/export": http.NotFoundHandler()}})
	if err == nil || !strings.Contains(err.Error(), "under /api/") {
		t.Errorf("New: %v, want an error saying the route is under /api/", err)
	}
}

// TestAuthOpenAPI keeps openapi.yaml saying that /api/v1 takes a bearer
// token and may answer 401 and 403, the queue UI a Basic sign-in or a
// bearer token, and that nothing else needs one.
func TestAuthOpenAPI(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Security   []map[string][]string
		Paths      map[string]map[string]any
		Components struct {
			SecuritySchemes map[string]struct{ Type, Scheme string } `yaml:"securitySchemes"`
			Responses       map[string]any
		}
	}
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	if s := spec.Components.SecuritySchemes["bearerAuth"]; s.Type != "http" || s.Scheme != "bearer" {
		t.Errorf("securitySchemes.bearerAuth = %+v, want http bearer", s)
	}
	if len(spec.Security) != 1 || spec.Security[0]["bearerAuth"] == nil {
		t.Errorf("security = %v, want bearerAuth for every operation that does not opt out", spec.Security)
	}
	for path, item := range spec.Paths {
		for method, op := range item {
			if method == "parameters" {
				continue
			}
			op, _ := op.(map[string]any)
			sec, opted := op["security"]
			responses, _ := op["responses"].(map[string]any)
			if path == api.QueuesPrefix {
				// The queue UI: a browser's Basic sign-in, or a bearer token.
				if s, _ := sec.([]any); len(s) != 2 || spec.Components.SecuritySchemes["queuesBasic"].Scheme != "basic" {
					t.Errorf("%s %s security = %v, want queuesBasic (http basic) or bearerAuth", method, path, sec)
				}
				for _, code := range []string{"401", "403"} {
					if _, ok := responses[code]; !ok {
						t.Errorf("%s %s does not document %s", method, path, code)
					}
				}
			} else if path == "/api/v1/session" && method == "post" || path == "/api/v1/session/methods" {
				// Signing in, and the ways in: no token or session yet.
				if s, _ := sec.([]any); !opted || len(s) != 0 {
					t.Errorf("%s %s must say security: [] (it is the sign-in)", method, path)
				}
			} else if strings.HasPrefix(path, "/api/v1/") {
				if opted {
					t.Errorf("%s %s opts out of bearerAuth", method, path)
				}
				for _, code := range []string{"401", "403"} {
					if _, ok := responses[code]; !ok {
						t.Errorf("%s %s does not document %s", method, path, code)
					}
				}
			} else if s, _ := sec.([]any); !opted || len(s) != 0 {
				t.Errorf("%s %s must say security: [] (it takes no token)", method, path)
			}
		}
	}
}
