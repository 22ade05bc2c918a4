package api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/pii"
)

// QueuesPrefix is where Config.Queues is served.
const QueuesPrefix = "/queues/"

// officersOnly lets through to h, the queue UI, only officers and
// administrators whose scope is the whole city (the queues hold every
// grid's tasks): the browser signs in with HTTP Basic, any user name and
// the user's API token as the password (a bearer token works too, for
// scripts); a missing or unknown token gets 401 with a Basic challenge,
// another role or scope 403. In the trial mode, as for /api/v1, only
// requests made on this host get through. A change (anything but GET and
// HEAD) must come from the UI's own pages: a browser that says the request
// came from another site is refused, since it would otherwise send the
// remembered password along.
func (a *auth) officersOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var u access.User
		trial, err := a.trial(r.Context())
		if err != nil {
			a.usersUnavailable(w, r, err)
			return
		}
		if trial {
			if !a.admitTrial(w, r, "the queue UI") {
				return
			}
		} else {
			token, ok := queuesToken(r)
			if !ok {
				w.Header().Set("WWW-Authenticate", `Basic realm="GridCast queues", charset="UTF-8"`)
				a.refuse(w, r, http.StatusUnauthorized, "no_token", "sign in: any user name, your API token as the password")
				return
			}
			if u, err = a.lookup(r.Context(), token); err != nil {
				w.Header().Set("WWW-Authenticate", `Basic realm="GridCast queues", charset="UTF-8"`)
				a.refuse(w, r, http.StatusUnauthorized, "bad_token", "invalid token")
				return
			}
			if !u.HasAny(access.RoleOfficer, access.RoleAdmin) {
				a.log.InfoContext(r.Context(), "api_forbidden", "user", pii.Name(u.Name), "route", QueuesPrefix, "need", "officer or admin")
				a.refuse(w, r, http.StatusForbidden, "role", "the queue UI needs the officer or admin role")
				return
			}
			if !u.Scope().Everything() {
				a.refuse(w, r, http.StatusForbidden, "scope", "the queue UI holds every grid's tasks: it needs the whole city (*) as your scope")
				return
			}
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if crossSite(r) {
				a.refuse(w, r, http.StatusForbidden, "cross_site", "changes to the queues are accepted only from the queue UI's own pages")
				return
			}
			// What an officer did to the queues is on the record.
			a.log.InfoContext(r.Context(), "queue_ui_change", "user", pii.Name(u.Name), "method", r.Method, "path", r.URL.Path)
		}
		h.ServeHTTP(w, r)
	})
}

// queuesToken reads the token of a Basic (the password) or Bearer
// Authorization header.
func queuesToken(r *http.Request) (string, bool) {
	if _, pass, ok := r.BasicAuth(); ok {
		return pass, pass != ""
	}
	return bearerToken(r.Header.Get("Authorization"))
}

// crossSite reports whether a browser says r came from another site: by
// Sec-Fetch-Site, or an Origin whose host is not the request's. A request
// with neither (a script) is not cross-site.
func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	o, err := url.Parse(origin)
	return err != nil || !strings.EqualFold(o.Host, r.Host)
}
