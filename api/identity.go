package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/fault"
)

// IdentityProvider is a way into the console other than a password: an
// organisation's identity service that signs its staff in with OAuth 2.0's
// authorization code flow, as 企业微信 (WeCom) and 政务微信 do. The
// console offers one button per provider; a user signs in through it once
// an administrator has linked their account there to their GridCast user
// (IdentityLinks, `gridcast users link`).
type IdentityProvider interface {
	// Name is the provider's short name: the path segment of its routes
	// (/auth/NAME/start, /auth/NAME/callback) and the method recorded on
	// its sessions. Lower-case letters, digits and hyphens.
	Name() string
	// Title is the button's text, e.g. 企业微信登录.
	Title() string
	// AuthCodeURL is where the browser is sent to sign in, carrying state
	// and coming back to redirectURI.
	AuthCodeURL(state, redirectURI string) string
	// Exchange turns the code the browser came back with into the
	// provider's stable id of the person (企业微信's UserId).
	Exchange(ctx context.Context, code, redirectURI string) (subject string, err error)
}

// IdentityLinks finds the user a provider's subject is linked to:
// *store.Store satisfies it.
type IdentityLinks interface {
	// UserByIdentity returns the enabled user linked to subject at
	// provider, or an error wrapping fault.ErrNotFound.
	UserByIdentity(ctx context.Context, provider, subject string) (access.User, error)
}

// stateCookie carries an identity sign-in's state from start to callback.
// SameSite=Lax: the provider's redirect back is a top-level navigation
// from its site, which a Strict cookie would not follow.
const stateCookie = "gridcast_oauth_state"

// Methods are the ways into the console, as GET /api/v1/session/methods lists them
// for the sign-in page: the password form, and a button per provider.
type Methods struct {
	Password  bool           `json:"password"`
	Providers []ProviderView `json:"providers"`
}

// ProviderView is one identity provider, as GET /api/v1/session/methods lists them.
type ProviderView struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	Start string `json:"start"`
}

// mountIdentities mounts the identity providers' routes and the ways in
// the sign-in page offers (GET /api/v1/session/methods; a server without
// sessions refuses it, and the page offers the access token alone).
func (s *server) mountIdentities(route func(string, http.Handler)) {
	usable := len(s.cfg.Identities) > 0 && s.cfg.IdentityLinks != nil
	route("GET /api/v1/session/methods", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		out := Methods{Password: true, Providers: []ProviderView{}}
		for _, p := range s.cfg.Identities {
			if usable {
				out.Providers = append(out.Providers, ProviderView{Name: p.Name(), Title: p.Title(), Start: "/auth/" + p.Name() + "/start"})
			}
		}
		writeJSON(w, http.StatusOK, out)
	}))
	if !usable {
		return
	}
	byName := map[string]IdentityProvider{}
	for _, p := range s.cfg.Identities {
		byName[p.Name()] = p
	}
	route("GET /auth/{provider}/start", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := byName[r.PathValue("provider")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		state := access.NewSessionSecret()
		http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: state, Path: "/auth/" + p.Name() + "/", MaxAge: 600, HttpOnly: true,
			Secure: s.auth.sessions.secureFor(r), SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, p.AuthCodeURL(state, callbackURL(r, p)), http.StatusFound)
	}))
	route("GET /auth/{provider}/callback", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := byName[r.PathValue("provider")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		c, err := r.Cookie(stateCookie)
		state := r.URL.Query().Get("state")
		if err != nil || state == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
			s.auth.refuse(w, r, http.StatusForbidden, "bad_login", "this sign-in did not start here or took too long; start again from the console")
			return
		}
		http.SetCookie(w, &http.Cookie{Name: stateCookie, Path: "/auth/" + p.Name() + "/", MaxAge: -1})
		subject, err := p.Exchange(r.Context(), r.URL.Query().Get("code"), callbackURL(r, p))
		if err != nil {
			s.cfg.Log.WarnContext(r.Context(), "identity_exchange_failed", "provider", p.Name(), "err", err)
			s.auth.refuse(w, r, http.StatusForbidden, "bad_login", p.Title()+" did not confirm who you are; try again")
			return
		}
		u, err := s.cfg.IdentityLinks.UserByIdentity(r.Context(), p.Name(), subject)
		if err != nil {
			if !errors.Is(err, fault.ErrNotFound) {
				s.auth.usersUnavailable(w, r, err)
				return
			}
			s.auth.refuse(w, r, http.StatusForbidden, "bad_login", "your "+p.Title()+" account is not linked to a GridCast user; ask an administrator")
			return
		}
		if _, err := s.openSession(w, r, u, p.Name()); err != nil {
			s.writeError(w, r, err)
			return
		}
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
	}))
}

// callbackURL is where provider p sends the browser back: this server,
// as the browser reached it.
func callbackURL(r *http.Request, p IdentityProvider) string {
	scheme := "http"
	if overHTTPS(r) {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: "/auth/" + p.Name() + "/callback"}
	return u.String()
}
