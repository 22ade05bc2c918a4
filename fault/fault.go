// Package fault names the ways a request is refused that every layer of
// GridCast must tell apart — the thing asked for does not exist, the change
// conflicts with the data's current state, the input is invalid — so that
// the edges (the HTTP API, the console, the CLI) can answer each with the
// right status and words, whichever package refused.
//
// Packages wrap one of the sentinels with %w and a prefix that names what
// they were doing; callers test with errors.Is. The wrapped chain is for
// logs. It imports nothing of GridCast.
package fault

import "errors"

// ErrNotFound is wrapped by every lookup that finds nothing; the store maps
// its drivers' "no rows" to it.
var ErrNotFound = errors.New("not found")

// ErrConflict is wrapped by errors that refuse a change because of the
// data's current state: an openid bound to someone else, a segment still
// referred to, a campaign or a message moved on by another process (an
// optimistic update that lost its race).
var ErrConflict = errors.New("conflict")

// ErrInvalid is wrapped by errors that refuse bad input (a malformed name,
// an empty expression, an unknown status), so that callers answer "bad
// request" rather than "internal error".
var ErrInvalid = errors.New("invalid")
