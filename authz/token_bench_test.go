package authz

import (
	"net/http"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/token"
)

// BenchmarkForwardAuthToken is one check let through by a Bearer token on a
// rule with tokens: allow: the token path's cost beside BenchmarkForwardAuth's
// cookie path.
func BenchmarkForwardAuthToken(b *testing.B) {
	ft := &fakeTokens{byID: map[string]token.Token{}}
	scope := token.Scope{Hosts: []string{"dav.example.com"}}
	text, tok, err := token.Mint("alice", "phone", scope, testNow, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	tok.LastUsedAt = testNow // no write on every check
	ft.byID[tok.ID] = tok
	h, err := newHandler(Config{TrustedProxies: []string{"192.0.2.0/24"}}, &fakeSessions{}, tokenPolicy(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	h.now = func() time.Time { return testNow }
	h.EnableTokens(ft, Regulation{MaxFailures: 5, Window: time.Minute, Ban: time.Minute}, nil)
	d := forwardAuthDialect
	hdr := d.header("GET", "https://dav.example.com/cal/home")
	hdr.Set("Authorization", "Bearer "+text)
	r := checkRequest(d, proxyAddr, hdr, "")
	w := &discardWriter{header: http.Header{}}
	e := echo.New()
	h.Register(e)
	b.ReportAllocs()
	for b.Loop() {
		clear(w.header)
		e.ServeHTTP(w, r)
		if w.status != http.StatusOK {
			b.Fatalf("got status %d, want 200", w.status)
		}
	}
}
