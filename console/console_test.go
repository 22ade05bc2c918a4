package console_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/console"
)

// want is what an answer of the console's handler must carry.
type want struct {
	Code        int
	ContentType string
	Cache       string
	Body        string // a part of the body; "" for none expected
}

func TestHandler(t *testing.T) {
	t.Parallel()
	h := console.Handler()
	page := want{200, "text/html; charset=utf-8", "no-store", `<script src="app.js" defer></script>`}
	notFound := want{404, "text/plain; charset=utf-8", "", "404 page not found"}
	for _, tc := range []struct {
		method, path string
		want         want
	}{
		{"GET", "/console/", page},
		{"GET", "/console/index.html", page},
		{"HEAD", "/console/", want{200, "text/html; charset=utf-8", "no-store", ""}},
		{"GET", "/console/app.js", want{200, "text/javascript; charset=utf-8", "no-cache", "'use strict';"}},
		{"GET", "/console/app.css", want{200, "text/css; charset=utf-8", "no-cache", ":root {"}},
		// The home screen: the manifest names the console and opens it full screen.
		{"GET", "/console/manifest.webmanifest", want{200, "application/manifest+json", "no-cache", `"start_url": "/console/"`}},
		{"GET", "/console/icon.svg", want{200, "image/svg+xml", "no-cache", "<svg"}},
		// Nothing else: no other file, no directory listing, no way out.
		{"GET", "/console/nope.js", notFound},
		{"GET", "/console/static/", notFound},
		{"GET", "/console/static/app.js", notFound},
		{"GET", "/console/.", notFound},
		{"GET", "/console/..%2fconsole.go", notFound},
		{"GET", "/console/console.go", notFound},
		{"GET", "/console/app.js/", notFound},
		{"GET", "/elsewhere/app.js", notFound},
		{"POST", "/console/", want{405, "text/plain; charset=utf-8", "", "Method Not Allowed"}},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)
			got := want{res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"), ""}
			if tc.want.Body != "" && strings.Contains(string(body), tc.want.Body) {
				got.Body = tc.want.Body
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s\nbody: %.200s", diff, body)
			}
			if tc.method == "HEAD" && len(body) != 0 {
				t.Errorf("HEAD answered a body of %d bytes", len(body))
			}
			// Every answer, refusals included, carries the safe headers.
			sec := map[string]string{}
			for _, k := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"} {
				sec[k] = res.Header.Get(k)
			}
			wantSec := map[string]string{
				"Content-Security-Policy": "default-src 'self'; img-src 'self' blob:; media-src 'self' blob:; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'",
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
				"X-Frame-Options":         "DENY",
			}
			if diff := cmp.Diff(wantSec, sec); diff != "" {
				t.Errorf("security headers (-want +got)\n%s", diff)
			}
		})
	}
}

// A browser that has the script revalidates it by its ETag and gets 304.
func TestHandlerRevalidates(t *testing.T) {
	t.Parallel()
	h := console.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/console/app.js", nil))
	etag := rec.Result().Header.Get("ETag")
	if !regexp.MustCompile(`^"[0-9a-f]{32}"$`).MatchString(etag) {
		t.Fatalf("ETag %q, want a quoted hash", etag)
	}
	req := httptest.NewRequest("GET", "/console/app.js", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("revalidation: %d with %d bytes, want 304 and none", rec.Code, rec.Body.Len())
	}
}

// The files must work under the Content-Security-Policy above and on an
// intranet with no way out: no inline script, style or handler, nothing
// loaded from another origin, and API data never written as HTML.
func TestAssetsSelfContained(t *testing.T) {
	t.Parallel()
	h := console.Handler()
	get := func(name string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", console.Prefix+name, nil))
		if rec.Code != 200 {
			t.Fatalf("%s: %d", name, rec.Code)
		}
		return rec.Body.String()
	}
	html, js, css := get("index.html"), get("app.js"), get("app.css")
	for _, tc := range []struct {
		file, text string
		bad        *regexp.Regexp
		why        string
	}{
		{"index.html", html, regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`), "an inline script"},
		{"index.html", html, regexp.MustCompile(`<style`), "an inline style sheet"},
		{"index.html", html, regexp.MustCompile(`\sstyle\s*=`), "a style attribute"},
		{"index.html", html, regexp.MustCompile(`\son[a-z]+\s*=`), "an inline event handler"},
		{"index.html", html, regexp.MustCompile(`(?i)(?:src|href)\s*=\s*"(?:https?:)?//`), "a resource of another origin"},
		{"app.css", css, regexp.MustCompile(`(?i)@import|url\(`), "an import or a fetched resource"},
		{"app.js", js, regexp.MustCompile(`(?i)https?://`), "an absolute URL"},
		{"app.js", js, regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function`), "HTML written from strings, or eval"},
		// Only the worker code of the register is kept beyond the tab; the
		// token stays in sessionStorage.
		{"app.js", regexp.MustCompile(`window\.localStorage\.(?:get|set)Item\(WORKER_KEY[,)]`).ReplaceAllString(js, ""),
			regexp.MustCompile(`localStorage`), "something other than the worker code kept beyond the tab (the token: sessionStorage only)"},
	} {
		if m := tc.bad.FindString(tc.text); m != "" {
			t.Errorf("%s has %s: %q", tc.file, tc.why, m)
		}
	}
	for _, tag := range regexp.MustCompile(`<script\b[^>]*>`).FindAllString(html, -1) {
		if !strings.Contains(tag, ` src="`) {
			t.Errorf("index.html has a script without src: %s", tag)
		}
	}
	if !strings.Contains(js, "fetch(API + path") || strings.Count(js, "fetch(") != 1 {
		t.Errorf("app.js should call the network in one place, api(), with paths under /api/v1")
	}
}
