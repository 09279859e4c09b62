package ui

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/session"
)

// webauthnRoutes are the mutating routes of the WebAuthn ceremonies, the
// identity check that precedes registration, and credential management.
var webauthnRoutes = []struct{ method, path string }{
	{http.MethodPost, "/api/login/webauthn/options"},
	{http.MethodPost, "/api/login/webauthn"},
	{http.MethodPost, "/api/login/passkey/options"},
	{http.MethodPost, "/api/login/passkey"},
	{http.MethodPost, "/api/identity/code"},
	{http.MethodPost, "/api/identity/verify"},
	{http.MethodPost, "/api/webauthn/credentials/options"},
	{http.MethodPost, "/api/webauthn/credentials"},
	{http.MethodPatch, "/api/webauthn/credentials/AAAA"},
	{http.MethodPost, "/api/enroll/options"},
	{http.MethodPost, "/api/enroll"},
}

// paddedJSON is an empty JSON object followed by spaces, n bytes in all: a
// body every route decodes without complaint whatever its size, so that only
// the guard refuses it.
func paddedJSON(n int) string { return "{}" + strings.Repeat(" ", n-2) }

// TestWebAuthnRoutesGuardBody checks the body guard on every WebAuthn route,
// for a browser signed in and elevated so that each handler would otherwise
// read the body: one that is not JSON is refused with 415, one over
// maxBodyBytes with 413 whether its length is announced or not, while a JSON
// body of exactly maxBodyBytes reaches the handler.
func TestWebAuthnRoutesGuardBody(t *testing.T) {
	unknownLength := func(r *http.Request) { r.ContentLength = -1 }
	tests := []struct {
		name   string
		body   string
		opts   []func(*http.Request)
		status int
		code   string
	}{
		{"text/plain", "{}", []func(*http.Request){withHeader("Content-Type", "text/plain")},
			http.StatusUnsupportedMediaType, codeUnsupportedMedia},
		{"form", "{}", []func(*http.Request){withHeader("Content-Type", "application/x-www-form-urlencoded")},
			http.StatusUnsupportedMediaType, codeUnsupportedMedia},
		{"no content type", "{}", []func(*http.Request){withHeader("Content-Type", "")},
			http.StatusUnsupportedMediaType, codeUnsupportedMedia},
		{"one byte over the limit", paddedJSON(maxBodyBytes + 1), nil, http.StatusRequestEntityTooLarge, codeTooLarge},
		{"far over the limit", paddedJSON(4 * maxBodyBytes), nil, http.StatusRequestEntityTooLarge, codeTooLarge},
		{"over the limit, unknown length", paddedJSON(maxBodyBytes + 1), []func(*http.Request){unknownLength},
			http.StatusRequestEntityTooLarge, codeTooLarge},
	}
	te := newTestEnv(t, testConfig())
	cookie := te.issue(t, &session.Session{
		Username: "alice", Domain: "example.com", ElevatedUntil: te.clock.t.Add(time.Hour),
		Factors: []session.Factor{{Method: session.MethodPassword, At: te.clock.t}},
	})
	for _, route := range webauthnRoutes {
		for _, tt := range tests {
			t.Run(route.method+" "+route.path+"/"+tt.name, func(t *testing.T) {
				rec := te.do(request(route.method, route.path, tt.body, append(tt.opts, withCookie(cookie))...))
				got := decode(t, rec)
				if rec.Code != tt.status || got["error"] != tt.code {
					t.Errorf("%s %s with %s: answer %d %v, want %d %s", route.method, route.path, tt.name,
						rec.Code, got["error"], tt.status, tt.code)
				}
			})
		}
		t.Run(route.method+" "+route.path+"/at the limit", func(t *testing.T) {
			rec := te.do(request(route.method, route.path, paddedJSON(maxBodyBytes), withCookie(cookie)))
			got := decode(t, rec)
			if rec.Code == http.StatusRequestEntityTooLarge || rec.Code == http.StatusUnsupportedMediaType ||
				rec.Code == http.StatusNotFound || rec.Code == http.StatusMethodNotAllowed {
				t.Errorf("%s %s with a JSON body of %d bytes: answer %d %v, want the handler's own answer",
					route.method, route.path, maxBodyBytes, rec.Code, got["error"])
			}
		})
	}
	if n := te.users.calls.Load(); n != 0 {
		t.Errorf("refused requests made %d password checks, want 0", n)
	}
}
