package policy

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// testNow is the time every test request is decided at.
var testNow = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// mustNew compiles cfg or fails the test.
func mustNew(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// signedIn returns a subject at level whose factor was used age ago.
func signedIn(name string, level Level, age time.Duration, groups ...string) Subject {
	return Subject{Username: name, Groups: groups, Level: level, AuthTime: testNow.Add(-age)}
}

// newTestRequest builds a request at testNow from "host/path?query" and an IP
// (empty for none).
func newTestRequest(method, url, ip string) Request {
	host, path := url, ""
	if i := strings.IndexByte(url, '/'); i >= 0 {
		host, path = url[:i], url[i:]
	}
	var addr netip.Addr
	if ip != "" {
		addr = netip.MustParseAddr(ip)
	}
	return Request{Host: host, Path: path, Method: method, IP: addr, Time: testNow}
}

// decideLinear is Decide without the host index: every rule is tried in order and
// its domain checked by matchesHost. Tests compare it with Decide.
func decideLinear(e *Engine, s Subject, r Request) Decision {
	var buf [maxHostLen]byte
	host := string(requestHost(&buf, r.Host))
	q := newRequest(r)
	for i := range e.rules {
		if !e.rules[i].matchesHost(host) {
			continue
		}
		if v, ok := e.rules[i].decide(&q, s, s.anonymous()); ok {
			return v.Decision
		}
	}
	return verdict(e.fallback, 0, s, q.time)
}
