package e2e

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestThroughProxies runs every scenario through nginx, Caddy and HAProxy, all in
// front of one Keygate (embedded session store) and one upstream.
func TestThroughProxies(t *testing.T) {
	s := newStack(t, stackOptions{})
	scenarios := []struct {
		name string
		run  func(t *testing.T, s *stack, p proxy)
		// plainHTTP: only for proxies with a plain-HTTP listener (not Caddy's run;
		// see testPlainHTTP).
		plainHTTP bool
	}{
		{"SignInRedirect", testSignInRedirect, false},
		{"Identity", testIdentity, false},
		{"ForgedIdentity", testForgedIdentity, false},
		{"ForgedOriginalRequest", testForgedOriginalRequest, false},
		{"Rules", testRules, false},
		{"SingleSignOn", testSingleSignOn, false},
		{"Logout", testLogout, false},
		{"Portal", testPortal, false},
		{"PlainHTTP", testPlainHTTP, true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			for _, p := range s.proxies {
				if sc.plainHTTP && p.http == "" {
					continue
				}
				t.Run(p.name, func(t *testing.T) { sc.run(t, s, p) })
			}
		})
	}
}

// testSignInRedirect: an anonymous request for a protected page is sent to the
// portal with rd the original URL, query and all, and gets no cookie.
func testSignInRedirect(t *testing.T, s *stack, p proxy) {
	c := newClient(t, p, s.pki)
	cases := []struct {
		name   string
		method string
		target string
		header http.Header
		body   string
		want   int
	}{
		{name: "GET", target: "/reports/2024?q=a%20b&sort=desc&next=%2Fx%3Fy%3D1", want: http.StatusFound},
		{name: "HEAD", method: http.MethodHead, target: "/reports?a=1&b=2", want: http.StatusFound},
		{name: "POST", method: http.MethodPost, target: "/form?a=1&b=2", body: "{}", want: p.postStatus},
		{name: "API client", target: "/data?a=1&b=2", header: http.Header{"Accept": {"application/json"}}, want: p.apiStatus},
		{name: "group rule", target: "/admin/users?a=1&b=2", want: http.StatusFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ans := do(t, c, request{method: tc.method, url: appURL + tc.target, header: tc.header, body: tc.body})
			ans.wantSignIn(t, tc.want, appURL+tc.target)
			if got := ans.header.Values("Set-Cookie"); len(got) != 0 {
				t.Errorf("anonymous request got Set-Cookie %q, want none", got)
			}
		})
	}
}

// testIdentity: a signed-in user reaches the upstream with Keygate's four headers,
// each exactly once.
func testIdentity(t *testing.T, s *stack, p proxy) {
	for _, a := range []account{alice, bob} {
		t.Run(a.username, func(t *testing.T) {
			e := do(t, s.signedIn(t, p, a), request{url: appURL + "/private/page?a=1&b=2"}).upstream(t)
			if diff := cmp.Diff(wantIdentity(a), e.identity()); diff != "" {
				t.Errorf("identity headers at the upstream (-want +got):\n%s", diff)
			}
			if e.Host != "app.example.com" || e.URI != "/private/page?a=1&b=2" {
				t.Errorf("upstream got Host %q URI %q, want app.example.com and /private/page?a=1&b=2", e.Host, e.URI)
			}
		})
	}
}

// forgedIdentity is what a client sends to pass for someone else: the five
// headers (one twice), and spellings with "_" that some application servers read
// as the same header.
func forgedIdentity() http.Header {
	return http.Header{
		"Remote-User":   {"admin", "root"},
		"Remote-Groups": {"admins"},
		"Remote-Email":  {"admin@example.com"},
		"Remote-Name":   {"Administrator"},
		"Remote-AMR":    {"hwk,user,mfa"},
		"Remote_user":   {"admin"},
		"Remote_groups": {"admins"},
		"Remote_amr":    {"hwk"},
	}
}

// testForgedIdentity: identity headers from the client never reach the upstream,
// neither on a bypass path without a session nor with one.
func testForgedIdentity(t *testing.T, s *stack, p proxy) {
	t.Run("anonymous on bypass path", func(t *testing.T) {
		c := newClient(t, p, s.pki)
		e := do(t, c, request{url: appURL + "/public/page", header: forgedIdentity()}).upstream(t)
		if !e.anonymous() {
			t.Errorf("upstream got identity headers %v, want none or empty ones", e.identity())
		}
	})
	t.Run("signed in", func(t *testing.T) {
		e := do(t, s.signedIn(t, p, bob), request{url: appURL + "/private", header: forgedIdentity()}).upstream(t)
		if diff := cmp.Diff(wantIdentity(bob), e.identity()); diff != "" {
			t.Errorf("identity headers at the upstream (-want +got):\n%s", diff)
		}
	})
	t.Run("signed in on group path", func(t *testing.T) {
		ans := do(t, s.signedIn(t, p, bob), request{url: appURL + "/admin/users", header: forgedIdentity()})
		if ans.status != http.StatusForbidden {
			t.Errorf("bob claiming group admins on /admin: got status %d, want 403", ans.status)
		}
	})
}

// forgedOriginalRequest describes a bypass path on another host in every header
// a proxy or Keygate might read the original request from.
func forgedOriginalRequest() http.Header {
	return http.Header{
		"X-Original-Url":     {"https://other.example.com/public/page"},
		"X-Original-Method":  {"GET"},
		"X-Forwarded-Host":   {"other.example.com"},
		"X-Forwarded-Uri":    {"/public/page"},
		"X-Forwarded-Proto":  {"https"},
		"X-Forwarded-Method": {"GET"},
	}
}

// testForgedOriginalRequest: a client that describes another request in
// X-Original-URL or X-Forwarded-* gets the answer for the request it really made.
func testForgedOriginalRequest(t *testing.T, s *stack, p proxy) {
	t.Run("deny path anonymous", func(t *testing.T) {
		ans := do(t, newClient(t, p, s.pki), request{url: appURL + "/secret/file", header: forgedOriginalRequest()})
		if ans.status != http.StatusForbidden {
			t.Errorf("got status %d (body %.200q), want 403", ans.status, ans.body)
		}
	})
	t.Run("deny path signed in", func(t *testing.T) {
		ans := do(t, s.signedIn(t, p, alice), request{url: appURL + "/secret/file", header: forgedOriginalRequest()})
		if ans.status != http.StatusForbidden {
			t.Errorf("got status %d (body %.200q), want 403", ans.status, ans.body)
		}
	})
	t.Run("protected path anonymous", func(t *testing.T) {
		ans := do(t, newClient(t, p, s.pki), request{url: appURL + "/private?a=1&b=2", header: forgedOriginalRequest()})
		ans.wantSignIn(t, http.StatusFound, appURL+"/private?a=1&b=2")
	})
}

// testRules: bypass, deny, one_factor and a group rule, for anonymous and
// signed-in users.
func testRules(t *testing.T, s *stack, p proxy) {
	cases := []struct {
		name   string
		user   *account // nil: anonymous
		target string
		want   int
	}{
		{"bypass anonymous", nil, "/public/page", http.StatusOK},
		{"bypass exact", nil, "/public", http.StatusOK},
		{"bypass with query", nil, "/public?a=1&b=2", http.StatusOK},
		{"not bypass prefix", nil, "/publicity", http.StatusFound},
		{"deny anonymous", nil, "/secret/file", http.StatusForbidden},
		{"deny signed in", &alice, "/secret/file", http.StatusForbidden},
		{"deny with query", &alice, "/secret?x=1", http.StatusForbidden},
		{"one_factor anonymous", nil, "/private", http.StatusFound},
		{"one_factor signed in", &bob, "/private", http.StatusOK},
		{"group member", &alice, "/admin/users", http.StatusOK},
		{"group non-member", &bob, "/admin/users", http.StatusForbidden},
		{"group anonymous", nil, "/admin/users", http.StatusFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, p, s.pki)
			if tc.user != nil {
				c = s.signedIn(t, p, *tc.user)
			}
			ans := do(t, c, request{url: appURL + tc.target})
			switch tc.want {
			case http.StatusOK:
				e := ans.upstream(t)
				if tc.user == nil && !e.anonymous() {
					t.Errorf("upstream got identity headers %v for an anonymous request, want empty ones", e.identity())
				}
				if tc.user != nil {
					if diff := cmp.Diff(wantIdentity(*tc.user), e.identity()); diff != "" {
						t.Errorf("identity headers at the upstream (-want +got):\n%s", diff)
					}
				}
			case http.StatusFound:
				ans.wantSignIn(t, http.StatusFound, appURL+tc.target)
			default:
				if ans.status != tc.want {
					t.Errorf("got status %d (body %.200q), want %d", ans.status, ans.body, tc.want)
				}
			}
		})
	}
}

// testSingleSignOn: one sign-in at the portal host opens the application host,
// whose URL the portal hands back as the redirect.
func testSingleSignOn(t *testing.T, s *stack, p proxy) {
	c := newClient(t, p, s.pki)
	rd := appURL + "/dashboard?tab=1&view=2"
	do(t, c, request{url: rd}).wantSignIn(t, http.StatusFound, rd)
	if got := signIn(t, c, alice, rd); got.Redirect != rd {
		t.Errorf("sign-in answered redirect %q, want the rd %q", got.Redirect, rd)
	}
	e := do(t, c, request{url: rd}).upstream(t)
	if diff := cmp.Diff(wantIdentity(alice), e.identity()); diff != "" {
		t.Errorf("identity headers at the upstream (-want +got):\n%s", diff)
	}
	info := sessionInfo(t, c)
	if !info.Authenticated || info.Username != alice.username {
		t.Errorf("portal /api/session says authenticated=%v username=%q, want alice signed in", info.Authenticated, info.Username)
	}
}

// sessionInfo is the part of GET /api/session the tests read.
type sessionAnswer struct {
	Authenticated bool   `json:"authenticated"`
	Username      string `json:"username"`
}

func sessionInfo(t *testing.T, c *http.Client) sessionAnswer {
	t.Helper()
	ans := do(t, c, request{url: portalURL + "/api/session", header: http.Header{"Accept": {"application/json"}}})
	var got sessionAnswer
	if ans.status != http.StatusOK || json.Unmarshal(ans.body, &got) != nil {
		t.Fatalf("GET /api/session: got status %d, body %.200q; want 200 JSON", ans.status, ans.body)
	}
	return got
}

// testLogout: after POST /api/logout the browser is sent to sign in again, and
// the old cookie, replayed, opens nothing.
func testLogout(t *testing.T, s *stack, p proxy) {
	c := newClient(t, p, s.pki)
	signIn(t, c, alice, "")
	do(t, c, request{url: appURL + "/private"}).upstream(t)
	old := jarSession(t, c)

	ans := do(t, c, request{method: http.MethodPost, url: portalURL + "/api/logout", body: "{}"})
	if ans.status != http.StatusOK {
		t.Fatalf("logout: got status %d, body %.200q; want 200", ans.status, ans.body)
	}
	cookie := sessionCookie(t, ans.header)
	if expired := cookie.MaxAge < 0 || !cookie.Expires.IsZero() && cookie.Expires.Before(time.Now()); !expired {
		t.Errorf("logout set cookie %q, want it expired", cookie.String())
	}
	do(t, c, request{url: appURL + "/private?a=1&b=2"}).wantSignIn(t, http.StatusFound, appURL+"/private?a=1&b=2")

	replay := newClient(t, p, s.pki)
	ans = do(t, replay, request{url: appURL + "/private", header: http.Header{"Cookie": {"keygate_session=" + old}}})
	ans.wantSignIn(t, http.StatusFound, appURL+"/private")
	if info := sessionInfo(t, c); info.Authenticated {
		t.Errorf("portal /api/session after logout says authenticated as %q", info.Username)
	}
}

// jarSession is the session cookie value c holds for the application host.
func jarSession(t *testing.T, c *http.Client) string {
	t.Helper()
	for _, cookie := range c.Jar.Cookies(mustURL(t, appURL)) {
		if cookie.Name == "keygate_session" {
			return cookie.Value
		}
	}
	t.Fatalf("the client holds no keygate_session cookie for %s", appURL)
	return ""
}

// testPortal: the portal is served through the proxy, except the authz
// endpoints, which answer only the proxy's own checks.
func testPortal(t *testing.T, s *stack, p proxy) {
	c := s.signedIn(t, p, alice)
	cases := []struct {
		path string
		want int
	}{
		{"/", http.StatusOK},
		{"/api/health", http.StatusOK},
		{"/api/authz/forward-auth", http.StatusNotFound},
		{"/api/authz/auth-request", http.StatusNotFound},
		{"/api/authz/", http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			ans := do(t, c, request{url: portalURL + tc.path})
			if ans.status != tc.want {
				t.Errorf("GET %s: got status %d, want %d", tc.path, ans.status, tc.want)
			}
			if ans.header.Get("Remote-User") != "" {
				t.Errorf("GET %s: answer carries Remote-User %q, want none", tc.path, ans.header.Get("Remote-User"))
			}
		})
	}
}

// testPlainHTTP: a proxy's plain-HTTP listener sends everything to HTTPS before
// any check. (nginx and HAProxy have one here; the Caddy run turns its redirect
// listener off to keep off port 80.)
func testPlainHTTP(t *testing.T, s *stack, p proxy) {
	for _, host := range []string{"app.example.com", "auth.example.com"} {
		ans := do(t, newClient(t, p, s.pki), request{url: "http://" + host + "/private?a=1&b=2"})
		want := "https://" + host + "/private?a=1&b=2"
		if ans.status != http.StatusMovedPermanently || ans.header.Get("Location") != want {
			t.Errorf("GET http://%s/private?a=1&b=2: got %d to %q, want 301 to %q", host, ans.status, ans.header.Get("Location"), want)
		}
	}
}
