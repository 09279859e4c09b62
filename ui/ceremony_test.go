package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/google/go-cmp/cmp"
	"github.com/keygate/keygate/webauthn"

	"github.com/keygate/keygate/session"
)

// ceremonyConfig is the portal config of the WebAuthn tests.
func ceremonyConfig() Config {
	cfg := testConfig()
	cfg.PasskeyUVTwoFactor = true
	return cfg
}

// withKey returns a browser in which user signed in with a password, passed
// the identity check, registered d and then used it as a second factor, so the
// session is at two_factor and still elevated.
func (p *portal) withKey(t *testing.T, user string, d *device) *browser {
	t.Helper()
	b := p.browser(t)
	b.password(user)
	b.elevate(user)
	b.register(d, "")
	b.secondFactor(d).want(t, http.StatusOK, "")
	return b
}

// invite creates an enrollment token for user.
func (p *portal) invite(t *testing.T, user string) string {
	t.Helper()
	token, err := p.store.CreateInvite(context.Background(), user, time.Hour)
	if err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	return token
}

// enroll follows an invite with d and returns the answer of POST /api/enroll.
func (b *browser) enroll(token string, d *device) reply {
	b.t.Helper()
	opts := b.post("/api/enroll/options", map[string]any{"token": token, "description": ""})
	opts.want(b.t, http.StatusOK, "")
	return b.post("/api/enroll", map[string]any{"token": token, "credential": d.attest(b.t, opts.body)})
}

// factors lists the methods of the browser's session.
func factors(t *testing.T, s map[string]any) []string {
	t.Helper()
	var out []string
	for _, f := range s["factors"].([]any) {
		out = append(out, f.(string))
	}
	return out
}

func TestRegisterAfterIdentityCode(t *testing.T) {
	for _, kt := range []virtualwebauthn.KeyType{virtualwebauthn.KeyTypeEC2, virtualwebauthn.KeyTypeRSA} {
		t.Run(string(kt), func(t *testing.T) {
			p := newPortal(t, ceremonyConfig(), nil)
			b := p.browser(t)
			b.password("alice")
			before := b.sessionID()
			b.post("/api/webauthn/credentials/options", map[string]any{}).want(t, http.StatusForbidden, codeElevationRequired)
			b.elevate("alice")
			if b.sessionID() == before {
				t.Errorf("the identity check kept the session ID, want a new one")
			}
			sum := b.register(newDevice(kt, true), "My key")
			if sum["description"] != "My key" || sum["discoverable"] != true || sum["user_verified"] != true {
				t.Errorf("summary = %v, want My key, discoverable, user verified", sum)
			}
			r := b.send(http.MethodGet, "/api/webauthn/credentials", "")
			r.want(t, http.StatusOK, "")
			var list []map[string]any
			mustUnmarshal(t, r.body, &list)
			if len(list) != 1 || list[0]["id"] != sum["id"] {
				t.Errorf("credentials = %v, want the new one", list)
			}
			if got := b.session()["credentials"]; got != float64(1) {
				t.Errorf("GET /api/session credentials = %v, want 1", got)
			}
			wantAudit(t, p, "alice", actionCredentialAdded)
		})
	}
}

func TestSecondFactorAfterPassword(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	key := newDevice(virtualwebauthn.KeyTypeEC2, false)
	p.withKey(t, "alice", key)

	b := p.browser(t)
	if got := b.password("alice")["level"]; got != "one_factor" {
		t.Fatalf("password level = %v, want one_factor", got)
	}
	old := b.sessionID()
	r := b.secondFactor(key)
	r.want(t, http.StatusOK, "")
	if diff := cmp.Diff(map[string]any{"level": "two_factor", "redirect": defaultURL}, r.fields(t)); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	if b.sessionID() == old {
		t.Errorf("the second factor kept the session ID, want a new one")
	}
	if s, _ := p.sessions.Load(context.Background(), old, portalHost); s != nil {
		t.Errorf("the password session still loads after the second factor")
	}
	s := b.session()
	if diff := cmp.Diff([]string{"password", "webauthn"}, factors(t, s)); diff != "" || s["level"] != "two_factor" {
		t.Errorf("session level %v, factors (-want +got):\n%s", s["level"], diff)
	}
}

func TestPasskeyLogin(t *testing.T) {
	tests := []struct {
		name      string
		user      string
		uv        bool
		wantLevel string
		wantNext  string
	}{
		{"with user verification", "alice", true, "two_factor", ""},
		{"without user verification", "alice", false, "one_factor", "password"},
		{"without user verification, no password to add", "carol", false, "one_factor", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPortal(t, ceremonyConfig(), nil)
			d := newDevice(virtualwebauthn.KeyTypeEC2, tt.uv)
			p.browser(t).enroll(p.invite(t, tt.user), d).want(t, http.StatusOK, "")

			b := p.browser(t)
			r := b.passkey(d, true)
			r.want(t, http.StatusOK, "")
			want := map[string]any{"level": tt.wantLevel, "redirect": defaultURL, "next": tt.wantNext}
			if diff := cmp.Diff(want, r.fields(t)); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			if _, left := b.cookies[ceremonyCookie]; left {
				t.Errorf("the ceremony cookie is still set after the sign-in")
			}
			s, err := p.sessions.Load(context.Background(), b.sessionID(), portalHost)
			if err != nil || s == nil {
				t.Fatalf("the passkey session does not load: %v", err)
			}
			if s.Username != tt.user || !s.RememberMe || !s.HasMethod(session.MethodPasskey) {
				t.Errorf("session = %+v, want %s, remember me, a passkey factor", s, tt.user)
			}
		})
	}
}

func TestPasswordAfterPasskeyOverHTTP(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	d := newDevice(virtualwebauthn.KeyTypeEC2, false)
	p.browser(t).enroll(p.invite(t, "alice"), d).want(t, http.StatusOK, "")

	b := p.browser(t)
	b.passkey(d, false).want(t, http.StatusOK, "")
	if got := b.password("alice")["level"]; got != "two_factor" {
		t.Errorf("password after the passkey: level %v, want two_factor", got)
	}
	if diff := cmp.Diff([]string{"passkey", "password"}, factors(t, b.session())); diff != "" {
		t.Errorf("factors (-want +got):\n%s", diff)
	}

	other := p.browser(t)
	other.passkey(d, false).want(t, http.StatusOK, "")
	if got := other.password("bob")["level"]; got != "one_factor" {
		t.Errorf("another user's password after the passkey: level %v, want one_factor", got)
	}
	if s := other.session(); s["username"] != "bob" || len(factors(t, s)) != 1 {
		t.Errorf("session = %v, want bob's alone: the passkey of alice does not count for bob", s)
	}
}

func TestPasskeyOptionsConditional(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	b := p.browser(t)
	for _, tt := range []struct {
		body string
		want any
	}{{`{"conditional":true}`, "conditional"}, {`{}`, nil}, {"", nil}} {
		r := b.send(http.MethodPost, "/api/login/passkey/options", tt.body)
		r.want(t, http.StatusOK, "")
		m := r.fields(t)
		if m["mediation"] != tt.want || m["publicKey"] == nil {
			t.Errorf("options for %q = %v, want publicKey and mediation %v", tt.body, m, tt.want)
		}
	}
	c := b.cookies[ceremonyCookie]
	if c == nil || !c.HttpOnly || !c.Secure || c.Path != "/api/" || c.SameSite != http.SameSiteStrictMode {
		t.Errorf("ceremony cookie = %+v, want HttpOnly, Secure, Path /api/, SameSite Strict", c)
	}
}

func TestEnroll(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	token := p.invite(t, "carol")
	b := p.browser(t)
	page := b.send(http.MethodGet, "/enroll?token="+url.QueryEscape(token), "")
	if page.status != http.StatusOK {
		t.Fatalf("GET /enroll = %d, want 200", page.status)
	}
	r := b.enroll(token, newDevice(virtualwebauthn.KeyTypeEC2, true))
	r.want(t, http.StatusOK, "")
	if diff := cmp.Diff(map[string]any{"level": "two_factor", "redirect": defaultURL}, r.fields(t)); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	s := b.session()
	if s["username"] != "carol" || s["level"] != "two_factor" || s["credentials"] != float64(1) {
		t.Errorf("session after enrolling = %v, want carol at two_factor with one credential", s)
	}
	// The enrollment elevates: another credential may be added at once.
	b.register(newDevice(virtualwebauthn.KeyTypeRSA, true), "Second")
	wantAudit(t, p, "carol", actionInviteRedeemed)

	again := p.browser(t)
	again.post("/api/enroll/options", map[string]any{"token": token}).want(t, http.StatusNotFound, codeInvalidInvite)
}

func TestEnrollInviteSingleUse(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	token := p.invite(t, "carol")
	first, second := p.browser(t), p.browser(t)
	opts1 := first.post("/api/enroll/options", map[string]any{"token": token})
	opts2 := second.post("/api/enroll/options", map[string]any{"token": token})
	opts1.want(t, http.StatusOK, "")
	opts2.want(t, http.StatusOK, "")
	d1, d2 := newDevice(virtualwebauthn.KeyTypeEC2, true), newDevice(virtualwebauthn.KeyTypeEC2, true)
	first.post("/api/enroll", map[string]any{"token": token, "credential": d1.attest(t, opts1.body)}).want(t, http.StatusOK, "")
	r := second.post("/api/enroll", map[string]any{"token": token, "credential": d2.attest(t, opts2.body)})
	r.want(t, http.StatusNotFound, codeInvalidInvite)
	if got := second.session()["authenticated"]; got != false {
		t.Errorf("the second use of the invite signed in: %v", got)
	}
	creds, err := p.rp.Credentials(context.Background(), "carol")
	if err != nil || len(creds) != 1 {
		t.Errorf("carol has %d credentials (%v), want 1", len(creds), err)
	}
}

func TestEnrollRefusals(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	tests := []struct {
		name, token string
		status      int
		code        string
	}{
		{"unknown token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", http.StatusNotFound, codeInvalidInvite},
		{"empty token", "", http.StatusBadRequest, codeInvalidRequest},
		{"disabled user", p.invite(t, "dora"), http.StatusNotFound, codeInvalidInvite},
		{"user not in the users file", p.invite(t, "zed"), http.StatusNotFound, codeInvalidInvite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.browser(t).post("/api/enroll/options", map[string]any{"token": tt.token}).want(t, tt.status, tt.code)
		})
	}
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("answer %q: %v", b, err)
	}
}

// wantAudit fails unless the audit trail has an event of action for user.
func wantAudit(t *testing.T, p *portal, user, action string) {
	t.Helper()
	events, err := p.store.AuditEvents(context.Background(), user, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Action == action {
			return
		}
	}
	t.Errorf("audit trail of %s = %+v, want a %s event", user, events, action)
}

// TestDisabledUserKeysRefused checks that a user disabled in the users file
// signs in neither by passkey nor, after a password, with a security key, and
// that the browser is left without a session.
func TestDisabledUserKeysRefused(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	key := newDevice(virtualwebauthn.KeyTypeEC2, true)
	signedIn := p.withKey(t, "alice", key)
	p.users.disable("alice")

	b := p.browser(t)
	b.passkey(key, false).want(t, http.StatusUnauthorized, webauthn.ErrInvalidCredential.Code)
	if s := b.session(); s["authenticated"] != false {
		t.Errorf("session after a disabled user's passkey: %v, want none", s)
	}
	// The session alice had before is anonymous now, so the security-key step
	// has no user to ask for.
	opts := signedIn.post("/api/login/webauthn/options", map[string]any{})
	opts.want(t, http.StatusUnauthorized, codeUnauthenticated)
}

// TestEnrollRefusedKeepsInvite checks that an invite is used up only by the
// registration that stores a credential: a refused answer, or one that names
// another invite than the ceremony began with, leaves every invite usable.
func TestEnrollRefusedKeepsInvite(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	token, other := p.invite(t, "carol"), p.invite(t, "carol")
	b := p.browser(t)

	forged := newDevice(virtualwebauthn.KeyTypeEC2, true)
	forged.rp.Origin = "https://evil.example"
	opts := b.post("/api/enroll/options", map[string]any{"token": token})
	opts.want(t, http.StatusOK, "")
	r := b.post("/api/enroll", map[string]any{"token": token, "credential": forged.attest(t, opts.body)})
	r.want(t, http.StatusUnprocessableEntity, webauthn.ErrInvalidCredential.Code)

	opts = b.post("/api/enroll/options", map[string]any{"token": token})
	opts.want(t, http.StatusOK, "")
	r = b.post("/api/enroll", map[string]any{"token": other, "credential": newDevice(virtualwebauthn.KeyTypeEC2, true).attest(t, opts.body)})
	r.want(t, http.StatusBadRequest, webauthn.ErrChallengeMismatch.Code)

	for _, tok := range []string{token, other} {
		if user, err := p.store.PeekInvite(context.Background(), tok); err != nil || user != "carol" {
			t.Errorf("invite after refused enrollments: %q, %v; want it unused", user, err)
		}
	}
	if creds, err := p.rp.Credentials(context.Background(), "carol"); err != nil || len(creds) != 0 {
		t.Errorf("carol has %d credentials (%v) after refused enrollments, want none", len(creds), err)
	}

	b.enroll(token, newDevice(virtualwebauthn.KeyTypeEC2, true)).want(t, http.StatusOK, "")
	if _, err := p.store.PeekInvite(context.Background(), token); err == nil {
		t.Error("the invite is still usable after enrolling with it")
	}
}
