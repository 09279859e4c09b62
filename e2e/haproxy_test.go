package e2e

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/keygate/keygate/internal/testenv"
)

// startHAProxy runs deploy/haproxy/haproxy.cfg, which loads deploy/haproxy/keygate.lua
// as it is, with exactly the substitutions that deploy/README.md documents.
func startHAProxy(t *testing.T, keygateAddr, upstreamAddr string, pki testenv.PKI) proxy {
	t.Helper()
	return startHAProxyWith(t, keygateAddr, upstreamAddr, deployPath(t, "haproxy/keygate.lua"), pki)
}

// startHAProxyWith is startHAProxy with the Lua script at lua in place of keygate.lua.
func startHAProxyWith(t *testing.T, keygateAddr, upstreamAddr, lua string, pki testenv.PKI) proxy {
	t.Helper()
	p := proxy{name: "haproxy", https: loopback(t), http: loopback(t), http2: true,
		postStatus: http.StatusSeeOther, apiStatus: http.StatusUnauthorized}
	pairs := []string{
		"127.0.0.1:9091", keygateAddr,
		"127.0.0.1:8080", upstreamAddr,
		"bind :443 ssl", "bind " + p.https + " ssl",
		"bind :80", "bind " + p.http,
		"/etc/haproxy/certs/example.com.pem", pki.BundleFile,
		"/etc/haproxy/keygate.lua", lua,
	}
	testenv.HAProxy(t, deployed(t, "haproxy/haproxy.cfg", pairs), p.https, p.http)
	return p
}

// standIn takes Keygate's place behind HAProxy: it answers each check as the
// original request's path (X-Forwarded-Uri) says, and keeps the checks it got.
//
//	/status/N    status N, nothing else
//	/redirect/N  status N with a Location
//	/slow        no answer until HAProxy gives up
//	anything else: 200 with carol's four identity headers
type standIn struct {
	mu     sync.Mutex
	checks map[string]http.Header // by X-Forwarded-Uri
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	uri := r.Header.Get("X-Forwarded-Uri")
	s.mu.Lock()
	s.checks[uri] = r.Header.Clone()
	s.mu.Unlock()
	path, _, _ := strings.Cut(uri, "?")
	switch {
	case path == "/slow":
		<-r.Context().Done()
	case strings.HasPrefix(path, "/status/"):
		w.WriteHeader(atoi(strings.TrimPrefix(path, "/status/")))
	case strings.HasPrefix(path, "/redirect/"):
		w.Header().Set("Location", portalURL+"/?rd=x")
		w.Header().Set("WWW-Authenticate", `Basic realm="Keygate"`)
		w.WriteHeader(atoi(strings.TrimPrefix(path, "/redirect/")))
	default:
		for name, values := range wantIdentity(carol) {
			w.Header()[name] = values
		}
	}
}

func (s *standIn) check(t *testing.T, uri string) http.Header {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.checks[uri]
	if !ok {
		t.Fatalf("Keygate's stand-in got no check with X-Forwarded-Uri %q", uri)
	}
	return h
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return http.StatusTeapot
	}
	return n
}

// brokenLua registers an action of keygate.lua's name that fails as a script with
// a bug would.
const brokenLua = `core.register_action("keygate", { "http-req" }, function(txn, address)
	error("broken on purpose")
end, 1)
`

// carol is the identity the stand-in answers with; she is in no users file.
var carol = account{username: "carol", displayName: "Carol Danvers", email: "carol@example.com", groups: "ops"}

// TestHAProxyFailsClosed covers what deploy/haproxy/keygate.lua does with answers
// that a healthy Keygate does not give, which nginx and Caddy handle by their own
// code: HAProxy runs in front of a stand-in for Keygate, and in front of nothing.
// Every answer but 2xx, 302, 303, 401 (with a Location) and 403 must become a 500
// that never reaches the upstream, and so must a check script that breaks (the
// deny rule after the action in haproxy.cfg: without it HAProxy goes on to the
// application). The check itself must describe the request as HAProxy received
// it, whatever the client claims.
func TestHAProxyFailsClosed(t *testing.T) {
	pki := testenv.NewPKI(t, "example.com", "*.example.com")
	upstream := httptest.NewServer(http.HandlerFunc(echoHandler))
	t.Cleanup(upstream.Close)
	upstreamAddr := strings.TrimPrefix(upstream.URL, "http://")
	stand := &standIn{checks: map[string]http.Header{}}
	keygate := httptest.NewServer(stand)
	t.Cleanup(keygate.Close)
	behind := startHAProxy(t, strings.TrimPrefix(keygate.URL, "http://"), upstreamAddr, pki)
	// Nothing listens at the address this one asks.
	alone := startHAProxy(t, loopback(t), upstreamAddr, pki)
	brokenFile := filepath.Join(t.TempDir(), "broken.lua")
	writeFile(t, brokenFile, brokenLua)
	broken := startHAProxyWith(t, strings.TrimPrefix(keygate.URL, "http://"), upstreamAddr, brokenFile, pki)

	cases := []struct {
		name   string
		p      proxy
		target string
		want   int
	}{
		{"Keygate error", behind, "/status/500", http.StatusInternalServerError},
		{"bad request", behind, "/status/400", http.StatusInternalServerError},
		{"not found", behind, "/status/404", http.StatusInternalServerError},
		{"redirect 307", behind, "/redirect/307", http.StatusInternalServerError},
		{"302 without Location", behind, "/status/302", http.StatusInternalServerError},
		{"401 without Location", behind, "/status/401", http.StatusInternalServerError},
		{"302", behind, "/redirect/302", http.StatusFound},
		{"401", behind, "/redirect/401", http.StatusUnauthorized},
		{"403", behind, "/status/403", http.StatusForbidden},
		{"204 without identity", behind, "/status/204", http.StatusOK},
		{"Keygate silent", behind, "/slow", http.StatusInternalServerError},
		{"Keygate unreachable", alone, "/private", http.StatusInternalServerError},
		{"check script broken", broken, "/private", http.StatusInternalServerError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // the last two take seconds: HAProxy 2.6's httpclient retries
			ans := do(t, newClient(t, tc.p, pki), request{url: appURL + tc.target, header: forgedIdentity()})
			if ans.status != tc.want {
				t.Fatalf("got status %d (body %.200q), want %d", ans.status, ans.body, tc.want)
			}
			switch tc.want {
			case http.StatusOK:
				if e := ans.upstream(t); !e.anonymous() {
					t.Errorf("upstream got identity headers %v, want only empty ones", e.identity())
				}
			case http.StatusFound, http.StatusUnauthorized:
				if got := ans.header.Get("Location"); got != portalURL+"/?rd=x" {
					t.Errorf("got Location %q, want Keygate's %q", got, portalURL+"/?rd=x")
				}
			}
			challenge := ans.header.Get("WWW-Authenticate")
			if wantChallenge := tc.want == http.StatusUnauthorized; (challenge != "") != wantChallenge {
				t.Errorf("got WWW-Authenticate %q; want Keygate's only on 401", challenge)
			}
		})
	}
	t.Run("check request", func(t *testing.T) {
		t.Parallel()
		forged := forgedOriginalRequest()
		forged.Set("X-Forwarded-For", "203.0.113.7")
		for name, values := range forgedIdentity() {
			forged[name] = values
		}
		forged["Cookie"] = []string{"keygate_session=abc", "other=1"}
		forged.Set("Accept", "application/json")
		target := "/check/me?a=1&b=%2F"
		e := do(t, newClient(t, behind, pki), request{method: http.MethodPut, url: appURL + target, header: forged, body: "{}"}).upstream(t)
		if diff := cmp.Diff(wantIdentity(carol), e.identity()); diff != "" {
			t.Errorf("identity headers at the upstream (-want +got):\n%s", diff)
		}
		got := stand.check(t, target)
		want := map[string]string{
			"X-Forwarded-Method": "PUT",
			"X-Forwarded-Proto":  "https",
			"X-Forwarded-Host":   "app.example.com",
			"X-Forwarded-Uri":    target,
			"X-Forwarded-For":    "127.0.0.1",
			"Cookie":             "keygate_session=abc; other=1",
			"Accept":             "application/json",
			"X-Original-Url":     "",
			"Remote-User":        "",
			"Remote_user":        "",
		}
		for name, value := range want {
			if g := strings.Join(got.Values(name), " | "); g != value {
				t.Errorf("the check carried %s %q, want %q", name, g, value)
			}
		}
	})
}
