package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// Prefix is the path the console is served under; a request for Prefix
// itself gets the console's page. Mount Handler with the pattern
// "GET " + Prefix.
const Prefix = "/console/"

//go:embed static/index.html static/*.js static/app.css static/manifest.webmanifest static/icon.svg
var static embed.FS

// asset is one embedded file as Handler serves it.
type asset struct {
	body        []byte
	contentType string
	etag        string
	// cache is the Cache-Control value: the page is never stored, so a
	// signed-out tab leaves nothing behind and an upgrade shows at once;
	// the script and style sheet are revalidated by their ETag.
	cache string
}

// securityHeaders go on every answer, the 404s and 405s included.
var securityHeaders = map[string]string{
	// Only this origin's own files and API: no inline script or style, no
	// plugins, no framing, forms only to this origin. Images and audio
	// may also be blob: URLs, which only the page's own script makes: the
	// photos and voice it fetched with the user's token (an <img src>
	// cannot send one) and the previews of photos about to be uploaded.
	"Content-Security-Policy": "default-src 'self'; img-src 'self' blob:; media-src 'self' blob:; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'",
	"X-Content-Type-Options":  "nosniff",
	"Referrer-Policy":         "no-referrer",
	"X-Frame-Options":         "DENY",
}

// Handler serves the console: Prefix (and Prefix+"index.html") the page,
// Prefix+"app.js" (and the other scripts of static/, one per group of
// screens) and Prefix+"app.css" its scripts and style sheet, with
// the headers above. Anything else under Prefix is 404 (there is no
// directory listing); methods other than GET and HEAD are 405. The
// handler is safe for concurrent use and holds only the embedded files.
func Handler() http.Handler {
	files := map[string]asset{}
	types := map[string]string{
		"index.html": "text/html; charset=utf-8",
		"app.css":    "text/css; charset=utf-8",
		// The web app manifest and its icon: a phone adds the console
		// to its home screen and opens it full screen.
		"manifest.webmanifest": "application/manifest+json",
		"icon.svg":             "image/svg+xml",
	}
	// app.js and the scripts of the screens it hosts (campaigns.js …).
	scripts, err := fs.Glob(static, "static/*.js")
	if err != nil {
		panic(fmt.Sprintf("console: embedded scripts: %v", err))
	}
	for _, p := range scripts {
		types[path.Base(p)] = "text/javascript; charset=utf-8"
	}
	for name, typ := range types {
		body, err := static.ReadFile("static/" + name)
		if err != nil {
			// The go:embed line above names every file: a missing one
			// does not build, so this cannot happen in a built binary.
			panic(fmt.Sprintf("console: embedded %s: %v", name, err))
		}
		sum := sha256.Sum256(body)
		a := asset{body: body, contentType: typ, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, cache: "no-cache"}
		if name == "index.html" {
			a.cache = "no-store"
		}
		files[name] = a
	}
	files[""] = files["index.html"]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range securityHeaders {
			w.Header().Set(k, v)
		}
		name, ok := strings.CutPrefix(r.URL.Path, Prefix)
		a, found := files[name]
		if !ok || !found {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", a.contentType)
		w.Header().Set("Cache-Control", a.cache)
		w.Header().Set("ETag", a.etag)
		// A zero modification time: ServeContent then sends no
		// Last-Modified and revalidates by the ETag alone.
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
	})
}
