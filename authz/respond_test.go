package authz

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/policy"
)

func TestAuthenticateStatus(t *testing.T) {
	const none = "<none>"
	tests := []struct {
		dialect dialect
		method  string
		accept  string
		want    int
	}{
		{forwardAuthDialect, "GET", "text/html", http.StatusFound},
		{forwardAuthDialect, "HEAD", "text/html", http.StatusFound},
		{forwardAuthDialect, "get", "text/html", http.StatusFound},
		{forwardAuthDialect, "POST", "text/html", http.StatusSeeOther},
		{forwardAuthDialect, "PUT", "*/*", http.StatusSeeOther},
		{forwardAuthDialect, "DELETE", "text/*", http.StatusSeeOther},
		{forwardAuthDialect, "GET", "application/json", http.StatusUnauthorized},
		{forwardAuthDialect, "GET", none, http.StatusUnauthorized},
		{forwardAuthDialect, "GET", "", http.StatusUnauthorized},
		{forwardAuthDialect, "GET", "text/html;q=0, */*", http.StatusUnauthorized},
		{forwardAuthDialect, "GET", "*/*;q=0", http.StatusUnauthorized},
		{forwardAuthDialect, "POST", "application/json, text/plain;q=0.9", http.StatusUnauthorized},
		{authRequestDialect, "GET", "text/html", http.StatusUnauthorized},
		{authRequestDialect, "POST", "text/html", http.StatusUnauthorized},
		{authRequestDialect, "GET", none, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.dialect.name+" "+tt.method+" "+tt.accept, func(t *testing.T) {
			e, _ := newTestEcho(t, &fakeSessions{}, &fakeDecider{decision: policy.Authenticate})
			h := tt.dialect.header(tt.method, "https://app.example.com/")
			if tt.accept != none {
				h["Accept"] = []string{tt.accept}
			}
			w := serve(e, checkRequest(tt.dialect, proxyAddr, h, ""))
			if w.Code != tt.want {
				t.Errorf("got status %d, want %d", w.Code, tt.want)
			}
			const wantLocation = "https://auth.example.com/?rd=https%3A%2F%2Fapp.example.com%2F"
			if got := w.Header().Get("Location"); got != wantLocation {
				t.Errorf("got Location %q, want %q", got, wantLocation)
			}
			if got := w.Header().Get("Content-Type"); got != "text/plain; charset=utf-8" {
				t.Errorf("got Content-Type %q, want text/plain", got)
			}
			if strings.Contains(w.Body.String(), "app.example.com") {
				t.Errorf("body %q repeats the original URL", w.Body)
			}
		})
	}
}

func TestRedirectEncodesOriginalURL(t *testing.T) {
	// A target with an encoded space and '#', a raw '&', '+', and raw UTF-8 ("ü").
	const target = "https://app.example.com:8443/a%20b/\xc3\xbc?x=1&y=%23z&s=a+b"
	const want = "https://auth.example.com/?rd=https%3A%2F%2Fapp.example.com%3A8443%2Fa%2520b%2F%C3%BC%3Fx%3D1%26y%3D%2523z%26s%3Da%2Bb"
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			e, _ := newTestEcho(t, &fakeSessions{}, &fakeDecider{decision: policy.Authenticate})
			w := serve(e, checkRequest(d, proxyAddr, d.header("GET", target), ""))
			loc := w.Header().Get("Location")
			if loc != want {
				t.Fatalf("got Location %q, want %q", loc, want)
			}
			r := httptest.NewRequest("GET", loc, nil)
			if got := r.URL.Query().Get("rd"); got != target {
				t.Errorf("got rd decoding to %q, want %q", got, target)
			}
		})
	}
}

func TestHostOutsideCookieDomains(t *testing.T) {
	for _, d := range dialects {
		for _, tt := range []struct {
			decision policy.Decision
			want     int
		}{{policy.Authenticate, http.StatusForbidden}, {policy.Allow, http.StatusOK}} {
			t.Run(d.name+" "+tt.decision.String(), func(t *testing.T) {
				e, _ := newTestEcho(t, &fakeSessions{}, &fakeDecider{decision: tt.decision})
				w := serve(e, checkRequest(d, proxyAddr, d.header("GET", "https://other.org/"), ""))
				if w.Code != tt.want {
					t.Errorf("got status %d, want %d", w.Code, tt.want)
				}
				if got := w.Header().Get("Location"); got != "" {
					t.Errorf("got Location %q, want none", got)
				}
			})
		}
	}
}

// TestEmptyIdentityHeadersOnTheWire checks that empty header values are really sent,
// not dropped between the handler and the proxy.
func TestEmptyIdentityHeadersOnTheWire(t *testing.T) {
	h, err := newHandler(Config{}, &fakeSessions{}, &fakeDecider{decision: policy.Allow}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.IPExtractor = echo.ExtractIPDirect()
	h.Register(e)
	srv := httptest.NewServer(e)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/api/authz/auth-request", nil)
	req.Header = originalHeader("GET", "https://public.example.com/")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got status %d, want 200", resp.StatusCode)
	}
	if diff := cmp.Diff(emptyHeaders, identityHeaders(resp.Header)); diff != "" {
		t.Errorf("identity headers on the wire (-want +got):\n%s", diff)
	}
}

func TestLoginURL(t *testing.T) {
	tests := []struct{ portal, want string }{
		{"https://auth.example.com", "https://auth.example.com/?rd=https%3A%2F%2Fa%2F%3Fx%3D1%26y"},
		{"https://auth.example.com/", "https://auth.example.com/?rd=https%3A%2F%2Fa%2F%3Fx%3D1%26y"},
		{"https://example.com/auth", "https://example.com/auth/?rd=https%3A%2F%2Fa%2F%3Fx%3D1%26y"},
		{"https://example.com/auth/?tenant=t#top", "https://example.com/auth/?tenant=t&rd=https%3A%2F%2Fa%2F%3Fx%3D1%26y"},
		{"http://localhost:9091", "http://localhost:9091/?rd=https%3A%2F%2Fa%2F%3Fx%3D1%26y"},
	}
	for _, tt := range tests {
		portal, err := url.Parse(tt.portal)
		if err != nil {
			t.Fatal(err)
		}
		if got := loginURL(portal, "https://a/?x=1&y"); got != tt.want {
			t.Errorf("loginURL(%q) = %q, want %q", tt.portal, got, tt.want)
		}
		if portal.String() != tt.portal {
			t.Errorf("loginURL changed the portal URL to %q", portal)
		}
	}
}
