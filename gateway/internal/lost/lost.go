// Package lost lets the provider emulators lose an answer: do the work,
// then drop the connection without a reply, as a network does to an
// answer on its way back.
package lost

import "net/http"

// Discard is a ResponseWriter that keeps nothing: the answer that is
// never delivered.
type Discard struct{}

func (Discard) Header() http.Header         { return http.Header{} }
func (Discard) Write(b []byte) (int, error) { return len(b), nil }
func (Discard) WriteHeader(int)             {}

// Drop closes the client's connection without an answer.
func Drop(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
		return
	}
	panic(http.ErrAbortHandler) // HTTP/2: abort the stream
}
