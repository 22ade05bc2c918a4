package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/audit"
)

// browser is a client with its own cookie jar: one signed-in browser.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// do sends a request as the browser would: its cookies, its CSRF token on
// a change when it has one (withCSRF), JSON bodies.
func (b *browser) do(method, path, body string, withCSRF bool) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.base+path, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if withCSRF && b.csrf != "" {
		req.Header.Set(api.CSRFHeader, b.csrf)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res, string(raw)
}

// signIn posts name and password and keeps the CSRF token of a success.
func (b *browser) signIn(name, pw string) (*http.Response, string) {
	b.t.Helper()
	body, _ := json.Marshal(api.LoginRequest{Name: name, Password: pw})
	res, raw := b.do("POST", "/api/v1/session", string(body), false)
	if res.StatusCode == 200 {
		var v api.SessionView
		if err := json.Unmarshal([]byte(raw), &v); err != nil || v.CSRF == "" {
			b.t.Fatalf("sign-in answer %s: %v", raw, err)
		}
		b.csrf = v.CSRF
	}
	return res, raw
}

// sessionServer serves the scope fixture's store with the console's
// sign-in: five wrong passwords lock for 15 minutes, rate per address as
// given.
func sessionServer(t *testing.T, f *scopeFixture, rate float64, ids ...api.IdentityProvider) *httptest.Server {
	t.Helper()
	h, err := api.New(api.Config{Segments: f.st, Tickets: ticketStore{f.st}, Desk: f.desk, Ready: func(context.Context) error { return nil },
		Users: f.st, Audit: f.st, Sessions: f.st, LoginRate: rate, Identities: ids, IdentityLinks: f.st})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// A worker signs in to the console with the password an administrator
// set: the browser gets an HttpOnly, SameSite=Strict cookie and a CSRF
// token; a change without the token is refused; wrong passwords are one
// answer whether or not the name exists, and the fifth in a row locks the
// user until an administrator unlocks them; a new password ends the
// user's other sessions; signing out ends this one; tokens still work.
// On both drivers.
func TestConsoleSignIn(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := newScopeFixture(t, driver)
			srv := sessionServer(t, f, 60000)
			testConsoleSignIn(t, f, srv)
		})
	}
}

func testConsoleSignIn(t *testing.T, f *scopeFixture, srv *httptest.Server) {
	ctx := t.Context()
	wk := f.in[access.RoleWorker]
	u, err := f.st.UserByName(ctx, wk.name)
	if err != nil {
		t.Fatal(err)
	}
	userURL := fmt.Sprintf("%s/api/v1/users/%d", srv.URL, u.ID)
	if code, _, body := as(t, f.city.token, "POST", userURL+"/password", `{"new":"short"}`); code != 400 || !strings.Contains(problem(t, body), "至少需要 10 个字符") {
		t.Errorf("a weak password: %d %s; want 400 saying the rule", code, body)
	}
	if code, _, body := as(t, wk.token, "POST", userURL+"/password", `{"new":"网格巡查 correct horse"}`); code != 403 {
		t.Errorf("a worker sets a password through the administrators' route: %d %s", code, body)
	}
	const pw = "网格巡查 correct horse"
	if code, _, body := as(t, f.city.token, "POST", userURL+"/password", `{"new":"`+pw+`"}`); code != 200 {
		t.Fatalf("set the password: %d %s", code, body)
	}

	b := newBrowser(t, srv.URL)
	if res, _ := b.do("GET", "/api/v1/me", "", false); res.StatusCode != 401 {
		t.Fatalf("before signing in: %d", res.StatusCode)
	}
	res, wrong := b.signIn(wk.name, "not the password")
	_, unknown := b.signIn("没有这个人", "not the password")
	if res.StatusCode != 400 || problem(t, wrong) != "用户名或密码错误" || wrong != unknown {
		t.Errorf("a wrong password: %d %s; an unknown name: %s; want one answer", res.StatusCode, wrong, unknown)
	}
	res, raw := b.signIn(strings.ToUpper(wk.name), pw)
	if res.StatusCode != 200 {
		t.Fatalf("sign in: %d %s", res.StatusCode, raw)
	}
	var ck *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == api.SessionCookie {
			ck = c
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure || ck.MaxAge <= 0 {
		t.Fatalf("the session cookie: %+v; want HttpOnly, SameSite=Strict, not Secure over plain http, lasting", ck)
	}
	if strings.Contains(raw, ck.Value) || strings.Contains(raw, wk.token) {
		t.Errorf("the answer shows the session's secret or the token: %s", raw)
	}
	if res, body := b.do("GET", "/api/v1/me", "", false); res.StatusCode != 200 || !strings.Contains(body, wk.name) {
		t.Fatalf("me with the session: %d %s", res.StatusCode, body)
	}
	// A change needs the CSRF token: a form posted from elsewhere has the
	// cookie but not the token.
	start := fmt.Sprintf("/api/v1/tickets/%d/start", f.a)
	if res, body := b.do("POST", start, `{}`, false); res.StatusCode != 403 || !strings.Contains(body, "CSRF") {
		t.Errorf("a change without the CSRF token: %d %s", res.StatusCode, body)
	}
	if res, body := b.do("POST", start, `{}`, true); res.StatusCode != 200 || !strings.Contains(body, `"status":"in_progress"`) {
		t.Errorf("start a ticket of the worker's grid from the session: %d %s", res.StatusCode, body)
	}
	if res, _ := b.do("POST", fmt.Sprintf("/api/v1/tickets/%d/start", f.b), `{}`, true); res.StatusCode != 403 && res.StatusCode != 404 {
		t.Errorf("a ticket outside the worker's grid from the session: %d; want refused", res.StatusCode)
	}
	if res, body := b.do("GET", "/api/v1/session", "", false); res.StatusCode != 200 || !strings.Contains(body, b.csrf) {
		t.Errorf("GET /api/v1/session (a reloaded page): %d %s", res.StatusCode, body)
	}

	// A second browser, then a password change in the first: the second
	// is signed out, the first stays in.
	other := newBrowser(t, srv.URL)
	if res, body := other.signIn(wk.name, pw); res.StatusCode != 200 {
		t.Fatalf("second browser: %d %s", res.StatusCode, body)
	}
	if res, body := b.do("POST", "/api/v1/session/password", `{"current":"wrong","new":"another good password"}`, true); res.StatusCode != 400 ||
		problem(t, body) != "当前密码不正确" {
		t.Errorf("change with a wrong current password: %d %s", res.StatusCode, body)
	}
	const pw2 = "another good password"
	res, raw = b.do("POST", "/api/v1/session/password", `{"current":"`+pw+`","new":"`+pw2+`"}`, true)
	if res.StatusCode != 200 {
		t.Fatalf("change own password: %d %s", res.StatusCode, raw)
	}
	var v api.SessionView
	_ = json.Unmarshal([]byte(raw), &v)
	b.csrf = v.CSRF
	if res, _ := other.do("GET", "/api/v1/me", "", false); res.StatusCode != 401 {
		t.Errorf("the other browser after a password change: %d; want 401", res.StatusCode)
	}
	if res, _ := b.do("GET", "/api/v1/me", "", false); res.StatusCode != 200 {
		t.Errorf("this browser after its own password change: %d; want still signed in", res.StatusCode)
	}

	// Five wrong passwords lock the user; the right one is then refused
	// too, until an administrator unlocks them.
	third := newBrowser(t, srv.URL)
	for i := 1; i <= 5; i++ {
		res, body := third.signIn(wk.name, fmt.Sprintf("guess number %d", i))
		want := 400
		if i == 5 {
			want = 409
		}
		if res.StatusCode != want {
			t.Fatalf("wrong password %d: %d %s; want %d", i, res.StatusCode, body, want)
		}
	}
	if res, body := third.signIn(wk.name, pw2); res.StatusCode != 409 || !strings.Contains(problem(t, body), "锁定") {
		t.Fatalf("the right password while locked: %d %s", res.StatusCode, body)
	}
	if code, _, body := as(t, f.city.token, "POST", userURL+"/unlock", `{}`); code != 200 {
		t.Fatalf("unlock: %d %s", code, body)
	}
	if res, body := third.signIn(wk.name, pw2); res.StatusCode != 200 {
		t.Fatalf("after the unlock: %d %s", res.StatusCode, body)
	}

	// Signing out ends the session and clears the cookie.
	if res, _ := third.do("DELETE", "/api/v1/session", "", true); res.StatusCode != 204 {
		t.Fatalf("sign out: %d", res.StatusCode)
	}
	if res, _ := third.do("GET", "/api/v1/me", "", false); res.StatusCode != 401 {
		t.Errorf("after signing out: %d; want 401", res.StatusCode)
	}
	// Scripts keep their token.
	if code, _, body := as(t, wk.token, "GET", srv.URL+"/api/v1/me", ""); code != 200 || !strings.Contains(body, wk.name) {
		t.Errorf("the token beside sessions: %d %s", code, body)
	}
	// Disabling the user ends their sessions.
	u.Disabled = true
	if _, err := f.st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if res, _ := b.do("GET", "/api/v1/me", "", false); res.StatusCode != 401 {
		t.Errorf("a disabled user's session: %d; want 401", res.StatusCode)
	}

	es, err := f.st.AuditEntries(ctx, audit.Filter{Action: "auth"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[audit.Action]int{}
	for _, e := range es {
		seen[e.Action]++
		if strings.Contains(e.Actor+e.Subject+e.Detail, "没有这个人") || strings.Contains(e.Detail, "guess") {
			t.Errorf("the audit log keeps what was typed: %+v", e)
		}
	}
	if seen[audit.ActionLogin] < 4 || seen[audit.ActionLoginFailed] < 7 || seen[audit.ActionLocked] != 1 || seen[audit.ActionLogout] != 1 {
		t.Errorf("audit entries by action: %v; want the sign-ins, failures, the lockout and the sign-out", seen)
	}
}

// Too many sign-in attempts from one address are answered 429 with
// Retry-After, whatever the name.
func TestSignInRate(t *testing.T) {
	t.Parallel()
	f := newScopeFixture(t, "sqlite")
	srv := sessionServer(t, f, 1)
	b := newBrowser(t, srv.URL)
	var last *http.Response
	for i := range 7 {
		last, _ = b.signIn(fmt.Sprintf("someone-%d", i), "not a password")
	}
	if last.StatusCode != 429 || last.Header.Get("Retry-After") == "" {
		t.Fatalf("the 7th attempt in a second at 1 a minute: %d, Retry-After %q; want 429 with it", last.StatusCode, last.Header.Get("Retry-After"))
	}
}

// idp is an identity provider that knows one person, as 企业微信 would.
type idp struct{ base string }

func (idp) Name() string  { return "wecom" }
func (idp) Title() string { return "企业微信登录" }
func (p idp) AuthCodeURL(state, redirect string) string {
	return p.base + "/authorize?" + url.Values{"state": {state}, "redirect_uri": {redirect}}.Encode()
}
func (idp) Exchange(_ context.Context, code, _ string) (string, error) {
	switch code {
	case "code-for-zhou":
		return "ZhouJie", nil
	case "code-for-stranger":
		return "Stranger", nil
	}
	return "", errors.New("invalid code")
}

// An identity provider is another way in: the console lists it, its
// start sends the browser there with a state, and its callback with that
// state and a code for a linked person opens a session; a state from
// elsewhere, or a person no user is linked to, is refused.
func TestIdentityProviderSignIn(t *testing.T) {
	t.Parallel()
	f := newScopeFixture(t, "sqlite")
	srv := sessionServer(t, f, 60000, idp{base: "https://idp.example"})
	wk := f.in[access.RoleWorker]
	u, err := f.st.UserByName(t.Context(), wk.name)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.LinkIdentity(t.Context(), u.ID, "wecom", "ZhouJie"); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, srv.URL)
	if res, body := b.do("GET", "/api/v1/session/methods", "", false); res.StatusCode != 200 || !strings.Contains(body, `"password":true`) ||
		!strings.Contains(body, `"start":"/auth/wecom/start"`) || !strings.Contains(body, "企业微信登录") {
		t.Fatalf("the ways in: %d %s", res.StatusCode, body)
	}
	res, _ := b.do("GET", "/auth/wecom/start", "", false)
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != 302 || err != nil || loc.Host != "idp.example" || loc.Query().Get("state") == "" ||
		loc.Query().Get("redirect_uri") != srv.URL+"/auth/wecom/callback" {
		t.Fatalf("start: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	state := loc.Query().Get("state")
	if res, _ := b.do("GET", "/auth/wecom/callback?code=code-for-zhou&state=forged", "", false); res.StatusCode != 403 {
		t.Errorf("a forged state: %d; want 403", res.StatusCode)
	}
	// The forged attempt cleared nothing the real one needs: start again.
	res, _ = b.do("GET", "/auth/wecom/start", "", false)
	loc, _ = url.Parse(res.Header.Get("Location"))
	state = loc.Query().Get("state")
	if res, _ := b.do("GET", "/auth/wecom/callback?code=code-for-stranger&state="+state, "", false); res.StatusCode != 403 {
		t.Errorf("a person linked to no user: %d; want 403", res.StatusCode)
	}
	res, _ = b.do("GET", "/auth/wecom/start", "", false)
	loc, _ = url.Parse(res.Header.Get("Location"))
	res, body := b.do("GET", "/auth/wecom/callback?code=code-for-zhou&state="+loc.Query().Get("state"), "", false)
	if res.StatusCode != 303 || res.Header.Get("Location") != "/console/" {
		t.Fatalf("callback: %d %s %q", res.StatusCode, body, res.Header.Get("Location"))
	}
	res, body = b.do("GET", "/api/v1/session", "", false)
	var v api.SessionView
	if res.StatusCode != 200 || json.Unmarshal([]byte(body), &v) != nil || v.Me.Name != wk.name || v.Method != "wecom" || v.CSRF == "" {
		t.Fatalf("the session after the provider's sign-in: %d %s", res.StatusCode, body)
	}

}
