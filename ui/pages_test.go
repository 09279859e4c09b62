package ui

import (
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/notify"
)

func TestPages(t *testing.T) {
	tests := []struct {
		path     string
		page     string
		wantText []string
	}{
		{"/", "signin", []string{`id="signin"`, `id="username"`, `autocomplete="username webauthn"`,
			`autocomplete="current-password"`, `id="passkey"`, `id="signed-in-view"`, "Sign in with a passkey"}},
		{"/?rd=https%3A%2F%2Fapp.example.com%2Fx", "signin", []string{`href="https://app.example.com/x"`}},
		{"/2fa", "twofactor", []string{`id="key-step"`, `id="key-button"`, `id="password-step"`, `id="password-form"`}},
		{"/settings", "settings", []string{`id="credentials"`, `id="add-form"`, `id="code-form"`, `autocomplete="one-time-code"`}},
		{"/enroll?token=abc", "enroll", []string{`id="enroll-form"`, `id="enroll-button"`}},
		{"/logout", "logout", []string{`id="logout"`, `id="signed-out"`, "You are signed out."}},
	}
	te := newTestEnv(t, testConfig())
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := te.do(request(http.MethodGet, tt.path, ""))
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s status = %d, want 200", tt.path, rec.Code)
			}
			if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
				t.Errorf("Content-Type = %q, want text/html", got)
			}
			if got := rec.Header().Get("Content-Language"); got != "en" {
				t.Errorf("Content-Language = %q, want en", got)
			}
			page := rec.Body.String()
			want := append([]string{
				`<html lang="en">`, `data-page="` + tt.page + `"`, `data-texts="{`, `<h1`,
				`<p class="brand-name">Example Login</p>`, `role="status"`, `aria-live="polite"`,
				`<script type="module" src="/static/portal.js"></script>`, `href="/static/portal.css"`,
			}, tt.wantText...)
			for _, w := range want {
				if !strings.Contains(page, w) {
					t.Errorf("GET %s lacks %s", tt.path, w)
				}
			}
			checkNoInlineCode(t, page)
		})
	}
}

func TestSignInPageOptions(t *testing.T) {
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
			page := te.do(request(http.MethodGet, "/", "")).Body.String()
			if want := "<title>Sign in – " + tt.wantName + "</title>"; !strings.Contains(page, want) {
				t.Errorf("sign-in page lacks %s", want)
			}
			if got := strings.Contains(page, `id="remember-me"`); got != tt.wantRemember {
				t.Errorf("remember-me box shown = %v, want %v", got, tt.wantRemember)
			}
		})
	}
}

func TestContinueLink(t *testing.T) {
	tests := []struct {
		name string
		rd   string
		want string
	}{
		{"rd on the cookie domain", "https://app.example.com/a?b=c", `id="continue" class="button" href="https://app.example.com/a?b=c"`},
		{"rd elsewhere falls back to the default", "https://evil.test/", `id="continue" class="button" href="` + defaultURL + `"`},
		{"no rd", "", `id="continue" class="button" href="` + defaultURL + `"`},
	}
	te := newTestEnv(t, testConfig())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := te.do(request(http.MethodGet, "/?rd="+url.QueryEscape(tt.rd), "")).Body.String()
			if !strings.Contains(page, tt.want) {
				t.Errorf("sign-in page lacks %s", tt.want)
			}
		})
	}
}

func TestLogoutPageKeepsSession(t *testing.T) {
	te := newTestEnv(t, testConfig())
	s := te.issue(t, passkeySession("alice", false))
	te.do(request(http.MethodGet, "/logout", "", withCookie(s)))
	if te.load(t, s) == nil {
		t.Errorf("GET /logout ended the session, want only POST /api/logout to")
	}
}

func TestLogo(t *testing.T) {
	dir := t.TempDir()
	svg := filepath.Join(dir, "logo.svg")
	if err := os.WriteFile(svg, []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.LogoFile = svg
	te := newTestEnv(t, cfg)
	rec := te.do(request(http.MethodGet, "/static/logo", ""))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("GET /static/logo = %d %q, want 200 image/svg+xml", rec.Code, rec.Header().Get("Content-Type"))
	}
	if page := te.do(request(http.MethodGet, "/", "")).Body.String(); !strings.Contains(page, `<img class="logo" src="/static/logo" alt="">`) {
		t.Errorf("sign-in page shows no logo")
	}
	if rec := newTestEnv(t, testConfig()).do(request(http.MethodGet, "/static/logo", "")); rec.Code != http.StatusNotFound {
		t.Errorf("GET /static/logo without a logo = %d, want 404", rec.Code)
	}
}

func TestLogoErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.png")
	if err := os.WriteFile(big, make([]byte, maxLogoBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{filepath.Join(dir, "logo.txt"), filepath.Join(dir, "missing.png"), big} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			cfg := testConfig()
			cfg.LogoFile = file
			if _, err := newPages(cfg.withDefaults(), nil); err == nil {
				t.Errorf("newPages with logo %s: no error, want one", file)
			}
		})
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
		{"/static/webauthn.js", http.StatusOK, "text/javascript"},
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

// TestScriptImports checks that every module a script imports is served.
func TestScriptImports(t *testing.T) {
	imports := regexp.MustCompile(`(?m)^import .* from '\./([\w.-]+)';$`)
	files, err := fs.Glob(assets, "static/*.js")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts under static/: %v", err)
	}
	n := 0
	for _, file := range files {
		data, _ := fs.ReadFile(assets, file)
		for _, m := range imports.FindAllStringSubmatch(string(data), -1) {
			n++
			if _, err := fs.Stat(assets, "static/"+m[1]); err != nil {
				t.Errorf("%s imports %s, which static/ lacks", file, m[1])
			}
		}
	}
	if n < len(files) {
		t.Errorf("found %d imports in %d scripts, want at least one each on average", n, len(files))
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

// TestSecurityHeadersLeaveAuthzAlone checks that a route another package adds
// to the same router (the forward-auth checks, which answer proxies) gets none
// of the page headers, while the portal's routes and errors do.
func TestSecurityHeadersLeaveAuthzAlone(t *testing.T) {
	te := newTestEnv(t, testConfig())
	te.echo.GET("/api/authz/forward-auth", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	for path, want := range map[string]bool{"/api/authz/forward-auth": false, "/api/authzish": true, "/api/health": true} {
		rec := te.do(request(http.MethodGet, path, ""))
		for _, name := range []string{"Content-Security-Policy", "X-Frame-Options", "Cache-Control"} {
			if got := rec.Header().Get(name) != ""; got != want {
				t.Errorf("%s: %s present %v, want %v", path, name, got, want)
			}
		}
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
