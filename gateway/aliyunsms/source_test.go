package aliyunsms

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseNetworks(t *testing.T) {
	t.Parallel()
	got, err := ParseNetworks([]string{"203.0.113.7", " 198.51.100.0/24 ", "2001:db8::/32", "::ffff:192.0.2.1", "fe80::1%eth0"})
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("203.0.113.7/32"), netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("192.0.2.1/32"), netip.MustParsePrefix("fe80::1/128")}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if got, err := ParseNetworks(nil); err != nil || len(got) != 0 {
		t.Errorf("empty list: %v, %v", got, err)
	}
	_, err = ParseNetworks([]string{"10.0.0.0/8", "dysmsapi.aliyuncs.com", "10.1.2.3/8", "10.0.0.0/33", ""})
	if err == nil {
		t.Fatal("bad entries taken")
	}
	for _, want := range []string{`[1] "dysmsapi.aliyuncs.com": want an IP address or a CIDR network`, "host names are not resolved",
		`[2] "10.1.2.3/8": the address has bits set beyond the /8 (did you mean 10.0.0.0/8?)`, `[3] "10.0.0.0/33"`, `[4] ""`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "[0]") {
		t.Errorf("error %q blames the good entry", err)
	}
}

func TestClientAddr(t *testing.T) {
	t.Parallel()
	trusted, err := ParseNetworks([]string{"127.0.0.1", "10.0.0.0/8", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		peer    string
		xff     []string
		trusted []netip.Prefix
		want    string // "" = error
	}{
		{"peer, nothing trusted", "203.0.113.7:4711", nil, nil, "203.0.113.7"},
		{"a forged header from an untrusted peer is ignored", "203.0.113.7:4711", []string{"198.51.100.1"}, trusted, "203.0.113.7"},
		{"header ignored when no proxy is trusted", "127.0.0.1:5000", []string{"198.51.100.1"}, nil, "127.0.0.1"},
		{"trusted proxy names the client", "127.0.0.1:5000", []string{"198.51.100.1"}, trusted, "198.51.100.1"},
		{"client's own entries left of it are not believed", "127.0.0.1:5000", []string{"192.0.2.99, 198.51.100.1"}, trusted, "198.51.100.1"},
		{"a chain of trusted proxies", "127.0.0.1:5000", []string{"198.51.100.1, 10.1.2.3", "10.4.5.6"}, trusted, "198.51.100.1"},
		{"every hop trusted: the first", "127.0.0.1:5000", []string{"10.9.9.9, 10.1.2.3"}, trusted, "10.9.9.9"},
		{"entry with a port", "127.0.0.1:5000", []string{"198.51.100.1:6553"}, trusted, "198.51.100.1"},
		{"IPv6 peer and client", "[::1]:5000", []string{"[2001:db8::7]:443"}, trusted, "2001:db8::7"},
		{"IPv4-mapped peer", "[::ffff:127.0.0.1]:5000", []string{"198.51.100.1"}, trusted, "198.51.100.1"},
		{"trusted proxy without the header", "127.0.0.1:5000", nil, trusted, ""},
		{"garbage entry", "127.0.0.1:5000", []string{"unknown"}, trusted, ""},
		{"unreadable peer", "pipe", nil, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/aliyun/sms/up", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			got, err := clientAddr(r, tc.trusted)
			switch {
			case tc.want == "" && err == nil:
				t.Errorf("got %s, want an error", got)
			case tc.want != "" && (err != nil || got != netip.MustParseAddr(tc.want)):
				t.Errorf("got %s, %v; want %s", got, err, tc.want)
			}
		})
	}
}
