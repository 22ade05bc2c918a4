// Package console is the grid workers' web console: a ticket inbox, a
// ticket with its conversation, timeline and actions (reply, start,
// resolve, close, reopen, reassign, merge), its photos and voice, its
// departments' tasks with the dispatch form and 督办; a form to report an
// event from a phone (photos from the camera, the position); a
// department's open tasks; the unknown senders and a campaign's sign-up
// list; the worker's month — the visit register with its record form
// (走访), a resident's living record and its history, and the 考核 scores
// with their export — as static HTML, CSS and JavaScript embedded in the
// binary and served by Handler under Prefix.
//
// The console holds no data and no secrets of its own. It runs in the
// browser and calls the JSON API under /api/v1 on the same origin, sending
// the worker's bearer token (kept in the tab's sessionStorage; only the
// worker code of the visit register is kept in localStorage) or, when the
// API runs without authentication on this host, the name the worker types
// as the actions' by. Everything it shows is what the API returns, already
// masked; the console never unmasks.
//
// There is no build step and nothing is fetched from elsewhere (no CDN, no
// web fonts, no map tiles), so it works on an intranet with no way out.
// The pages load no inline script or style, so the
// Content-Security-Policy that Handler sends can be default-src 'self';
// images and audio may also come from blob: URLs, which only the page's
// own script makes (photos fetched with the worker's token, previews of
// photos about to be uploaded).
package console
