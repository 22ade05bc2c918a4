package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/pii"
)

// SessionStore is what the console's sign-in needs of the store:
// *store.Store satisfies it. With Config.Sessions set, users sign in with
// their name and password (and any Config.Identities) and the console
// runs on a session cookie; API tokens keep working for scripts.
type SessionStore interface {
	// LoginCredentials returns the enabled user called name with their
	// credentials, or an error wrapping fault.ErrNotFound.
	LoginCredentials(ctx context.Context, name string) (access.User, access.Credentials, error)
	// RecordLoginFailure counts a wrong password (locking the user per
	// the policy) and returns the credentials as they now stand.
	RecordLoginFailure(ctx context.Context, id int64, now time.Time, p access.LoginPolicy) (access.Credentials, error)
	// RecordLoginSuccess clears the count of wrong passwords.
	RecordLoginSuccess(ctx context.Context, id int64) error
	// SetPassword stores a new password hash and ends the user's sessions.
	SetPassword(ctx context.Context, id int64, hash string) error
	// UnlockUser ends a lockout.
	UnlockUser(ctx context.Context, id int64) error
	CreateSession(ctx context.Context, s access.Session) error
	// SessionByID returns a session and its enabled user, or an error
	// wrapping fault.ErrNotFound.
	SessionByID(ctx context.Context, sum [sha256.Size]byte) (access.Session, access.User, error)
	TouchSession(ctx context.Context, sum [sha256.Size]byte, at time.Time) error
	DeleteSession(ctx context.Context, sum [sha256.Size]byte) error
	// PurgeSessions deletes sessions past their life or idle since.
	PurgeSessions(ctx context.Context, now, idleSince time.Time) (int, error)
}

// SessionCookie is the cookie that carries a console session's secret.
const SessionCookie = "gridcast_session"

// CSRFHeader carries a session's CSRF token on every change.
const CSRFHeader = "X-CSRF-Token"

// CookieSecurity says when the session cookie is marked Secure.
type CookieSecurity string

// The cookie security settings.
const (
	// CookieSecureAuto marks it Secure when the request came over TLS or
	// through a proxy that says it did (X-Forwarded-Proto: https).
	CookieSecureAuto   CookieSecurity = "auto"
	CookieSecureAlways CookieSecurity = "always"
	CookieSecureNever  CookieSecurity = "never"
)

// DefaultLoginRate is how many sign-in attempts one address may make a
// minute (after a burst of loginBurst).
const DefaultLoginRate = 10

const loginBurst = 5

// touchEvery is how often a session's last use is written: a page that
// polls every 30 seconds does not write on each poll.
const touchEvery = time.Minute

// sessions holds the console's sign-in: the store, the policy, the
// per-address limiter and the identity providers.
type sessions struct {
	store    SessionStore
	policy   access.LoginPolicy
	secure   CookieSecurity
	perMin   float64
	limiters sync.Map // address → *addrLimiter
	nLimits  int
	limitsMu sync.Mutex
	now      func() time.Time
}

type addrLimiter struct {
	lim  *rate.Limiter
	seen time.Time
	mu   sync.Mutex
}

// allow reports whether the address of r may try to sign in now, and if
// not, how long until it may.
func (ss *sessions) allow(r *http.Request) (bool, time.Duration) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	now := ss.now()
	v, loaded := ss.limiters.LoadOrStore(host, &addrLimiter{lim: rate.NewLimiter(rate.Limit(ss.perMin/60), loginBurst), seen: now})
	l := v.(*addrLimiter)
	if !loaded {
		ss.forgetIdle(now)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = now
	res := l.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// forgetIdle drops, every thousand new addresses, the limiters of
// addresses not seen for an hour (whose buckets are full again anyway).
func (ss *sessions) forgetIdle(now time.Time) {
	ss.limitsMu.Lock()
	ss.nLimits++
	sweep := ss.nLimits%1000 == 0
	ss.limitsMu.Unlock()
	if !sweep {
		return
	}
	ss.limiters.Range(func(k, v any) bool {
		l := v.(*addrLimiter)
		l.mu.Lock()
		idle := now.Sub(l.seen) > time.Hour
		l.mu.Unlock()
		if idle {
			ss.limiters.Delete(k)
		}
		return true
	})
}

// LoginRequest is the body of POST /api/v1/session.
type LoginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// SessionView is a signed-in browser's session: who, the CSRF token its
// changes must carry in X-CSRF-Token, and how long it lasts.
type SessionView struct {
	Me        Me        `json:"me"`
	CSRF      string    `json:"csrf,omitempty"`
	Method    string    `json:"method,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// IdleSeconds is how long the session may go unused.
	IdleSeconds int `json:"idle_seconds,omitempty"`
}

// PasswordRequest is the body of POST /api/v1/session/password (current
// and new) and POST /api/v1/users/{id}/password (new only).
type PasswordRequest struct {
	Current string `json:"current,omitempty"`
	New     string `json:"new"`
}

type sessionKey struct{}

// sessionFrom returns the session a request was authenticated by, if any.
func sessionFrom(ctx context.Context) (access.Session, bool) {
	se, ok := ctx.Value(sessionKey{}).(access.Session)
	return se, ok
}

// loginPath reports whether r is for one of the two routes under /api/v1
// that need no authentication: the sign-in itself, and the ways in the
// sign-in page offers.
func loginPath(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/api/v1/session" ||
		r.Method == http.MethodGet && r.URL.Path == "/api/v1/session/methods"
}

// fromSession authenticates r by its session cookie: the user, with the
// session in the context; a change must carry the session's CSRF token.
// ok is false when the refusal has been answered; found is false when r
// carries no session cookie at all.
func (a *auth) fromSession(w http.ResponseWriter, r *http.Request) (u access.User, rr *http.Request, found, ok bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || a.sessions == nil || c.Value == "" {
		return access.User{}, r, false, false
	}
	sum := sha256.Sum256([]byte(c.Value))
	se, u, err := a.sessions.store.SessionByID(r.Context(), sum)
	now := a.now()
	if err != nil || !a.sessions.policy.Live(se, now) {
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			a.usersUnavailable(w, r, err)
			return access.User{}, r, true, false
		}
		http.SetCookie(w, a.sessions.cookie(r, "", -1))
		a.refuse(w, r, http.StatusUnauthorized, "no_session", "your session has ended: sign in again")
		return access.User{}, r, true, false
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		given := r.Header.Get(CSRFHeader)
		if given == "" || subtle.ConstantTimeCompare([]byte(given), []byte(se.CSRF)) != 1 {
			a.refuse(w, r, http.StatusForbidden, "csrf", "this change lacks the session's CSRF token (X-CSRF-Token): reload the console")
			return access.User{}, r, true, false
		}
	}
	if now.Sub(se.SeenAt) >= touchEvery {
		if err := a.sessions.store.TouchSession(r.Context(), sum, now); err != nil {
			a.log.WarnContext(r.Context(), "session_touch_failed", "err", err)
		}
	}
	return u, r.WithContext(context.WithValue(r.Context(), sessionKey{}, se)), true, true
}

// cookie is the session cookie holding value, for maxAge seconds (-1
// deletes it; 0 lasts as long as the browser session would, which we
// never use): HttpOnly, SameSite=Strict, Secure per the setting.
func (ss *sessions) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: ss.secureFor(r),
		SameSite: http.SameSiteStrictMode}
}

// secureFor reports whether cookies set in answer to r are marked Secure,
// per the setting.
func (ss *sessions) secureFor(r *http.Request) bool {
	if ss.secure == "" || ss.secure == CookieSecureAuto {
		return overHTTPS(r)
	}
	return ss.secure == CookieSecureAlways
}

// overHTTPS reports whether r came over TLS, or through a proxy that says
// it did (X-Forwarded-Proto: https).
func overHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// open starts a session for u, proved by method, and sets its cookie.
func (s *server) openSession(w http.ResponseWriter, r *http.Request, u access.User, method string) (SessionView, error) {
	ss := s.auth.sessions
	now := s.cfg.Now().UTC()
	secret := access.NewSessionSecret()
	se := access.Session{IDSHA256: sha256.Sum256([]byte(secret)), UserID: u.ID, CSRF: access.NewSessionSecret(), Method: method,
		Remote: r.RemoteAddr, Agent: r.UserAgent(), CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(ss.policy.Lifetime)}
	if _, err := ss.store.PurgeSessions(r.Context(), now, now.Add(-ss.policy.Idle)); err != nil {
		s.cfg.Log.WarnContext(r.Context(), "session_purge_failed", "err", err)
	}
	if err := ss.store.CreateSession(r.Context(), se); err != nil {
		return SessionView{}, err
	}
	http.SetCookie(w, ss.cookie(r, secret, int(math.Ceil(ss.policy.Lifetime.Seconds()))))
	r = r.WithContext(context.WithValue(r.Context(), userKey{}, u))
	_ = s.record(r, u.Name, audit.ActionLogin, "user:"+u.Name, "", method)
	s.cfg.Log.InfoContext(r.Context(), "login", "user", pii.Name(u.Name), "method", method)
	return s.sessionView(u, se), nil
}

func (s *server) sessionView(u access.User, se access.Session) SessionView {
	return SessionView{Me: meOf(u), CSRF: se.CSRF, Method: se.Method, ExpiresAt: se.ExpiresAt,
		IdleSeconds: int(s.auth.sessions.policy.Idle.Seconds())}
}

// login serves POST /api/v1/session: a user name and password give a
// session cookie and the CSRF token. A wrong name and a wrong password
// get the same answer in the same time; too many wrong passwords lock
// the user; too many attempts from one address are slowed down (429).
func (s *server) login(w http.ResponseWriter, r *http.Request) {
	ss := s.auth.sessions
	if ok, wait := ss.allow(r); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		s.auth.refuse(w, r, http.StatusTooManyRequests, "login_rate", "too many sign-in attempts from this address; wait a minute")
		return
	}
	var req LoginRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if strings.TrimSpace(req.Name) == "" || req.Password == "" {
		s.writeError(w, r, badRequest("say the user name and the password", "请填写用户名和密码"))
		return
	}
	if len(req.Password) > 4*access.MaxPasswordLen {
		s.writeError(w, r, access.ErrBadLogin)
		return
	}
	now := s.cfg.Now()
	u, cred, err := ss.store.LoginCredentials(r.Context(), req.Name)
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		s.auth.usersUnavailable(w, r, err)
		return
	}
	known := err == nil
	hash := cred.PasswordHash
	if !known || hash == "" {
		hash = access.DummyPasswordHash
	}
	match, verr := access.VerifyPassword(hash, req.Password)
	if verr != nil {
		s.cfg.Log.ErrorContext(r.Context(), "password_hash_unreadable", "user", pii.Name(u.Name), "err", verr)
		match = false
	}
	match = match && known && cred.PasswordHash != ""
	if known && cred.Locked(now) {
		s.auth.refused.WithLabelValues("locked").Inc()
		s.writeError(w, r, access.ErrLocked)
		return
	}
	if !match {
		s.loginFailed(w, r, u, known, now)
		return
	}
	if err := ss.store.RecordLoginSuccess(r.Context(), u.ID); err != nil {
		s.writeError(w, r, err)
		return
	}
	view, err := s.openSession(w, r, u, access.MethodPassword)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view)
}

// loginFailed counts a wrong password against a known user (locking them
// at the policy's limit), records the refusal, and answers it.
func (s *server) loginFailed(w http.ResponseWriter, r *http.Request, u access.User, known bool, now time.Time) {
	s.auth.refused.WithLabelValues("bad_login").Inc()
	if !known {
		// The name typed is not recorded: it may be a password typed in
		// the wrong field.
		_ = s.record(r, "unknown", audit.ActionLoginFailed, "", "", "no such user")
		s.writeError(w, r, access.ErrBadLogin)
		return
	}
	cred, err := s.auth.sessions.store.RecordLoginFailure(r.Context(), u.ID, now, s.auth.sessions.policy)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_ = s.record(r, u.Name, audit.ActionLoginFailed, "user:"+u.Name, "", "wrong password")
	if cred.Locked(now) {
		_ = s.record(r, u.Name, audit.ActionLocked, "user:"+u.Name, "",
			fmt.Sprintf("%d wrong passwords in a row; locked until %s", s.auth.sessions.policy.MaxFailures, cred.LockedUntil.Format(time.RFC3339)))
		s.cfg.Log.WarnContext(r.Context(), "user_locked", "user", pii.Name(u.Name), "until", cred.LockedUntil)
		s.writeError(w, r, access.ErrLocked)
		return
	}
	s.writeError(w, r, access.ErrBadLogin)
}

// getSession serves GET /api/v1/session: the caller's session with its
// CSRF token (a page reloaded needs it again), or who the caller is for a
// token (no session, no token needed).
func (s *server) getSession(w http.ResponseWriter, r *http.Request) {
	u, _ := userFrom(r.Context())
	if se, ok := sessionFrom(r.Context()); ok {
		writeJSON(w, http.StatusOK, s.sessionView(u, se))
		return
	}
	writeJSON(w, http.StatusOK, SessionView{Me: s.meView(r)})
}

// logout serves DELETE /api/v1/session: the session ends and its cookie
// is cleared.
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	ss := s.auth.sessions
	if se, ok := sessionFrom(r.Context()); ok {
		if err := ss.store.DeleteSession(r.Context(), se.IDSHA256); err != nil {
			s.writeError(w, r, err)
			return
		}
		u, _ := userFrom(r.Context())
		_ = s.record(r, u.Name, audit.ActionLogout, "user:"+u.Name, "", "")
	}
	http.SetCookie(w, ss.cookie(r, "", -1))
	w.WriteHeader(http.StatusNoContent)
}

// changeOwnPassword serves POST /api/v1/session/password: the caller
// changes their own password, giving the current one (a user without one
// yet sets it with their token). Their sessions end; this browser's is
// opened again, so that the user stays signed in here.
func (s *server) changeOwnPassword(w http.ResponseWriter, r *http.Request) {
	u, ok := userFrom(r.Context())
	if !ok {
		s.writeError(w, r, badRequest("the trial mode has no users: create users first (gridcast users create)", "试用模式没有用户，请先创建用户"))
		return
	}
	var req PasswordRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	ss := s.auth.sessions
	_, cred, err := ss.store.LoginCredentials(r.Context(), u.Name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if cred.PasswordHash != "" {
		match, err := access.VerifyPassword(cred.PasswordHash, req.Current)
		if err != nil || !match {
			s.writeError(w, r, fault.Refuse(fault.ErrInvalid, "the current password is wrong", "当前密码不正确", nil))
			return
		}
	}
	if !s.setPassword(w, r, u, req.New) {
		return
	}
	if _, ok := sessionFrom(r.Context()); ok {
		view, err := s.openSession(w, r, u, access.MethodPassword)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, view)
		return
	}
	writeJSON(w, http.StatusOK, SessionView{Me: meOf(u)})
}

// setPassword checks pw against the policy, stores its hash for u (which
// ends u's sessions) and records it; false when the refusal was answered.
func (s *server) setPassword(w http.ResponseWriter, r *http.Request, u access.User, pw string) bool {
	if err := access.CheckPassword(u.Name, pw); err != nil {
		s.writeError(w, r, err)
		return false
	}
	hash, err := access.HashPassword(pw)
	if err == nil {
		err = s.auth.sessions.store.SetPassword(r.Context(), u.ID, hash)
	}
	if err != nil {
		s.writeError(w, r, err)
		return false
	}
	_ = s.record(r, "", audit.ActionUserPassword, "user:"+u.Name, "", "")
	return true
}

// mountSessions mounts the sign-in routes when Config.Sessions is set.
func (s *server) mountSessions(route func(string, http.Handler), v1 mountFunc) {
	if s.auth.sessions == nil {
		return
	}
	route("POST /api/v1/session", http.HandlerFunc(s.login)) // the guard lets it through unauthenticated
	v1("GET /api/v1/session", s.getSession)
	v1("DELETE /api/v1/session", s.logout)
	v1("POST /api/v1/session/password", s.changeOwnPassword)
	s.mountIdentities(route)
}
