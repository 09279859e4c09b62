package ui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/session"
)

// cookies is a Cookie header with one session cookie per value, in order.
func cookies(name string, values ...string) func(*http.Request) {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = name + "=" + v
	}
	return withHeader("Cookie", strings.Join(parts, "; "))
}

// TestLogoutEndsEverySession plants session cookies before the real one, as a
// sibling host can on a narrower path: logout ends the real session too.
func TestLogoutEndsEverySession(t *testing.T) {
	te := newTestEnv(t, testConfig())
	name := te.sessions.CookieName()
	tests := []struct {
		name    string
		planted func(t *testing.T) string
	}{
		{"made-up ID", func(t *testing.T) string { return strings.Repeat("A", 43) }},
		{"another user's live session", func(t *testing.T) string { return te.issue(t, passkeySession("bob", true)).Value }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			real := te.issue(t, passkeySession("alice", true))
			planted := tt.planted(t)
			rec := te.do(request(http.MethodPost, "/api/logout", "", cookies(name, planted, real.Value)))
			if rec.Code != http.StatusOK {
				t.Fatalf("logout = %d %s, want 200", rec.Code, rec.Body)
			}
			for _, id := range []string{real.Value, planted} {
				if s := te.load(t, &http.Cookie{Value: id}); s != nil {
					t.Errorf("session of %s still loads after logout", s.Username)
				}
			}
		})
	}
}

// TestTwoLiveSessionCookies checks that a request whose cookies name two live
// sessions is anonymous, in whichever order they come.
func TestTwoLiveSessionCookies(t *testing.T) {
	te := newTestEnv(t, testConfig())
	name := te.sessions.CookieName()
	alice := te.issue(t, passkeySession("alice", true)).Value
	bob := te.issue(t, passkeySession("bob", true)).Value
	for _, order := range [][]string{{alice, bob}, {bob, alice}} {
		rec := te.do(request(http.MethodGet, "/api/session", "", cookies(name, order...)))
		if got := decode(t, rec)["authenticated"]; got != false {
			t.Errorf("session with cookies %v: authenticated = %v, want false", order, got)
		}
	}
	rec := te.do(request(http.MethodGet, "/api/session", "", cookies(name, strings.Repeat("A", 43), alice)))
	if got := decode(t, rec)["username"]; got != "alice" {
		t.Errorf("session with a made-up cookie before alice's: username = %v, want alice", got)
	}
}

// TestLogoutPageCrossSite checks that /logout reached from another site asks
// before signing out, and signs out on its own only from the portal, the same
// site, or the user's own navigation.
func TestLogoutPageCrossSite(t *testing.T) {
	te := newTestEnv(t, testConfig())
	tests := []struct {
		fetchSite   string
		wantConfirm bool
	}{
		{"cross-site", true},
		{"", true}, // a browser that does not say
		{"bogus", true},
		{"same-origin", false},
		{"same-site", false},
		{"none", false},
	}
	for _, tt := range tests {
		t.Run(tt.fetchSite, func(t *testing.T) {
			rec := te.do(request(http.MethodGet, "/logout?rd="+url.QueryEscape("https://app.example.com/"), "",
				withHeader("Sec-Fetch-Site", tt.fetchSite)))
			if rec.Code != http.StatusOK {
				t.Fatalf("GET /logout = %d, want 200", rec.Code)
			}
			if got := strings.Contains(rec.Body.String(), `id="confirm-button"`); got != tt.wantConfirm {
				t.Errorf("confirm button shown = %v, want %v", got, tt.wantConfirm)
			}
		})
	}
}

// TestHSTS checks Strict-Transport-Security on the portal routes of an https
// portal, errors included, and nowhere else.
func TestHSTS(t *testing.T) {
	te := newTestEnv(t, testConfig())
	tests := []struct {
		name string
		req  *http.Request
		want string
	}{
		{"page", request(http.MethodGet, "/", ""), "max-age=31536000"},
		{"API", request(http.MethodGet, "/api/session", ""), "max-age=31536000"},
		{"API error", request(http.MethodPost, "/api/login/password", "{"), "max-age=31536000"},
		{"second domain", request(http.MethodGet, "/", "", func(r *http.Request) { r.Host = "login.example.org:8443" }), "max-age=31536000"},
		{"unknown host", request(http.MethodGet, "/", "", func(r *http.Request) { r.Host = "example.net" }), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := te.do(tt.req).Header().Get("Strict-Transport-Security"); got != tt.want {
				t.Errorf("Strict-Transport-Security = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestHSTSNotOnHTTPPortal checks that a plain-http portal sends no HSTS.
func TestHSTSNotOnHTTPPortal(t *testing.T) {
	portal, _ := url.Parse("http://localhost:9091")
	h := &pageHeaders{domains: fixedDomain{session.Domain{Name: "localhost", PortalURL: portal}}}
	e := echo.New()
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, "ok") }, h.set)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Host = "localhost:9091"
	e.ServeHTTP(rec, req)
	if got := rec.Header().Get("Strict-Transport-Security"); got != "" {
		t.Errorf("Strict-Transport-Security on an http portal = %q, want none", got)
	}
}

// fixedDomain serves one cookie domain for every host.
type fixedDomain struct{ d session.Domain }

func (f fixedDomain) DomainFor(string) (session.Domain, bool) { return f.d, true }
