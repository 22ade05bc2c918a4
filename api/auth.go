package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridcast/gridcast/pii"
)

// Role is what an API user may change. Every role may read (GET); only
// the role a route names may write through it.
type Role string

// The roles.
const (
	// RoleOfficer creates campaigns and approves, sends, pauses, resumes
	// and cancels them, and saves and deletes named segments.
	RoleOfficer Role = "officer"
	// RoleWorker acts on tickets: reply, start, resolve, close, reassign,
	// merge.
	RoleWorker Role = "worker"
	// RoleViewer reads only.
	RoleViewer Role = "viewer"
)

// Roles lists every role, in the order the documentation gives them.
var Roles = []Role{RoleOfficer, RoleWorker, RoleViewer}

// anyRole is what a read needs: a user with at least one role.
const anyRole Role = ""

// ParseRole returns the role named s, or an error listing the roles.
func ParseRole(s string) (Role, error) {
	if r := Role(s); slices.Contains(Roles, r) {
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q; want officer, worker or viewer", s)
}

// User is one person who may call /api/v1 with a bearer token. The zero
// value is no one.
type User struct {
	// Name is the person, recorded as the actor of everything they do
	// through the API (a campaign's owner and approver, a ticket's
	// timeline). Unique, compared without regard to case, as the
	// self-approval rule compares names.
	Name string
	// TokenSHA256 is the SHA-256 of the token the user sends; the server
	// never holds the token itself.
	TokenSHA256 [sha256.Size]byte
	// Roles are what the user may change; at least one.
	Roles []Role
}

// has reports whether u holds role r; every user holds anyRole.
func (u User) has(r Role) bool {
	return r == anyRole || slices.Contains(u.Roles, r)
}

// checkUsers refuses a user list that would make the actor ambiguous.
func checkUsers(users []User) error {
	var errs []error
	names := map[string]bool{}
	hashes := map[[sha256.Size]byte]bool{}
	for i, u := range users {
		bad := func(format string, a ...any) {
			errs = append(errs, fmt.Errorf("api: Users[%d]: %s", i, fmt.Sprintf(format, a...)))
		}
		key := strings.ToLower(strings.TrimSpace(u.Name))
		switch {
		case key == "":
			bad("no name")
		case names[key]:
			bad("name %q is used twice", u.Name)
		}
		names[key] = true
		switch {
		case u.TokenSHA256 == [sha256.Size]byte{}:
			bad("no token hash")
		case hashes[u.TokenSHA256]:
			bad("token hash is used twice")
		}
		hashes[u.TokenSHA256] = true
		if len(u.Roles) == 0 {
			bad("no role")
		}
		for _, r := range u.Roles {
			if _, err := ParseRole(string(r)); err != nil {
				bad("%v", err)
			}
		}
	}
	return errors.Join(errs...)
}

// auth guards /api/v1. With users it demands a bearer token and puts its
// user in the request's context; without, it lets through only requests
// made on this host, whose actions name their actor in the body.
type auth struct {
	users   []User
	log     *slog.Logger
	refused *prometheus.CounterVec // by reason
}

type userKey struct{}

// userFrom returns the authenticated user of a request, if any.
func userFrom(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(userKey{}).(User)
	return u, ok
}

// apiPath reports whether p is under /api/v1, which auth guards.
func apiPath(p string) bool {
	return p == "/api/v1" || strings.HasPrefix(p, "/api/v1/")
}

// guard authenticates every request under /api/v1, routed or not (an
// unknown path is 401 before it is 404, so that routes cannot be probed
// without a token), and passes the rest through untouched.
func (a *auth) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !apiPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		u, ok := a.authenticate(w, r)
		if !ok {
			return
		}
		if len(a.users) > 0 {
			r = r.WithContext(context.WithValue(r.Context(), userKey{}, u))
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate returns the request's user (the zero User when
// authentication is off), or answers the refusal and returns false.
func (a *auth) authenticate(w http.ResponseWriter, r *http.Request) (User, bool) {
	if len(a.users) == 0 {
		if why := notLocal(r); why != "" {
			a.refuse(w, r, http.StatusForbidden, "not_local", "the API answers only requests made on this host while http.api_users is empty ("+why+
				"); configure http.api_users (gridcast keygen --api-token NAME --role ROLE) and send a bearer token")
			return User{}, false
		}
		return User{}, true
	}
	token, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gridcast"`)
		a.refuse(w, r, http.StatusUnauthorized, "no_token", "authentication required: send Authorization: Bearer TOKEN")
		return User{}, false
	}
	u, ok := a.lookup(token)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gridcast", error="invalid_token"`)
		a.refuse(w, r, http.StatusUnauthorized, "bad_token", "invalid bearer token")
		return User{}, false
	}
	return u, true
}

// lookup finds the user whose token hash is the token's. It compares the
// hash with every user's in constant time and never stops early, so the
// time taken tells neither how much of a hash matched nor which user did.
func (a *auth) lookup(token string) (User, bool) {
	sum := sha256.Sum256([]byte(token))
	found := -1
	for i := range a.users {
		eq := subtle.ConstantTimeCompare(sum[:], a.users[i].TokenSHA256[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return User{}, false
	}
	return a.users[found], true
}

// bearerToken reads an Authorization header of the Bearer scheme.
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
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
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return "forwarded by a proxy"
		}
	}
	return ""
}

// authorize lets through to h only the users holding need (anyRole for a
// read). It checks again what guard checked, so that a route is never
// open should it be served without guard in front.
func (a *auth) authorize(pattern string, need Role, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := userFrom(r.Context())
		if !ok {
			if u, ok = a.authenticate(w, r); !ok {
				return
			}
		}
		if len(a.users) > 0 && !u.has(need) {
			a.log.InfoContext(r.Context(), "api_forbidden", "user", pii.Name(u.Name), "route", pattern, "need", string(need))
			roles := make([]string, len(u.Roles))
			for i, r := range u.Roles {
				roles[i] = string(r)
			}
			a.refuse(w, r, http.StatusForbidden, "role", fmt.Sprintf("%s needs the %s role; yours: %s", pattern, need, strings.Join(roles, ", ")))
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (a *auth) refuse(w http.ResponseWriter, r *http.Request, code int, reason, msg string) {
	a.refused.WithLabelValues(reason).Inc()
	switch reason {
	case "bad_token", "not_local":
		a.log.WarnContext(r.Context(), "api_refused", "reason", reason, "remote", r.RemoteAddr, "path", r.URL.Path)
	case "no_token":
		a.log.DebugContext(r.Context(), "api_refused", "reason", reason, "remote", r.RemoteAddr, "path", r.URL.Path)
	}
	writeJSON(w, code, Problem{Error: msg})
}

// actor is who does an action: the authenticated user, whom a body field
// (by, owner) may name but not contradict; with authentication off, the
// field as given ("" when absent, for the caller to refuse).
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
	// Authenticated: the caller sent a user's token. False in a trial
	// without configured users, where actions name their actor in by.
	Authenticated bool   `json:"authenticated"`
	Name          string `json:"name,omitempty"`
	// Roles are what the caller may change: the user's, or every role in a
	// trial.
	Roles []Role `json:"roles"`
}

// me answers GET /api/v1/me.
func (s *server) me(w http.ResponseWriter, r *http.Request) {
	u, ok := userFrom(r.Context())
	if !ok {
		writeJSON(w, http.StatusOK, Me{Roles: Roles})
		return
	}
	writeJSON(w, http.StatusOK, Me{Authenticated: true, Name: u.Name, Roles: u.Roles})
}
