package authz

import (
	"net"
	"net/http"
	"net/netip"
	"testing"

	"github.com/labstack/echo/v4"
)

// ipTestTrusted are the trusted proxies of the client-IP tests.
var ipTestTrusted = []string{"192.0.2.0/24", "2001:db8::/32"}

func newIPTestHandler(t testing.TB) *Handler {
	t.Helper()
	h, err := newHandler(Config{TrustedProxies: ipTestTrusted}, &fakeSessions{}, &fakeDecider{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// routerIP is the client IP the daemon's router extracts (cmd/keygate's newEcho),
// as authz used to read it: parsed, unmapped, no IP when it does not parse.
func routerIP(t testing.TB) func(r *http.Request) netip.Addr {
	t.Helper()
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, s := range ipTestTrusted {
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, echo.TrustIPRange(n))
	}
	extract := echo.ExtractIPFromXFFHeader(opts...)
	return func(r *http.Request) netip.Addr {
		a, err := netip.ParseAddr(extract(r))
		if err != nil {
			return netip.Addr{}
		}
		return a.Unmap().WithZone("")
	}
}

func TestClientIPFromForwardedFor(t *testing.T) {
	tests := []struct {
		name string
		peer string
		xff  []string
		want string // "" for no IP
	}{
		{"no header: the peer", proxyAddr, nil, "192.0.2.10"},
		{"one client", proxyAddr, []string{"198.51.100.7"}, "198.51.100.7"},
		{"nearest untrusted wins", proxyAddr, []string{"203.0.113.1, 198.51.100.7, 192.0.2.20"}, "198.51.100.7"},
		{"over several header lines", proxyAddr, []string{"203.0.113.1", "198.51.100.7", "192.0.2.20, 192.0.2.21"}, "198.51.100.7"},
		{"all trusted: the leftmost", proxyAddr, []string{"192.0.2.30, 192.0.2.20"}, "192.0.2.30"},
		{"spaces and brackets", proxyAddr, []string{" [2001:db9::1] ,\t192.0.2.20 "}, "2001:db9::1"},
		{"mapped IPv4", proxyAddr, []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
		{"trusted IPv6 proxy", "[2001:db8::5]:443", []string{"198.51.100.7, 2001:db8::9"}, "198.51.100.7"},
		{"garbage nearest: the peer", proxyAddr, []string{"198.51.100.7, unknown"}, "192.0.2.10"},
		{"garbage beyond the client is never read", proxyAddr, []string{"unknown, 198.51.100.7"}, "198.51.100.7"},
		{"empty entry: the peer", proxyAddr, []string{"198.51.100.7,"}, "192.0.2.10"},
		{"empty header: the peer", proxyAddr, []string{""}, "192.0.2.10"},
		{"zone: the peer", proxyAddr, []string{"fe80::1%eth0"}, "192.0.2.10"},
		{"port: the peer", proxyAddr, []string{"198.51.100.7:1234"}, "192.0.2.10"},
		{"leading zeros: the peer", proxyAddr, []string{"010.0.0.1"}, "192.0.2.10"},
	}
	h, router := newIPTestHandler(t), routerIP(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: tc.peer, Header: http.Header{}}
			if tc.xff != nil {
				r.Header[hdrForwardedFor] = tc.xff
			}
			var want netip.Addr
			if tc.want != "" {
				want = netip.MustParseAddr(tc.want)
			}
			if got := h.clientIP(r); got != want {
				t.Errorf("clientIP = %v, want %v", got, want)
			}
			if got := router(r); got != want {
				t.Errorf("the router's extractor gives %v, want %v: the two rules differ", got, want)
			}
		})
	}
}

// FuzzClientIP checks that authz reads X-Forwarded-For exactly as the daemon's
// router does.
func FuzzClientIP(f *testing.F) {
	for _, s := range []string{"", "198.51.100.7", "1.2.3.4, 192.0.2.1", "[::1],x", "::ffff:1.2.3.4", " , "} {
		f.Add(s, "192.0.2.9", true)
	}
	h, router := newIPTestHandler(f), routerIP(f)
	f.Fuzz(func(t *testing.T, xff, second string, ipv6Peer bool) {
		r := &http.Request{RemoteAddr: proxyAddr, Header: http.Header{hdrForwardedFor: {xff, second}}}
		if ipv6Peer {
			r.RemoteAddr = "[2001:db8::5]:443"
		}
		if got, want := h.clientIP(r), router(r); got != want {
			t.Fatalf("X-Forwarded-For %q, %q: clientIP = %v, the router's = %v", xff, second, got, want)
		}
	})
}

func TestClientIPAllocs(t *testing.T) {
	h := newIPTestHandler(t)
	r := &http.Request{RemoteAddr: proxyAddr, Header: http.Header{hdrForwardedFor: {"203.0.113.1, 198.51.100.7, 192.0.2.20"}}}
	if got := testing.AllocsPerRun(100, func() { h.clientIP(r) }); got != 0 {
		t.Errorf("allocations per clientIP = %v, want 0", got)
	}
}
