package session

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// cookieRequest is a request carrying one keygate_session cookie per value, in order.
func cookieRequest(values ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = "keygate_session=" + v
	}
	r.Header.Set("Cookie", strings.Join(parts, "; "))
	return r
}

// TestLoadRequestDuplicates checks which of several session cookies a request
// is honoured with: never the one the sender put first when two are live.
func TestLoadRequestDuplicates(t *testing.T) {
	m, _, _ := newTestManager(t, testConfig())
	alice := issue(t, m, "", testSession("example.com")).Value
	mallory := testSession("example.com")
	mallory.Username = "mallory"
	planted := issue(t, m, "", mallory).Value
	unknown, malformed := newID(), "x"
	tests := []struct {
		name    string
		cookies []string
		want    string // the username honoured, "" for anonymous
	}{
		{"one", []string{alice}, "alice"},
		{"unknown planted first", []string{unknown, alice}, "alice"},
		{"malformed planted first", []string{malformed, alice}, "alice"},
		{"unknown planted last", []string{alice, unknown}, "alice"},
		{"the same twice", []string{alice, alice}, "alice"},
		{"live planted first", []string{planted, alice}, ""},
		{"live planted last", []string{alice, planted}, ""},
		{"too many", []string{newID(), newID(), newID(), newID(), alice}, ""},
		{"only unknown", []string{unknown, newID()}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, s, err := m.LoadRequest(t.Context(), cookieRequest(tc.cookies...), "app.example.com")
			if err != nil {
				t.Fatalf("LoadRequest: %v", err)
			}
			got := ""
			if s != nil {
				got = s.Username
			}
			if got != tc.want {
				t.Errorf("LoadRequest honours %q, want %q", got, tc.want)
			}
			if (id == "") != (s == nil) {
				t.Errorf("LoadRequest ID %q with session %v: want both or neither", id, s)
			}
		})
	}
}

func TestCookieValues(t *testing.T) {
	m, _, _ := newTestManager(t, testConfig())
	a, b := newID(), newID()
	got := m.CookieValues(cookieRequest(a, "x", b, a))
	if want := []string{a, b}; !slices.Equal(got, want) {
		t.Errorf("CookieValues = %q, want %q", got, want)
	}
	many := make([]string, MaxCookieValues+5)
	for i := range many {
		many[i] = newID()
	}
	if got := m.CookieValues(cookieRequest(many...)); len(got) != MaxCookieValues {
		t.Errorf("CookieValues of %d IDs returned %d, want %d", len(many), len(got), MaxCookieValues)
	}
}

// TestDestroyAll ends every session named and expires the cookie once.
func TestDestroyAll(t *testing.T) {
	m, _, _ := newTestManager(t, testConfig())
	one := issue(t, m, "", testSession("example.com")).Value
	two := issue(t, m, "", testSession("example.com")).Value
	rec := httptest.NewRecorder()
	if err := m.DestroyAll(t.Context(), rec, []string{one, two, "x"}, "example.com"); err != nil {
		t.Fatalf("DestroyAll: %v", err)
	}
	for _, id := range []string{one, two} {
		if s, err := m.Load(t.Context(), id, "example.com"); s != nil || err != nil {
			t.Errorf("Load after DestroyAll = %v, %v; want nil, nil", s, err)
		}
	}
	if c := onlyCookie(t, rec); c.MaxAge >= 0 {
		t.Errorf("cookie after DestroyAll has Max-Age %d, want it expired", c.MaxAge)
	}
}
