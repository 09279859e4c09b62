package authz

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/policy"
	"github.com/keygate/keygate/session"
)

// dialect builds check requests for one endpoint.
type dialect struct {
	name   string
	path   string
	header func(method, rawURL string) http.Header
}

var (
	forwardAuthDialect = dialect{"forward-auth", "/api/authz/forward-auth", forwardedHeader}
	authRequestDialect = dialect{"auth-request", "/api/authz/auth-request", originalHeader}
	dialects           = []dialect{forwardAuthDialect, authRequestDialect}
)

// forwardedHeader describes the original request as forward-auth proxies do.
func forwardedHeader(method, rawURL string) http.Header {
	proto, rest, _ := strings.Cut(rawURL, "://")
	i := strings.IndexByte(rest, '/')
	h := http.Header{}
	h.Set("X-Forwarded-Method", method)
	h.Set("X-Forwarded-Proto", proto)
	h.Set("X-Forwarded-Host", rest[:i])
	h.Set("X-Forwarded-Uri", rest[i:])
	return h
}

// originalHeader describes the original request as the nginx configuration does.
func originalHeader(method, rawURL string) http.Header {
	h := http.Header{}
	h.Set("X-Original-Method", method)
	h.Set("X-Original-URL", rawURL)
	return h
}

// checkRequest is one question to an endpoint from peer, carrying cookie when set.
func checkRequest(d dialect, peer string, h http.Header, cookie string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, d.path, nil)
	r.RemoteAddr = peer
	for k, v := range h {
		r.Header[k] = v
	}
	if cookie != "" {
		r.AddCookie(&http.Cookie{Name: cookieName, Value: cookie})
	}
	return r
}

func serve(e *echo.Echo, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	return w
}

// identityHeaders returns the identity headers of an answer (the four and
// Remote-AMR); a missing one is reported as "<missing>".
func identityHeaders(h http.Header) map[string]string {
	got := map[string]string{}
	for _, k := range []string{"Remote-User", "Remote-Groups", "Remote-Email", "Remote-Name", "Remote-AMR"} {
		v, ok := h[http.CanonicalHeaderKey(k)]
		switch {
		case !ok:
			got[k] = "<missing>"
		case len(v) != 1:
			got[k] = "<repeated>"
		default:
			got[k] = v[0]
		}
	}
	return got
}

var (
	aliceHeaders = map[string]string{
		"Remote-User": "alice", "Remote-Groups": "admins,dev",
		"Remote-Email": "alice@example.com", "Remote-Name": "Alice Liddell",
		"Remote-AMR": "pwd,swk,mfa",
	}
	emptyHeaders = map[string]string{
		"Remote-User": "", "Remote-Groups": "", "Remote-Email": "", "Remote-Name": "", "Remote-AMR": "",
	}
	noHeaders = map[string]string{
		"Remote-User": "<missing>", "Remote-Groups": "<missing>",
		"Remote-Email": "<missing>", "Remote-Name": "<missing>", "Remote-AMR": "<missing>",
	}
)

func TestDecisions(t *testing.T) {
	const appURL = "https://app.example.com/docs?a=1"
	const login = "https://auth.example.com/?rd=https%3A%2F%2Fapp.example.com%2Fdocs%3Fa%3D1"
	tests := []struct {
		name         string
		dialect      dialect
		cookie       string
		decision     policy.Decision
		wantStatus   int
		wantIdentity map[string]string
		wantLocation string
	}{
		{"fa allow signed in", forwardAuthDialect, "alice", policy.Allow, 200, aliceHeaders, ""},
		{"ar allow signed in", authRequestDialect, "alice", policy.Allow, 200, aliceHeaders, ""},
		{"fa allow anonymous", forwardAuthDialect, "", policy.Allow, 200, emptyHeaders, ""},
		{"ar allow anonymous", authRequestDialect, "", policy.Allow, 200, emptyHeaders, ""},
		{"fa allow unknown cookie", forwardAuthDialect, "stale", policy.Allow, 200, emptyHeaders, ""},
		{"fa deny", forwardAuthDialect, "alice", policy.Deny, 403, noHeaders, ""},
		{"ar deny", authRequestDialect, "alice", policy.Deny, 403, noHeaders, ""},
		{"fa unknown decision denies", forwardAuthDialect, "alice", policy.Decision(99), 403, noHeaders, ""},
		{"fa authenticate", forwardAuthDialect, "", policy.Authenticate, 302, noHeaders, login},
		{"ar authenticate", authRequestDialect, "", policy.Authenticate, 401, noHeaders, login},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := &fakeSessions{byID: map[string]*session.Session{"alice": alice()}}
			e, _ := newTestEcho(t, fs, &fakeDecider{decision: tt.decision})
			h := tt.dialect.header(http.MethodGet, appURL)
			h.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
			w := serve(e, checkRequest(tt.dialect, proxyAddr, h, tt.cookie))
			if w.Code != tt.wantStatus {
				t.Fatalf("got status %d, want %d (body %q)", w.Code, tt.wantStatus, w.Body)
			}
			if diff := cmp.Diff(tt.wantIdentity, identityHeaders(w.Header())); diff != "" {
				t.Errorf("identity headers (-want +got):\n%s", diff)
			}
			if got := w.Header().Get("Location"); got != tt.wantLocation {
				t.Errorf("got Location %q, want %q", got, tt.wantLocation)
			}
			if _, writes := fs.counts(); writes != 0 {
				t.Errorf("got %d session writes, want 0", writes)
			}
		})
	}
}

func TestUntrustedPeer(t *testing.T) {
	for _, d := range dialects {
		for _, peer := range []string{strangerAddr, "[2001:db8::1]:5000", "@", "", "192.0.2.10"} {
			t.Run(d.name+" "+peer, func(t *testing.T) {
				fs := &fakeSessions{byID: map[string]*session.Session{"alice": alice()}}
				dec := &fakeDecider{decision: policy.Allow}
				e, logs := newTestEcho(t, fs, dec)
				w := serve(e, checkRequest(d, peer, d.header("GET", "https://app.example.com/"), "alice"))
				if w.Code != http.StatusForbidden {
					t.Errorf("got status %d, want 403", w.Code)
				}
				if loads, _ := fs.counts(); loads != 0 || dec.calls != 0 {
					t.Errorf("got %d loads and %d decisions, want none", loads, dec.calls)
				}
				if diff := cmp.Diff(noHeaders, identityHeaders(w.Header())); diff != "" {
					t.Errorf("identity headers (-want +got):\n%s", diff)
				}
				if !strings.Contains(logs.String(), "untrusted peer") {
					t.Errorf("got log %q, want a warning about the untrusted peer", logs)
				}
			})
		}
	}
}

func TestTrustedPeerForms(t *testing.T) {
	for _, peer := range []string{proxyAddr, "[::ffff:192.0.2.10]:40000"} {
		t.Run(peer, func(t *testing.T) {
			e, _ := newTestEcho(t, &fakeSessions{}, &fakeDecider{decision: policy.Allow})
			d := forwardAuthDialect
			w := serve(e, checkRequest(d, peer, d.header("GET", "https://app.example.com/"), ""))
			if w.Code != http.StatusOK {
				t.Errorf("got status %d, want 200", w.Code)
			}
		})
	}
}

func TestStoreErrorFailsClosed(t *testing.T) {
	for _, d := range dialects {
		for _, decision := range []policy.Decision{policy.Allow, policy.Authenticate} {
			t.Run(d.name+" "+decision.String(), func(t *testing.T) {
				fs := &fakeSessions{err: errors.New("connection refused")}
				dec := &fakeDecider{decision: decision}
				e, logs := newTestEcho(t, fs, dec)
				w := serve(e, checkRequest(d, proxyAddr, d.header("GET", "https://app.example.com/"), "alice"))
				if w.Code != http.StatusInternalServerError {
					t.Errorf("got status %d, want 500", w.Code)
				}
				if dec.calls != 0 {
					t.Errorf("got %d decisions, want none after a store error", dec.calls)
				}
				if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
					t.Errorf("got %d error log lines, want 1:\n%s", n, logs)
				}
				if strings.Contains(w.Body.String(), "connection refused") {
					t.Errorf("body %q leaks the cause", w.Body)
				}
			})
		}
	}
}

func TestIdentityHeadersOnRequestIgnored(t *testing.T) {
	forged := map[string]string{
		"Remote-User": "mallory", "Remote-Groups": "admins",
		"Remote-Email": "mallory@example.net", "Remote-Name": "Mallory",
	}
	for _, d := range dialects {
		for _, tt := range []struct {
			cookie string
			want   map[string]string
		}{{"", emptyHeaders}, {"alice", aliceHeaders}} {
			t.Run(d.name+" cookie="+tt.cookie, func(t *testing.T) {
				fs := &fakeSessions{byID: map[string]*session.Session{"alice": alice()}}
				dec := &fakeDecider{decision: policy.Allow}
				e, _ := newTestEcho(t, fs, dec)
				h := d.header("GET", "https://app.example.com/")
				for k, v := range forged {
					h.Set(k, v)
				}
				w := serve(e, checkRequest(d, proxyAddr, h, tt.cookie))
				if diff := cmp.Diff(tt.want, identityHeaders(w.Header())); diff != "" {
					t.Errorf("identity headers (-want +got):\n%s", diff)
				}
				if dec.subject.Username != tt.want["Remote-User"] {
					t.Errorf("got policy subject %q, want %q", dec.subject.Username, tt.want["Remote-User"])
				}
			})
		}
	}
}

func TestForwardAuthIgnoresOriginalURL(t *testing.T) {
	fs := &fakeSessions{}
	dec := &fakeDecider{decision: policy.Allow}
	e, _ := newTestEcho(t, fs, dec)
	h := forwardedHeader("GET", "https://app.example.com/public")
	h.Set("X-Original-URL", "https://admin.example.com/secret")
	h.Set("X-Original-Method", "DELETE")
	w := serve(e, checkRequest(forwardAuthDialect, proxyAddr, h, ""))
	if w.Code != http.StatusOK {
		t.Fatalf("got status %d, want 200", w.Code)
	}
	got := [3]string{dec.request.Host, dec.request.Path, dec.request.Method}
	if want := [3]string{"app.example.com", "/public", "GET"}; got != want {
		t.Errorf("got policy request %q, want %q", got, want)
	}
}

func TestPolicyInput(t *testing.T) {
	wantSubject := policy.Subject{
		Username: "alice", Groups: []string{"admins", "dev"},
		Level: policy.LevelTwoFactor, AuthTime: testNow.Add(-time.Minute),
	}
	wantRequest := policy.Request{
		Host: "app.example.com", Path: "/x/y?z=1", Method: "POST",
		IP: netip.MustParseAddr(clientIP), Time: testNow,
	}
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			fs := &fakeSessions{byID: map[string]*session.Session{"alice": alice()}}
			dec := &fakeDecider{decision: policy.Allow}
			e, _ := newTestEcho(t, fs, dec)
			h := d.header("post", "https://App.Example.COM.:8443/x/y?z=1")
			h.Set("X-Forwarded-For", clientIP)
			serve(e, checkRequest(d, proxyAddr, h, "alice"))
			if diff := cmp.Diff(wantSubject, dec.subject); diff != "" {
				t.Errorf("subject (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantRequest, dec.request, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			if fs.loadHost != "app.example.com" {
				t.Errorf("got Load for host %q, want app.example.com", fs.loadHost)
			}
		})
	}
}

func TestLevelNoneIsAnonymous(t *testing.T) {
	fs := &fakeSessions{byID: map[string]*session.Session{
		"bare": {Username: "bob", Email: "bob@example.com", Domain: "example.com"},
	}}
	dec := &fakeDecider{decision: policy.Allow}
	e, _ := newTestEcho(t, fs, dec)
	d := forwardAuthDialect
	w := serve(e, checkRequest(d, proxyAddr, d.header("GET", "https://app.example.com/"), "bare"))
	if diff := cmp.Diff(policy.Subject{}, dec.subject); diff != "" {
		t.Errorf("subject (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(emptyHeaders, identityHeaders(w.Header())); diff != "" {
		t.Errorf("identity headers (-want +got):\n%s", diff)
	}
}

func TestAnonymousWritesNothing(t *testing.T) {
	for _, d := range dialects {
		for _, decision := range []policy.Decision{policy.Allow, policy.Authenticate, policy.Deny} {
			for _, tt := range []struct{ cookie, name string }{{"", "no cookie"}, {"unknown", "unknown cookie"}} {
				t.Run(d.name+" "+decision.String()+" "+tt.name, func(t *testing.T) {
					fs := &fakeSessions{}
					e, _ := newTestEcho(t, fs, &fakeDecider{decision: decision})
					w := serve(e, checkRequest(d, proxyAddr, d.header("GET", "https://app.example.com/"), tt.cookie))
					if _, writes := fs.counts(); writes != 0 {
						t.Errorf("got %d session writes, want 0", writes)
					}
					if got := w.Header().Values("Set-Cookie"); len(got) != 0 {
						t.Errorf("got Set-Cookie %q, want none", got)
					}
				})
			}
		}
	}
}

func TestAnyCheckMethod(t *testing.T) {
	for _, d := range dialects {
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
			t.Run(d.name+" "+m, func(t *testing.T) {
				e, _ := newTestEcho(t, &fakeSessions{}, &fakeDecider{decision: policy.Allow})
				r := checkRequest(d, proxyAddr, d.header("GET", "https://app.example.com/"), "")
				r.Method = m
				if w := serve(e, r); w.Code != http.StatusOK {
					t.Errorf("got status %d, want 200", w.Code)
				}
			})
		}
	}
}

func TestMalformedOriginalRequest(t *testing.T) {
	tests := []struct {
		dialect dialect
		name    string
		edit    func(http.Header)
		want    string // in the body
	}{
		{forwardAuthDialect, "no method", func(h http.Header) { h.Del("X-Forwarded-Method") }, "X-Forwarded-Method: missing"},
		{forwardAuthDialect, "no proto", func(h http.Header) { h.Del("X-Forwarded-Proto") }, "X-Forwarded-Proto: missing"},
		{forwardAuthDialect, "no host", func(h http.Header) { h.Del("X-Forwarded-Host") }, "X-Forwarded-Host: missing"},
		{forwardAuthDialect, "no uri", func(h http.Header) { h.Del("X-Forwarded-Uri") }, "X-Forwarded-Uri: missing"},
		{forwardAuthDialect, "bad proto", func(h http.Header) { h.Set("X-Forwarded-Proto", "ftp") }, "X-Forwarded-Proto: not http"},
		{forwardAuthDialect, "bad host", func(h http.Header) { h.Set("X-Forwarded-Host", "a b") }, "X-Forwarded-Host: not a host"},
		{forwardAuthDialect, "two hosts", func(h http.Header) { h.Add("X-Forwarded-Host", "b.example.com") }, "X-Forwarded-Host: sent more than once"},
		{forwardAuthDialect, "relative uri", func(h http.Header) { h.Set("X-Forwarded-Uri", "x") }, "X-Forwarded-Uri: not a request target"},
		{forwardAuthDialect, "dot segments", func(h http.Header) { h.Set("X-Forwarded-Uri", "/public/../admin") }, "X-Forwarded-Uri: path has"},
		{forwardAuthDialect, "bad method", func(h http.Header) { h.Set("X-Forwarded-Method", "G T") }, "X-Forwarded-Method: not an HTTP method"},
		{authRequestDialect, "no url", func(h http.Header) { h.Del("X-Original-URL") }, "X-Original-URL: missing"},
		{authRequestDialect, "no method", func(h http.Header) { h.Del("X-Original-Method") }, "X-Original-Method: missing"},
		{authRequestDialect, "relative url", func(h http.Header) { h.Set("X-Original-URL", "/x") }, "X-Original-URL: not an absolute"},
		{authRequestDialect, "userinfo", func(h http.Header) { h.Set("X-Original-URL", "https://a@app.example.com/") }, "X-Original-URL: not an absolute"},
		{authRequestDialect, "bad host", func(h http.Header) { h.Set("X-Original-URL", "https://app..example.com/") }, "X-Original-URL: not a host"},
		// Only the dialect's own headers count: the other dialect's do not stand in.
		{authRequestDialect, "forwarded headers instead", func(h http.Header) {
			h.Del("X-Original-URL")
			for k, v := range forwardedHeader("GET", "https://app.example.com/") {
				h[k] = v
			}
		}, "X-Original-URL: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.dialect.name+" "+tt.name, func(t *testing.T) {
			fs := &fakeSessions{}
			dec := &fakeDecider{decision: policy.Allow}
			e, _ := newTestEcho(t, fs, dec)
			h := tt.dialect.header("GET", "https://app.example.com/")
			tt.edit(h)
			w := serve(e, checkRequest(tt.dialect, proxyAddr, h, "alice"))
			if w.Code != http.StatusBadRequest {
				t.Errorf("got status %d, want 400", w.Code)
			}
			if !strings.Contains(w.Body.String(), tt.want) {
				t.Errorf("got body %q, want it to contain %q", w.Body, tt.want)
			}
			if loads, _ := fs.counts(); loads != 0 || dec.calls != 0 {
				t.Errorf("got %d loads and %d decisions, want none", loads, dec.calls)
			}
		})
	}
}

func TestNewRefusesNilDependencies(t *testing.T) {
	if _, err := New(Config{}, nil, nil, nil, nil); !errors.Is(err, errNilDependency) {
		t.Errorf("got %v, want errNilDependency", err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	_, err := newHandler(Config{TrustedProxies: []string{"nope"}}, &fakeSessions{}, &fakeDecider{}, nil)
	if err == nil || !strings.Contains(err.Error(), "server.trusted_proxies[0]") {
		t.Errorf("got %v, want an error naming server.trusted_proxies[0]", err)
	}
}
