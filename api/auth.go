package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/pii"
)

// UserDirectory is where the API finds its users: the store's users
// table, managed with `gridcast users`. A change there takes effect at the
// next request.
type UserDirectory interface {
	// UserByToken returns the enabled user whose token hash is sum, or an
	// error wrapping fault.ErrNotFound.
	UserByToken(ctx context.Context, sum [sha256.Size]byte) (access.User, error)
	// CountUsers counts the enabled users; none is the trial mode.
	CountUsers(ctx context.Context) (int, error)
}

// trialCheckEvery is how long the answer to "are there users?" is kept:
// the first user created ends the trial mode within this time.
const trialCheckEvery = 2 * time.Second

// TrialCookie is the cookie that carries a trial session, set by
// /login?token= (Config.TrialToken).
const TrialCookie = "gridcast_trial"

// auth guards /api/v1. With users it demands a bearer token and puts its
// user in the request's context; without (the trial mode), it lets
// through only requests made on this host — and, when Config.TrialToken is
// set, only from a browser signed in through the one-time login link.
type auth struct {
	users   UserDirectory
	log     *slog.Logger
	refused *prometheus.CounterVec // by reason
	now     func() time.Time

	// trial caches whether there are no users, for trialCheckEvery.
	trialMu    sync.Mutex
	trialAt    time.Time
	trialState bool

	// The one-time login of the trial mode: loginToken until used, then
	// the session the browser keeps in TrialCookie.
	loginToken string
	loginUsed  atomic.Bool
	session    string
	// onLogin, when set, records a sign-in through the login link.
	onLogin func(r *http.Request)
	// sessions, when set, is the console's sign-in by password: requests
	// may then authenticate by a session cookie instead of a token.
	sessions *sessions
}

type userKey struct{}

// checkedKey marks a request guard has authenticated (a user's, or one of
// the trial mode), so that authorize does not do it again.
type checkedKey struct{}

// userFrom returns the authenticated user of a request, if any; none in
// the trial mode.
func userFrom(ctx context.Context) (access.User, bool) {
	u, ok := ctx.Value(userKey{}).(access.User)
	return u, ok
}

// scopeOf is the request's scope: its user's, or the whole city in the
// trial mode (a single operator on the server's own machine).
func scopeOf(r *http.Request) access.Scope {
	if u, ok := userFrom(r.Context()); ok {
		return u.Scope()
	}
	return access.Scope{access.All}
}

// apiPath reports whether p is under /api/v1, which auth guards.
func apiPath(p string) bool {
	return p == "/api/v1" || strings.HasPrefix(p, "/api/v1/")
}

// guard authenticates every request under /api/v1, routed or not (an
// unknown path is 401 before it is 404, so that routes cannot be probed
// without a token), refuses a change that a browser says came from another
// site or that is not JSON, and passes the rest through untouched.
func (a *auth) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !apiPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if a.sessions != nil && loginPath(r) {
			if a.acceptChange(w, r) {
				next.ServeHTTP(w, r)
			}
			return
		}
		u, r, ok := a.authenticate(w, r)
		if !ok {
			return
		}
		if !a.acceptChange(w, r) {
			return
		}
		ctx := context.WithValue(r.Context(), checkedKey{}, true)
		if u.Name != "" {
			ctx = context.WithValue(ctx, userKey{}, u)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// acceptChange refuses a state change (any method but GET, HEAD and
// OPTIONS) that a browser says came from another site, and a change with a
// body that is not declared JSON: an HTML form or a text/plain fetch from
// another page cannot send application/json without the CORS preflight
// this server never answers.
func (a *auth) acceptChange(w http.ResponseWriter, r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	if crossSite(r) {
		a.refuse(w, r, http.StatusForbidden, "cross_site", "changes are accepted only from this server's own pages or from scripts")
		return false
	}
	if r.Method == http.MethodDelete && r.ContentLength <= 0 {
		return true
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && mt == "multipart/form-data" && uploadAllowed(r) {
		return true
	}
	if err != nil || mt != "application/json" {
		a.refuse(w, r, http.StatusUnsupportedMediaType, "content_type", "send the body as JSON with Content-Type: application/json")
		return false
	}
	return true
}

// uploadAllowed admits a multipart body — which an HTML form on another
// site can send — only to the routes that take files (POST
// /api/v1/events and POST /api/v1/visits), and only with a header no form
// can set: a bearer token, a session's CSRF token (checked before this),
// or X-Requested-With, which a cross-site script could send only after
// the CORS preflight this server never answers.
func uploadAllowed(r *http.Request) bool {
	if r.Method != http.MethodPost || (r.URL.Path != "/api/v1/events" && r.URL.Path != "/api/v1/visits") {
		return false
	}
	return strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") || r.Header.Get("X-Requested-With") != "" ||
		r.Header.Get(CSRFHeader) != ""
}

// trial reports whether there are no users (the trial mode), asking the
// directory at most every trialCheckEvery.
func (a *auth) trial(ctx context.Context) (bool, error) {
	if a.users == nil {
		return true, nil
	}
	a.trialMu.Lock()
	defer a.trialMu.Unlock()
	now := a.now()
	if !a.trialAt.IsZero() && now.Sub(a.trialAt) < trialCheckEvery {
		return a.trialState, nil
	}
	n, err := a.users.CountUsers(ctx)
	if err != nil {
		return false, err
	}
	a.trialAt, a.trialState = now, n == 0
	return a.trialState, nil
}

// authenticate returns the request's user (the zero User in the trial
// mode) and the request, carrying the session it was authenticated by if
// any; or it answers the refusal and returns false. A bearer token is
// asked for first; without one, the console's session cookie.
func (a *auth) authenticate(w http.ResponseWriter, r *http.Request) (access.User, *http.Request, bool) {
	trial, err := a.trial(r.Context())
	if err != nil {
		a.usersUnavailable(w, r, err)
		return access.User{}, r, false
	}
	if trial {
		return access.User{}, r, a.admitTrial(w, r, "the API")
	}
	token, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		if u, r, found, ok := a.fromSession(w, r); found {
			return u, r, ok
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="gridcast"`)
		a.refuse(w, r, http.StatusUnauthorized, "no_token", "authentication required: sign in, or send Authorization: Bearer TOKEN")
		return access.User{}, r, false
	}
	u, err := a.lookup(r.Context(), token)
	if err != nil {
		if !errors.Is(err, fault.ErrNotFound) {
			a.usersUnavailable(w, r, err)
			return access.User{}, r, false
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="gridcast", error="invalid_token"`)
		a.refuse(w, r, http.StatusUnauthorized, "bad_token", "invalid bearer token")
		return access.User{}, r, false
	}
	return u, r, true
}

// usersUnavailable answers 503 when the user directory cannot be asked:
// no request is let through unchecked.
func (a *auth) usersUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	a.log.ErrorContext(r.Context(), "api_users_unavailable", "err", err)
	writeJSON(w, http.StatusServiceUnavailable, Problem{Error: "the user directory is unavailable; try again"})
}

// admitTrial lets a request of the trial mode through to what (the API,
// the queue UI) only when it was made on this host and, with a login
// token, by the browser that opened the link; otherwise it answers the
// refusal and returns false.
func (a *auth) admitTrial(w http.ResponseWriter, r *http.Request, what string) bool {
	if why := notLocal(r); why != "" {
		a.refuse(w, r, http.StatusForbidden, "not_local", what+" answers only requests made on this host while no user exists ("+why+
			"); create users (gridcast users create NAME --role ROLE --grid CODE) and send a bearer token")
		return false
	}
	if a.loginToken != "" && !a.trialSession(r) {
		a.refuse(w, r, http.StatusUnauthorized, "no_session", "open the one-time login link gridcast serve printed, or create users (gridcast users create)")
		return false
	}
	return true
}

// lookup finds the enabled user holding token, by the token's SHA-256:
// the database compares hashes, so the time taken tells nothing about the
// token.
func (a *auth) lookup(ctx context.Context, token string) (access.User, error) {
	if a.users == nil {
		return access.User{}, fault.ErrNotFound
	}
	return a.users.UserByToken(ctx, sha256.Sum256([]byte(token)))
}

// trialSession reports whether r carries the trial session's cookie.
func (a *auth) trialSession(r *http.Request) bool {
	c, err := r.Cookie(TrialCookie)
	return err == nil && a.session != "" && subtle.ConstantTimeCompare([]byte(c.Value), []byte(a.session)) == 1
}

// login serves GET /login?token=: the one-time link of the trial mode. The
// first request with the right token gets the session cookie (HttpOnly,
// SameSite=Strict) and is sent to the console; the link works once.
func (a *auth) login(w http.ResponseWriter, r *http.Request) {
	if why := notLocal(r); why != "" {
		a.refuse(w, r, http.StatusForbidden, "not_local", "the login link works only on this host ("+why+")")
		return
	}
	given := r.URL.Query().Get("token")
	if a.loginToken == "" || subtle.ConstantTimeCompare([]byte(given), []byte(a.loginToken)) != 1 {
		a.refuse(w, r, http.StatusForbidden, "bad_login", "this login link is not valid")
		return
	}
	if !a.loginUsed.CompareAndSwap(false, true) {
		a.refuse(w, r, http.StatusForbidden, "bad_login", "this login link was used already; restart gridcast serve for a new one")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: TrialCookie, Value: a.session, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	a.log.InfoContext(r.Context(), "trial_login", "remote", r.RemoteAddr)
	if a.onLogin != nil {
		a.onLogin(r)
	}
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

// NewTrialToken returns a random token for Config.TrialToken.
func NewTrialToken() string { return rand.Text() }

// bearerToken reads an Authorization header of the Bearer scheme.
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// proxyHeaders are the headers a proxy adds to say whom it forwards for;
// any of them marks a request as proxied.
var proxyHeaders = []string{
	"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-Ip",
	"X-Client-Ip", "True-Client-Ip", "Cf-Connecting-Ip", "Fastly-Client-Ip", "X-Cluster-Client-Ip",
	"X-Original-Forwarded-For", "Client-Ip", "Via",
}

// notLocal says why r did not come from this host, or "" if it did: its
// peer is a loopback address and it carries no proxy header (a reverse
// proxy on this host would otherwise make every request look local).
func notLocal(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return "unknown peer address"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return "not from a loopback address"
	}
	for _, h := range proxyHeaders {
		if r.Header.Get(h) != "" {
			return "forwarded by a proxy"
		}
	}
	return ""
}

// authorize lets through to h only the users holding one of need (none:
// any user, for a read). It checks again what guard checked, so that a
// route is never open should it be served without guard in front.
func (a *auth) authorize(pattern string, need []access.Role, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := userFrom(r.Context())
		if checked, _ := r.Context().Value(checkedKey{}).(bool); !ok && !checked {
			if u, r, ok = a.authenticate(w, r); !ok {
				return
			}
			if u.Name != "" {
				r = r.WithContext(context.WithValue(r.Context(), userKey{}, u))
			}
		}
		if u.Name != "" && len(need) > 0 && !u.HasAny(need...) {
			a.log.InfoContext(r.Context(), "api_forbidden", "user", pii.Name(u.Name), "route", pattern, "need", rolesText(need))
			a.refuse(w, r, http.StatusForbidden, "role", fmt.Sprintf("%s needs the %s role; yours: %s", pattern, rolesText(need), rolesText(u.Roles)))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// rolesText lists roles as "officer or checker".
func rolesText(rs []access.Role) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, " or ")
}

func (a *auth) refuse(w http.ResponseWriter, r *http.Request, code int, reason, msg string) {
	a.refused.WithLabelValues(reason).Inc()
	switch reason {
	case "bad_token", "not_local", "bad_login", "cross_site", "csrf", "login_rate":
		a.log.WarnContext(r.Context(), "api_refused", "reason", reason, "remote", r.RemoteAddr, "path", r.URL.Path)
	case "no_token", "no_session", "content_type", "scope":
		a.log.DebugContext(r.Context(), "api_refused", "reason", reason, "remote", r.RemoteAddr, "path", r.URL.Path)
	}
	writeJSON(w, code, Problem{Error: msg})
}

// actor is who does an action: the authenticated user, whom a body field
// (by, owner) may name but not contradict; in the trial mode, the field as
// given ("" when absent, for the caller to refuse).
func actor(r *http.Request, field, given string) (string, error) {
	given = strings.TrimSpace(given)
	u, ok := userFrom(r.Context())
	if !ok {
		return given, nil
	}
	if given != "" && !strings.EqualFold(given, u.Name) {
		return "", badRequest("%[1]s must be you or absent: the API records you (%[2]s) as the actor",
			"%[1]s 须为您本人或不填：系统记录的操作人是您（%[2]s）", field, u.Name)
	}
	return u.Name, nil
}

// Me is who the API takes the caller for.
type Me struct {
	// Authenticated: the caller sent a user's token. False in the trial
	// mode, where actions name their actor in by.
	Authenticated bool   `json:"authenticated"`
	Name          string `json:"name,omitempty"`
	// Roles are what the caller may change: the user's, or every role in
	// the trial mode.
	Roles []access.Role `json:"roles"`
	// Grids is the caller's scope: grid codes, each with its subtree, or
	// "*" for the whole city (the trial mode's).
	Grids      []string `json:"grids"`
	Department string   `json:"department,omitempty"`
	// WorkerCode is the grid worker the user is (their 工号), when an
	// administrator linked them: the console's 我的工单 and visit register.
	WorkerCode string `json:"worker_code,omitempty"`
}

// me answers GET /api/v1/me.
func (s *server) me(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.meView(r))
}

// meView is who the API takes the caller of r for.
func (s *server) meView(r *http.Request) Me {
	u, ok := userFrom(r.Context())
	if !ok {
		return Me{Roles: access.Roles, Grids: []string{access.All}}
	}
	return meOf(u)
}

// meOf is u as GET /api/v1/me shows them.
func meOf(u access.User) Me {
	grids := u.Grids
	if grids == nil {
		grids = []string{}
	}
	return Me{Authenticated: true, Name: u.Name, Roles: u.Roles, Grids: grids, Department: u.Department, WorkerCode: u.WorkerCode}
}
