package ui

import (
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/notify"
)

func TestSignInPage(t *testing.T) {
	tests := []struct {
		name         string
		cfg          Config
		wantName     string
		wantRemember bool
	}{
		{"rp name and remember me", testConfig(), "Example Login", true},
		{"defaults", Config{}, "Keygate", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newTestEnv(t, tt.cfg)
			rec := te.do(request(http.MethodGet, "/", ""))
			if rec.Code != http.StatusOK {
				t.Fatalf("GET / status = %d, want 200", rec.Code)
			}
			if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
				t.Errorf("Content-Type = %q, want text/html", got)
			}
			page := rec.Body.String()
			for _, want := range []string{
				"<h1>" + tt.wantName + "</h1>", `id="signin"`, `id="username"`, `autocomplete="current-password"`,
				`id="passkey"`, `aria-live=`, `src="/static/portal.js"`, `href="/static/portal.css"`,
			} {
				if !strings.Contains(page, want) {
					t.Errorf("sign-in page lacks %s", want)
				}
			}
			if got := strings.Contains(page, `id="remember-me"`); got != tt.wantRemember {
				t.Errorf("remember-me box shown = %v, want %v", got, tt.wantRemember)
			}
			checkNoInlineCode(t, page)
		})
	}
}

func TestLogoutPage(t *testing.T) {
	te := newTestEnv(t, testConfig())
	rec := te.do(request(http.MethodGet, "/logout", ""))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /logout status = %d, want 200", rec.Code)
	}
	page := rec.Body.String()
	for _, want := range []string{`id="logout"`, `id="signed-out"`, "You are signed out.", `src="/static/portal.js"`} {
		if !strings.Contains(page, want) {
			t.Errorf("logout page lacks %s", want)
		}
	}
	checkNoInlineCode(t, page)
	s := te.issue(t, passkeySession("alice", false))
	te.do(request(http.MethodGet, "/logout", "", withCookie(s)))
	if te.load(t, s) == nil {
		t.Errorf("GET /logout ended the session, want only POST /api/logout to")
	}
}

// checkNoInlineCode fails when page has inline script, inline style or event
// handlers, which the Content-Security-Policy would block.
func checkNoInlineCode(t *testing.T, page string) {
	t.Helper()
	scripts := regexp.MustCompile(`(?s)<script([^>]*)>(.*?)</script>`).FindAllStringSubmatch(page, -1)
	if len(scripts) == 0 {
		t.Errorf("page loads no script")
	}
	for _, m := range scripts {
		if !strings.Contains(m[1], `src="/static/`) || strings.TrimSpace(m[2]) != "" {
			t.Errorf("page has inline script %q", m[0])
		}
	}
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`<style`),
		regexp.MustCompile(`\sstyle=`),
		regexp.MustCompile(`\son[a-z]+=`),
		regexp.MustCompile(`javascript:`),
	} {
		if m := re.FindString(page); m != "" {
			t.Errorf("page has inline code %q", m)
		}
	}
}

func TestStatic(t *testing.T) {
	te := newTestEnv(t, testConfig())
	tests := []struct {
		path       string
		wantStatus int
		wantType   string
	}{
		{"/static/portal.css", http.StatusOK, "text/css"},
		{"/static/portal.js", http.StatusOK, "text/javascript"},
		{"/static/", http.StatusNotFound, "text/html"},
		{"/static", http.StatusNotFound, "text/html"},
		{"/static/missing.js", http.StatusNotFound, "text/html"},
		{"/static/../templates/layout.html", http.StatusNotFound, "text/html"},
		{"/static/%2e%2e/templates/layout.html", http.StatusNotFound, "text/html"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := te.do(request(http.MethodGet, tt.path, ""))
			if rec.Code != tt.wantStatus {
				t.Fatalf("GET %s status = %d, want %d", tt.path, rec.Code, tt.wantStatus)
			}
			if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, tt.wantType) {
				t.Errorf("GET %s Content-Type = %q, want %s", tt.path, got, tt.wantType)
			}
			if tt.wantStatus == http.StatusOK && rec.Body.Len() == 0 {
				t.Errorf("GET %s served an empty file", tt.path)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	te := newTestEnv(t, testConfig())
	tests := []struct {
		method, path string
		wantNoStore  bool
	}{
		{http.MethodGet, "/", true},
		{http.MethodGet, "/logout", true},
		{http.MethodGet, "/static/portal.js", false},
		{http.MethodGet, "/api/health", true},
		{http.MethodGet, "/api/session", true},
		{http.MethodGet, "/api/missing", true},
		{http.MethodGet, "/missing", false},
		{http.MethodPost, "/api/login/password", true},
		{http.MethodDelete, "/api/session", true},
	}
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
			"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "no-referrer",
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := te.do(request(tt.method, tt.path, `{}`))
			for name, value := range want {
				if got := rec.Header().Get(name); got != value {
					t.Errorf("%s = %q, want %q", name, got, value)
				}
			}
			if got := rec.Header().Get("Cache-Control") == "no-store"; got != tt.wantNoStore {
				t.Errorf("Cache-Control = %q, want no-store %v", rec.Header().Get("Cache-Control"), tt.wantNoStore)
			}
		})
	}
}

func TestNew(t *testing.T) {
	te := newTestEnv(t, Config{})
	notifier, err := notify.New(notify.Config{File: te.notes}, nil)
	if err != nil {
		t.Fatal(err)
	}
	complete := Deps{Sessions: te.sessions, Users: te.users.dir, Notifier: notifier, RP: te.rp, Store: te.store}
	without := func(edit func(*Deps)) Deps {
		d := complete
		edit(&d)
		return d
	}
	tests := []struct {
		name    string
		cfg     Config
		deps    Deps
		wantErr error
	}{
		{"complete", Config{}, complete, nil},
		{"no sessions", Config{}, without(func(d *Deps) { d.Sessions = nil }), ErrMissingDependency},
		{"no users", Config{}, without(func(d *Deps) { d.Users = nil }), ErrMissingDependency},
		{"no notifier", Config{}, without(func(d *Deps) { d.Notifier = nil }), ErrMissingDependency},
		{"no relying party", Config{}, without(func(d *Deps) { d.RP = nil }), ErrMissingDependency},
		{"no store", Config{}, without(func(d *Deps) { d.Store = nil }), ErrMissingDependency},
		{"invalid config", Config{RememberMe: -time.Hour}, complete, errAnyConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := New(tt.cfg, tt.deps, discardLogger())
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("New: %v, want no error", err)
			case tt.wantErr == errAnyConfig && err == nil,
				tt.wantErr != nil && tt.wantErr != errAnyConfig && !errors.Is(err, tt.wantErr):
				t.Fatalf("New error = %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				e := echo.New()
				h.Register(e)
				if got := len(e.Routes()); got < 23 {
					t.Errorf("Register added %d routes, want at least 23", got)
				}
			}
		})
	}
}

// errAnyConfig stands for "some config error" in TestNew.
var errAnyConfig = errors.New("any config error")

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
