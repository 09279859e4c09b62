package authz

import (
	"net/http"
	"net/netip"
	"strings"
)

// hdrForwardedFor lists the client and the proxies a request passed through,
// the nearest last.
const hdrForwardedFor = "X-Forwarded-For"

// peerAddr returns the address of a connection's RemoteAddr ("ip:port"),
// unmapped and without zone.
func peerAddr(remoteAddr string) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap().WithZone(""), true
}

// clientIP returns the address of the client that the trusted peer of r asks
// about. X-Forwarded-For is read from the right, the entry its nearest proxy
// added first: the first address that is not a trusted proxy is the client; when
// every one is trusted, the leftmost is. Without X-Forwarded-For, or where an
// entry does not parse before the client was found, nothing further can be
// believed and the peer itself is the client.
//
// It is the rule the daemon's router applies to the portal's requests (a trusted
// peer, X-Forwarded-For from the right, the trusted proxies and nothing else
// trusted), written here over netip so that the hot path allocates nothing for it.
func (h *Handler) clientIP(r *http.Request) netip.Addr {
	peer, _ := peerAddr(r.RemoteAddr)
	lines := r.Header[hdrForwardedFor]
	if len(lines) == 0 {
		return peer
	}
	var leftmost netip.Addr
	for i := len(lines) - 1; i >= 0; i-- {
		line := lines[i]
		for {
			comma := strings.LastIndexByte(line, ',')
			a, ok := parseForwardedFor(line[comma+1:])
			if !ok {
				return peer
			}
			if !h.trustedAddr(a) {
				return a
			}
			leftmost = a
			if comma < 0 {
				break
			}
			line = line[:comma]
		}
	}
	return leftmost
}

// parseForwardedFor parses one X-Forwarded-For entry: an IP address, IPv6
// optionally in brackets, without port or zone. The address is unmapped.
func parseForwardedFor(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "[")
	s = strings.TrimSuffix(s, "]")
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
