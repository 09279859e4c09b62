package session

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func testConfig() Config {
	return Config{
		Domain:     "example.com",
		PortalURL:  "https://auth.example.com",
		SameSite:   "strict",
		Expiration: 12 * time.Hour,
		Inactivity: time.Hour,
		RememberMe: 720 * time.Hour,
		Cookies: []CookieConfig{
			{Domain: "Example.ORG", PortalURL: "https://login.example.org/keygate", DefaultRedirectURL: "https://www.example.org/home"},
			{Domain: "localhost", PortalURL: "http://localhost:9091"},
		},
	}
}

// newTestManager returns a Manager over a memStore, on a settable clock.
func newTestManager(t *testing.T, cfg Config) (*Manager, *memStore, *clock) {
	t.Helper()
	store, c := newMemStore(), newClock()
	m, err := NewManager(cfg, store, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	m.now = c.now
	return m, store, c
}

func testSession(domain string) *Session {
	return &Session{
		Username: "alice",
		Groups:   []string{"admins"},
		Domain:   domain,
		Factors:  []Factor{{Method: MethodPassword, At: newClock().now()}},
	}
}

// issue issues s and returns the session cookie set on the response.
func issue(t *testing.T, m *Manager, oldID string, s *Session) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := m.Issue(t.Context(), rec, oldID, s); err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return onlyCookie(t, rec)
}

func onlyCookie(t *testing.T, rec *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("Set-Cookie headers = %q, want one", rec.Result().Header["Set-Cookie"])
	}
	return cookies[0]
}

func load(t *testing.T, m *Manager, id, host string) *Session {
	t.Helper()
	s, err := m.Load(t.Context(), id, host)
	if err != nil {
		t.Fatalf("Load(%q, %q): %v", id, host, err)
	}
	m.activity.wait() // the activity record, when due, is written off the Load's path
	return s
}

func TestNewManager(t *testing.T) {
	if _, err := NewManager(testConfig(), nil, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("NewManager with a nil store: got no error")
	}
	bad := testConfig()
	bad.SameSite = "sometimes"
	if _, err := NewManager(bad, newMemStore(), slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "session.same_site") {
		t.Errorf("NewManager with a bad config: got %v, want an error naming session.same_site", err)
	}
	m, _, _ := newTestManager(t, Config{Domain: "example.com", PortalURL: "https://auth.example.com"})
	if got := m.CookieName(); got != DefaultCookieName {
		t.Errorf("CookieName() = %q, want %q", got, DefaultCookieName)
	}
	if m.expiration != DefaultExpiration || m.inactivity != DefaultInactivity || m.rememberMe != 0 || m.sameSite != http.SameSiteLaxMode {
		t.Errorf("defaults: expiration %v, inactivity %v, remember-me %v, same-site %v; want %v, %v, 0, lax",
			m.expiration, m.inactivity, m.rememberMe, m.sameSite, DefaultExpiration, DefaultInactivity)
	}
}

func TestIssueLoad(t *testing.T) {
	m, store, c := newTestManager(t, testConfig())
	s := testSession("example.com")
	cookie := issue(t, m, "", s)

	want := testSession("example.com")
	want.CreatedAt, want.LastActivity = c.now(), c.now()
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("Issue changed the session (-want +got):\n%s", diff)
	}
	got := load(t, m, cookie.Value, "app.example.com:8443")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
	if got.Level() != LevelOneFactor {
		t.Errorf("Level() = %v, want one_factor", got.Level())
	}
	sum := sha256.Sum256(mustDecodeID(t, cookie.Value))
	if diff := cmp.Diff([]string{"s:" + hex.EncodeToString(sum[:])}, store.keys()); diff != "" {
		t.Errorf("store keys (-want +got):\n%s", diff)
	}
	for _, k := range store.keys() {
		if v, _ := store.Get(t.Context(), k); strings.Contains(string(v)+k, cookie.Value) {
			t.Errorf("store entry %q holds the session ID", k)
		}
	}
	if got, want := store.ttls[store.keys()[0]], 12*time.Hour; got != want {
		t.Errorf("session ttl = %v, want %v", got, want)
	}
}

func mustDecodeID(t *testing.T, id string) []byte {
	t.Helper()
	b, err := idEncoding.DecodeString(id)
	if err != nil || len(b) != idBytes {
		t.Fatalf("cookie value %q is not a 256-bit base64url ID: %v", id, err)
	}
	return b
}

func TestIssueCookie(t *testing.T) {
	tests := []struct {
		name       string
		domain     string
		rememberMe bool
		want       http.Cookie
	}{
		{"https portal", "example.com", false, http.Cookie{Domain: "example.com", Secure: true}},
		{"remember-me", "example.com", true, http.Cookie{Domain: "example.com", Secure: true, MaxAge: 720 * 3600}},
		{"domain in another case", "EXAMPLE.org", false, http.Cookie{Domain: "example.org", Secure: true}},
		{"http localhost portal", "localhost", false, http.Cookie{Domain: "localhost"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _, _ := newTestManager(t, testConfig())
			s := testSession(tc.domain)
			s.RememberMe = tc.rememberMe
			got := issue(t, m, "", s)
			mustDecodeID(t, got.Value)
			want := tc.want
			want.Name, want.Value, want.Path = DefaultCookieName, got.Value, "/"
			want.HttpOnly, want.SameSite = true, http.SameSiteStrictMode
			if diff := cmp.Diff(&want, got, cmpCookie); diff != "" {
				t.Errorf("cookie (-want +got):\n%s", diff)
			}
		})
	}
}

// cmpCookie compares the attributes Keygate sets, not the parser's bookkeeping.
var cmpCookie = cmp.FilterPath(func(p cmp.Path) bool {
	switch p.Last().String() {
	case ".Raw", ".Unparsed", ".RawExpires", ".Quoted":
		return true
	}
	return false
}, cmp.Ignore())

func TestIssueRotates(t *testing.T) {
	m, store, _ := newTestManager(t, testConfig())
	first := issue(t, m, "", testSession("example.com"))
	s := load(t, m, first.Value, "example.com")
	s.Factors = append(s.Factors, Factor{Method: MethodWebAuthn})
	second := issue(t, m, first.Value, s)

	if second.Value == first.Value {
		t.Fatal("Issue kept the old ID")
	}
	if got := load(t, m, first.Value, "example.com"); got != nil {
		t.Errorf("Load of the old ID = %+v, want nil", got)
	}
	if got := load(t, m, second.Value, "example.com"); got.Level() != LevelTwoFactor {
		t.Errorf("new session level = %v, want two_factor", got.Level())
	}
	if got := len(store.keys()); got != 1 {
		t.Errorf("store holds %d keys, want 1: %q", got, store.keys())
	}
}

func TestIssueErrors(t *testing.T) {
	m, store, c := newTestManager(t, testConfig())
	old := testSession("example.com")
	old.CreatedAt = c.now().Add(-12 * time.Hour)
	tests := []struct {
		name    string
		session *Session
		want    error
	}{
		{"nil", nil, nil},
		{"unknown domain", testSession("example.net"), ErrUnknownDomain},
		{"subdomain, not a cookie domain", testSession("app.example.com"), ErrUnknownDomain},
		{"lifetime over", old, ErrExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			err := m.Issue(t.Context(), rec, "", tc.session)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("Issue: got %v, want %v", err, tc.want)
			}
			if got := rec.Header().Get("Set-Cookie"); got != "" {
				t.Errorf("Issue failed but set a cookie: %q", got)
			}
		})
	}
	if got := store.writes(); got != 0 {
		t.Errorf("failed Issues wrote %d times, want 0", got)
	}
}

func TestDestroy(t *testing.T) {
	m, store, _ := newTestManager(t, testConfig())
	cookie := issue(t, m, "", testSession("example.org"))
	rec := httptest.NewRecorder()
	if err := m.Destroy(t.Context(), rec, cookie.Value, "example.org"); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if got := load(t, m, cookie.Value, "www.example.org"); got != nil {
		t.Errorf("Load after Destroy = %+v, want nil", got)
	}
	if keys := store.keys(); len(keys) != 0 {
		t.Errorf("store keys after Destroy = %q, want none", keys)
	}
	want := &http.Cookie{Name: DefaultCookieName, Path: "/", Domain: "example.org", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode}
	if diff := cmp.Diff(want, onlyCookie(t, rec), cmpCookie); diff != "" {
		t.Errorf("expiring cookie (-want +got):\n%s", diff)
	}

	other := issue(t, m, "", testSession("example.com"))
	err := m.Destroy(t.Context(), httptest.NewRecorder(), other.Value, "example.net")
	if !errors.Is(err, ErrUnknownDomain) {
		t.Errorf("Destroy for an unknown domain: got %v, want ErrUnknownDomain", err)
	}
	if got := load(t, m, other.Value, "example.com"); got != nil {
		t.Error("Destroy for an unknown domain left the session in the store")
	}
	if err := m.Destroy(t.Context(), httptest.NewRecorder(), "garbage", "example.com"); err != nil {
		t.Errorf("Destroy of a malformed ID: %v", err)
	}
}
