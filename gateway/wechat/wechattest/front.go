// Package wechattest holds what tests of WeChat clients share: the SDK's
// HTTP hooks are process-wide, so every wechat.Client in a test binary
// talks to one front server that forwards to the emulator (or sandbox) of
// the test that is running.
package wechattest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"github.com/silenceper/wechat/v2/util"
	"go.uber.org/goleak"
)

// Front is the one server a test binary's WeChat clients reach. Tests
// that install a handler on it do not run in parallel.
type Front struct {
	URL string
	h   atomic.Pointer[http.Handler]
}

// Install forwards the front to h until the test ends.
func (f *Front) Install(t testing.TB, h http.Handler) {
	f.h.Store(&h)
	t.Cleanup(func() { f.h.Store(nil) })
}

// Main runs a test binary's tests with a Front whose URL it sets first,
// then checks that no goroutine leaked, and exits.
func Main(m *testing.M, f *Front) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := f.h.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		http.Error(w, "nothing installed on the front server", http.StatusServiceUnavailable)
	}))
	f.URL = srv.URL
	code := m.Run()
	srv.Close()
	if util.DefaultHTTPClient != nil {
		util.DefaultHTTPClient.CloseIdleConnections()
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
