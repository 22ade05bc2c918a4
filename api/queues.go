package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gridcast/gridcast/pii"
)

// QueuesPrefix is where Config.Queues is served.
const QueuesPrefix = "/queues/"

// officersOnly lets through to h, the queue UI, only officers: the
// browser signs in with HTTP Basic, any user name and the user's API token
// as the password (a bearer token works too, for scripts); a missing or
// unknown token gets 401 with a Basic challenge, another role 403. With
// authentication off, as for /api/v1, only requests made on this host get
// through. A change (anything but GET and HEAD) must come from the UI's
// own pages: a browser that says the request came from another site is
// refused, since it would otherwise send the remembered password along.
func (a *auth) officersOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var u User
		if len(a.users) == 0 {
			if why := notLocal(r); why != "" {
				a.refuse(w, r, http.StatusForbidden, "not_local", "the queue UI answers only requests made on this host while http.api_users is empty ("+why+
					"); configure http.api_users and sign in with an officer's token")
				return
			}
		} else {
			token, ok := queuesToken(r)
			if !ok {
				w.Header().Set("WWW-Authenticate", `Basic realm="GridCast queues", charset="UTF-8"`)
				a.refuse(w, r, http.StatusUnauthorized, "no_token", "sign in: any user name, your API token as the password")
				return
			}
			if u, ok = a.lookup(token); !ok {
				w.Header().Set("WWW-Authenticate", `Basic realm="GridCast queues", charset="UTF-8"`)
				a.refuse(w, r, http.StatusUnauthorized, "bad_token", "invalid token")
				return
			}
			if !u.has(RoleOfficer) {
				a.log.InfoContext(r.Context(), "api_forbidden", "user", pii.Name(u.Name), "route", QueuesPrefix, "need", string(RoleOfficer))
				a.refuse(w, r, http.StatusForbidden, "role", fmt.Sprintf("the queue UI needs the %s role", RoleOfficer))
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
