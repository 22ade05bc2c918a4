package aliyunsms

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// ParseNetworks reads a list of IP addresses and CIDR networks
// ("47.96.1.2", "100.104.0.0/16", "2408:4000::/32"), as PushOptions.Allow
// and PushOptions.TrustedProxies take them. A bare address is a network of
// that one address. Host names are refused (nothing is resolved), and so
// is a network written with host bits set ("10.1.2.3/8"), which is almost
// always a typo; the error names each bad item by its index.
func ParseNetworks(items []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(items))
	var errs []error
	for i, raw := range items {
		s := strings.TrimSpace(raw)
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("[%d] %q: want an IP address or a CIDR network such as 100.104.0.0/16", i, raw))
			case p != p.Masked():
				errs = append(errs, fmt.Errorf("[%d] %q: the address has bits set beyond the /%d (did you mean %s?)", i, raw, p.Bits(), p.Masked()))
			default:
				out = append(out, p)
			}
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("[%d] %q: want an IP address or a CIDR network such as 100.104.0.0/16 (host names are not resolved)", i, raw))
			continue
		}
		a = a.Unmap().WithZone("")
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// inNetworks reports whether a is in one of ns.
func inNetworks(ns []netip.Prefix, a netip.Addr) bool {
	for _, n := range ns {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is the address a request came from. It is the TCP peer,
// unless the peer is one of trusted (a reverse proxy of ours): then the
// proxies' X-Forwarded-For is read from the right, each trusted proxy's
// entry skipped, and the first address no proxy of ours vouches for is the
// client — the entries left of it are whatever the client chose to send
// and are never believed. A trusted peer that names no client, or an entry
// that is not an address, is an error: the client is unknown.
func clientAddr(r *http.Request, trusted []netip.Prefix) (netip.Addr, error) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("peer address %q unreadable", r.RemoteAddr)
	}
	peer := ap.Addr().Unmap().WithZone("")
	if !inNetworks(trusted, peer) {
		return peer, nil
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		for _, f := range strings.Split(h, ",") {
			if f = strings.TrimSpace(f); f != "" {
				hops = append(hops, f)
			}
		}
	}
	if len(hops) == 0 {
		return netip.Addr{}, errors.New("a trusted proxy forwarded the request without X-Forwarded-For")
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := parseHop(hops[i])
		if err != nil {
			return netip.Addr{}, err
		}
		client = a
		if !inNetworks(trusted, a) {
			break
		}
	}
	return client, nil
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a
// port ("203.0.113.7:5211", "[2001:db8::1]:443").
func parseHop(s string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), nil
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), nil
	}
	return netip.Addr{}, fmt.Errorf("X-Forwarded-For entry %q is not an address", s)
}
