package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/keygate/keygate/session"
)

// passkeySession is a session as a passkey sign-in of username leaves it.
func passkeySession(username string, userVerified bool) *session.Session {
	return &session.Session{
		Username: username,
		Domain:   "example.com",
		Factors: []session.Factor{{
			Method: session.MethodPasskey, At: time.Now(), CredentialID: []byte{1, 2, 3},
			UserVerified: userVerified,
		}},
	}
}

func TestPasswordLogin(t *testing.T) {
	te := newTestEnv(t, testConfig())
	rec := te.login(t, "Alice", "alice-password")
	if rec.Code != http.StatusOK {
		t.Fatalf("login status = %d (%s), want 200", rec.Code, rec.Body)
	}
	if diff := cmp.Diff(map[string]any{"level": "one_factor", "redirect": defaultURL}, decode(t, rec)); diff != "" {
		t.Errorf("login answer (-want +got):\n%s", diff)
	}
	cookie := te.sessionCookie(rec)
	if cookie == nil {
		t.Fatalf("login set no session cookie")
	}
	if cookie.Domain != "example.com" || !cookie.HttpOnly || !cookie.Secure {
		t.Errorf("cookie = %+v, want HttpOnly, Secure, for example.com", cookie)
	}
	s := te.load(t, cookie)
	if s == nil {
		t.Fatalf("the new session does not load")
	}
	want := session.Session{
		Username: "alice", DisplayName: "Alice Liddell", Email: "alice@example.com",
		Groups: []string{"admins", "dev"}, Domain: "example.com",
	}
	got := session.Session{Username: s.Username, DisplayName: s.DisplayName, Email: s.Email, Groups: s.Groups, Domain: s.Domain}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("session (-want +got):\n%s", diff)
	}
	if !s.HasMethod(session.MethodPassword) || len(s.Factors) != 1 {
		t.Errorf("factors = %+v, want one password factor", s.Factors)
	}
}

func TestPasswordLoginRotatesID(t *testing.T) {
	te := newTestEnv(t, testConfig())
	first := te.sessionCookie(te.login(t, "alice", "alice-password"))
	second := te.sessionCookie(te.login(t, "alice", "alice-password", withCookie(first)))
	if first == nil || second == nil {
		t.Fatalf("cookies %v, %v, want two session cookies", first, second)
	}
	if first.Value == second.Value {
		t.Errorf("signing in again kept the session ID, want a new one")
	}
	if te.load(t, first) != nil {
		t.Errorf("the old session ID still loads after signing in again")
	}
	if te.load(t, second) == nil {
		t.Errorf("the new session ID does not load")
	}
}

func TestPasswordAfterPasskey(t *testing.T) {
	tests := []struct {
		name        string
		prior       *session.Session
		username    string
		wantLevel   string
		wantFactors []session.Method
	}{
		{"same user completes two factor", passkeySession("alice", false), "alice",
			"two_factor", []session.Method{session.MethodPasskey, session.MethodPassword}},
		{"same user other case", passkeySession("alice", false), "ALICE",
			"two_factor", []session.Method{session.MethodPasskey, session.MethodPassword}},
		{"other user replaces the session", passkeySession("bob", false), "alice",
			"one_factor", []session.Method{session.MethodPassword}},
		{"password again refreshes the factor", &session.Session{Username: "alice", Domain: "example.com",
			Factors: []session.Factor{{Method: session.MethodPassword, At: time.Now().Add(-time.Hour)}}}, "alice",
			"one_factor", []session.Method{session.MethodPassword}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newTestEnv(t, testConfig())
			prior := te.issue(t, tt.prior)
			rec := te.login(t, tt.username, "alice-password", withCookie(prior))
			if rec.Code != http.StatusOK {
				t.Fatalf("login status = %d (%s), want 200", rec.Code, rec.Body)
			}
			if got := decode(t, rec)["level"]; got != tt.wantLevel {
				t.Errorf("level = %v, want %s", got, tt.wantLevel)
			}
			if te.load(t, prior) != nil {
				t.Errorf("the prior session still loads, want it deleted")
			}
			s := te.load(t, te.sessionCookie(rec))
			if s == nil {
				t.Fatalf("the new session does not load")
			}
			var methods []session.Method
			for _, f := range s.Factors {
				methods = append(methods, f.Method)
				if f.Method == session.MethodPassword && time.Since(f.At) > time.Minute {
					t.Errorf("password factor at %v, want now", f.At)
				}
			}
			if diff := cmp.Diff(tt.wantFactors, methods); diff != "" {
				t.Errorf("factors (-want +got):\n%s", diff)
			}
			if s.Username != "alice" {
				t.Errorf("session user = %q, want alice", s.Username)
			}
		})
	}
}

func TestPasswordLoginRememberMe(t *testing.T) {
	tests := []struct {
		name       string
		rememberMe time.Duration
		asked      bool
		want       bool
	}{
		{"allowed and asked", 720 * time.Hour, true, true},
		{"allowed not asked", 720 * time.Hour, false, false},
		{"disabled but asked", 0, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.RememberMe = tt.rememberMe
			te := newTestEnv(t, cfg)
			body, _ := json.Marshal(passwordRequest{Username: "alice", Password: "alice-password", RememberMe: tt.asked})
			rec := te.do(request(http.MethodPost, "/api/login/password", string(body)))
			cookie := te.sessionCookie(rec)
			s := te.load(t, cookie)
			if s == nil {
				t.Fatalf("login status %d (%s): no session", rec.Code, rec.Body)
			}
			if s.RememberMe != tt.want {
				t.Errorf("session RememberMe = %v, want %v", s.RememberMe, tt.want)
			}
			if got := cookie.MaxAge > 0; got != tt.want {
				t.Errorf("cookie Max-Age = %d, want persistent %v", cookie.MaxAge, tt.want)
			}
		})
	}
}

func TestPasswordLoginRedirect(t *testing.T) {
	tests := []struct {
		name, host, origin, rd, want string
	}{
		{"rd on the domain", portalHost, testOrigin, "https://app.example.com/x?y=1", "https://app.example.com/x?y=1"},
		{"no rd", portalHost, testOrigin, "", defaultURL},
		{"rd elsewhere", portalHost, testOrigin, "https://evil.com/", defaultURL},
		{"rd on another cookie domain", portalHost, testOrigin, "https://app.example.org/", defaultURL},
		{"rd with userinfo", portalHost, testOrigin, "https://evil.com@app.example.com/", defaultURL},
		{"second domain, default is its portal", "login.example.org:8443", "https://login.example.org:8443", "",
			"https://login.example.org:8443/"},
		{"second domain, its rd", "login.example.org:8443", "https://login.example.org:8443", "https://app.example.org/",
			"https://app.example.org/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newTestEnv(t, testConfig())
			body, _ := json.Marshal(passwordRequest{Username: "alice", Password: "alice-password", RD: tt.rd})
			rec := te.do(request(http.MethodPost, "/api/login/password", string(body), func(r *http.Request) {
				r.Host = tt.host
				r.Header.Set("Origin", tt.origin)
			}))
			if rec.Code != http.StatusOK {
				t.Fatalf("login status = %d (%s), want 200", rec.Code, rec.Body)
			}
			got, _ := decode(t, rec)["redirect"].(string)
			if got != tt.want {
				t.Errorf("redirect = %q, want %q", got, tt.want)
			}
			if u, err := url.Parse(got); err != nil || !u.IsAbs() {
				t.Errorf("redirect %q is not absolute", got)
			}
		})
	}
}

func TestInvalidCredentialsIndistinguishable(t *testing.T) {
	te := newTestEnv(t, Config{Regulation: testConfig().Regulation})
	want := te.login(t, "alice", "wrong", withRemoteAddr("198.51.100.1:1"))
	if want.Code != http.StatusUnauthorized {
		t.Fatalf("wrong password status = %d, want 401", want.Code)
	}
	if diff := cmp.Diff(map[string]any{"error": "invalid_credentials", "message": "Wrong username or password."}, decode(t, want)); diff != "" {
		t.Errorf("wrong password answer (-want +got):\n%s", diff)
	}
	tests := []struct{ name, username, password string }{
		{"unknown user", "mallory", "alice-password"},
		{"disabled user", "dora", "dora-password"},
		{"passwordless user", "carol", "carol-password"},
		{"other user's password", "bob", "alice-password"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := te.login(t, tt.username, tt.password, withRemoteAddr(fmt.Sprintf("198.51.100.%d:1", i+2)))
			if rec.Code != want.Code || rec.Body.String() != want.Body.String() {
				t.Errorf("answer %d %q, want %d %q like a wrong password", rec.Code, rec.Body, want.Code, want.Body)
			}
			if diff := cmp.Diff(want.Header(), rec.Header()); diff != "" {
				t.Errorf("headers differ from a wrong password's (-want +got):\n%s", diff)
			}
			if c := te.sessionCookie(rec); c != nil {
				t.Errorf("failed sign-in set cookie %v", c)
			}
		})
	}
}

func TestRegulationBan(t *testing.T) {
	te := newTestEnv(t, testConfig()) // 3 failures within 1m ban for 10m
	wrong := te.login(t, "alice", "wrong")
	for range 2 {
		te.login(t, "alice", "wrong")
	}
	calls := te.users.calls.Load()
	banned := te.login(t, "alice", "alice-password", withRemoteAddr("203.0.113.9:1"))
	if banned.Code != wrong.Code || banned.Body.String() != wrong.Body.String() {
		t.Errorf("banned sign-in answered %d %q, want %d %q like a wrong password", banned.Code, banned.Body, wrong.Code, wrong.Body)
	}
	if te.sessionCookie(banned) != nil {
		t.Errorf("banned sign-in set a session cookie")
	}
	if got := te.users.calls.Load() - calls; got != 0 {
		t.Errorf("banned sign-in made %d password checks, want 0 (answered without hashing)", got)
	}
	if rec := te.login(t, "bob", "bob-password"); rec.Code != http.StatusUnauthorized {
		t.Errorf("bob from the banned address: status %d, want 401", rec.Code)
	}
	if rec := te.login(t, "bob", "bob-password", withRemoteAddr("203.0.113.9:1")); rec.Code != http.StatusOK {
		t.Errorf("bob from another address: status %d, want 200", rec.Code)
	}
	te.clock.advance(10 * time.Minute)
	if rec := te.login(t, "alice", "alice-password", withRemoteAddr("203.0.113.9:1")); rec.Code != http.StatusOK {
		t.Errorf("alice after the ban: status %d, want 200", rec.Code)
	}
}

func TestRegulationSuccessResets(t *testing.T) {
	te := newTestEnv(t, testConfig())
	te.login(t, "alice", "wrong", withRemoteAddr("192.0.2.1:1"))
	te.login(t, "alice", "wrong", withRemoteAddr("192.0.2.2:1"))
	if rec := te.login(t, "alice", "alice-password", withRemoteAddr("192.0.2.3:1")); rec.Code != http.StatusOK {
		t.Fatalf("login status = %d, want 200", rec.Code)
	}
	te.login(t, "alice", "wrong", withRemoteAddr("192.0.2.4:1"))
	te.login(t, "alice", "wrong", withRemoteAddr("192.0.2.5:1"))
	if rec := te.login(t, "alice", "alice-password", withRemoteAddr("192.0.2.6:1")); rec.Code != http.StatusOK {
		t.Errorf("after 2+2 failures split by a success: status %d, want 200 (count reset)", rec.Code)
	}
}

func TestLogout(t *testing.T) {
	tests := []struct {
		name       string
		signedIn   bool
		body       string
		wantTarget string
	}{
		{"signed in, no body", true, "", defaultURL},
		{"signed in, rd", true, `{"rd":"https://app.example.com/bye"}`, "https://app.example.com/bye"},
		{"signed in, bad rd", true, `{"rd":"https://evil.com/"}`, defaultURL},
		{"not signed in", false, `{}`, defaultURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newTestEnv(t, testConfig())
			var prior *http.Cookie
			if tt.signedIn {
				prior = te.issue(t, passkeySession("alice", true))
			}
			rec := te.do(request(http.MethodPost, "/api/logout", tt.body, withCookie(prior)))
			if rec.Code != http.StatusOK {
				t.Fatalf("logout status = %d (%s), want 200", rec.Code, rec.Body)
			}
			if diff := cmp.Diff(map[string]any{"redirect": tt.wantTarget}, decode(t, rec)); diff != "" {
				t.Errorf("logout answer (-want +got):\n%s", diff)
			}
			c := te.sessionCookie(rec)
			if c == nil || c.MaxAge >= 0 || c.Value != "" {
				t.Errorf("logout cookie = %v, want the session cookie expired", c)
			}
			if tt.signedIn && te.load(t, prior) != nil {
				t.Errorf("the session still loads after logout")
			}
		})
	}
}

func TestSessionAPI(t *testing.T) {
	te := newTestEnv(t, Config{})
	anonymous := map[string]any{
		"authenticated": false, "username": "", "display_name": "", "groups": []any{}, "level": "none",
		"factors": []any{}, "credentials": float64(0), "passkey_login": true,
	}
	twoFactor := passkeySession("alice", false)
	twoFactor.DisplayName, twoFactor.Groups = "Alice Liddell", []string{"admins"}
	twoFactor.Factors = append(twoFactor.Factors, session.Factor{Method: session.MethodPassword, At: time.Now()})
	tests := []struct {
		name   string
		cookie *http.Cookie
		host   string
		want   map[string]any
	}{
		{"no cookie", nil, portalHost, anonymous},
		{"unknown ID", &http.Cookie{Name: te.sessions.CookieName(), Value: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, portalHost, anonymous},
		{"malformed cookie", &http.Cookie{Name: te.sessions.CookieName(), Value: "x"}, portalHost, anonymous},
		{"two factor", te.issue(t, twoFactor), portalHost, map[string]any{
			"authenticated": true, "username": "alice", "display_name": "Alice Liddell", "groups": []any{"admins"},
			"level": "two_factor", "factors": []any{"passkey", "password"}, "credentials": float64(0), "passkey_login": true,
		}},
		{"session of another cookie domain", te.issue(t, twoFactor), "login.example.org:8443", anonymous},
		{"unknown host", te.issue(t, twoFactor), "evil.com", anonymous},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := te.do(request(http.MethodGet, "/api/session", "", withCookie(tt.cookie), func(r *http.Request) { r.Host = tt.host }))
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200", rec.Code)
			}
			if diff := cmp.Diff(tt.want, decode(t, rec)); diff != "" {
				t.Errorf("GET /api/session (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	te := newTestEnv(t, testConfig())
	rec := te.do(request(http.MethodGet, "/api/health", ""))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if diff := cmp.Diff(map[string]any{"status": "ok"}, decode(t, rec)); diff != "" {
		t.Errorf("GET /api/health (-want +got):\n%s", diff)
	}
}
