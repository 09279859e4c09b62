package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/keygate/keygate/store"
	"github.com/keygate/keygate/webauthn"
)

// Codes of the relying party's refusals, as the API answers them.
var (
	codeChallengeExpired  = webauthn.ErrChallengeExpired.Code
	codeChallengeMismatch = webauthn.ErrChallengeMismatch.Code
)

// corrupt replaces the base64url value of field in a credential's JSON.
func corrupt(t *testing.T, credential json.RawMessage, field string) json.RawMessage {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(credential, &m); err != nil {
		t.Fatal(err)
	}
	m["response"].(map[string]any)[field] = "!!not base64!!"
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSecondFactorRejections(t *testing.T) {
	tests := []struct {
		name   string
		run    func(t *testing.T, p *portal, b *browser, key *device) reply
		status int
		code   string
	}{
		{"wrong origin", func(t *testing.T, p *portal, b *browser, key *device) reply {
			key.rp.Origin = "https://evil.example.com"
			return b.secondFactor(key)
		}, http.StatusUnauthorized, "invalid_credential"},
		{"replayed challenge", func(t *testing.T, p *portal, b *browser, key *device) reply {
			opts := b.post("/api/login/webauthn/options", map[string]any{})
			cred := key.assert(t, opts.body)
			b.post("/api/login/webauthn", map[string]any{"credential": cred}).want(t, http.StatusOK, "")
			return b.post("/api/login/webauthn", map[string]any{"credential": cred})
		}, http.StatusBadRequest, codeChallengeExpired},
		{"expired challenge", func(t *testing.T, p *portal, b *browser, key *device) reply {
			opts := b.post("/api/login/webauthn/options", map[string]any{})
			p.untilPast(p.rp.StateTTL())
			return b.post("/api/login/webauthn", map[string]any{"credential": key.assert(t, opts.body)})
		}, http.StatusBadRequest, codeChallengeExpired},
		{"challenge of another session, none here", func(t *testing.T, p *portal, b *browser, key *device) reply {
			other := p.browser(t)
			other.password("alice")
			opts := other.post("/api/login/webauthn/options", map[string]any{})
			return b.post("/api/login/webauthn", map[string]any{"credential": key.assert(t, opts.body)})
		}, http.StatusBadRequest, codeChallengeExpired},
		{"challenge of another session, one here too", func(t *testing.T, p *portal, b *browser, key *device) reply {
			other := p.browser(t)
			other.password("alice")
			opts := other.post("/api/login/webauthn/options", map[string]any{})
			b.post("/api/login/webauthn/options", map[string]any{}).want(t, http.StatusOK, "")
			return b.post("/api/login/webauthn", map[string]any{"credential": key.assert(t, opts.body)})
		}, http.StatusBadRequest, codeChallengeMismatch},
		{"another user's credential", func(t *testing.T, p *portal, b *browser, key *device) reply {
			bobs := newDevice(virtualwebauthn.KeyTypeEC2, true)
			p.browser(t).enroll(p.invite(t, "bob"), bobs).want(t, http.StatusOK, "")
			bob := p.browser(t)
			bob.password("bob")
			return bob.secondFactor(key)
		}, http.StatusUnauthorized, "unknown_credential"},
		{"malformed JSON", func(t *testing.T, p *portal, b *browser, key *device) reply {
			b.post("/api/login/webauthn/options", map[string]any{})
			return b.send(http.MethodPost, "/api/login/webauthn", `{"credential": {`)
		}, http.StatusBadRequest, codeInvalidRequest},
		{"no credential", func(t *testing.T, p *portal, b *browser, key *device) reply {
			b.post("/api/login/webauthn/options", map[string]any{})
			return b.post("/api/login/webauthn", map[string]any{"rd": ""})
		}, http.StatusBadRequest, codeInvalidRequest},
		{"malformed base64", func(t *testing.T, p *portal, b *browser, key *device) reply {
			opts := b.post("/api/login/webauthn/options", map[string]any{})
			cred := corrupt(t, key.assert(t, opts.body), "clientDataJSON")
			return b.post("/api/login/webauthn", map[string]any{"credential": cred})
		}, http.StatusBadRequest, webauthn.ErrMalformedCredential.Code},
		{"not signed in", func(t *testing.T, p *portal, b *browser, key *device) reply {
			return p.browser(t).post("/api/login/webauthn/options", map[string]any{})
		}, http.StatusUnauthorized, codeUnauthenticated},
		{"no credentials", func(t *testing.T, p *portal, b *browser, key *device) reply {
			bob := p.browser(t)
			bob.password("bob")
			return bob.post("/api/login/webauthn/options", map[string]any{})
		}, http.StatusConflict, webauthn.ErrNoCredentials.Code},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPortal(t, ceremonyConfig(), nil)
			key := newDevice(virtualwebauthn.KeyTypeEC2, true)
			p.withKey(t, "alice", key)
			b := p.browser(t)
			b.password("alice")
			tt.run(t, p, b, key).want(t, tt.status, tt.code)
		})
	}
}

func TestUserVerificationRequired(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), func(c *webauthn.Config) { c.UserVerification = "required" })
	key := newDevice(virtualwebauthn.KeyTypeEC2, true)
	p.withKey(t, "alice", key)
	key.auth.Options.UserNotVerified = true
	b := p.browser(t)
	b.password("alice")
	b.secondFactor(key).want(t, http.StatusUnauthorized, webauthn.ErrUserVerificationRequired.Code)
	b.passkey(key, false).want(t, http.StatusUnauthorized, webauthn.ErrUserVerificationRequired.Code)
	if got := b.session()["level"]; got != "one_factor" {
		t.Errorf("level after the refusals = %v, want one_factor", got)
	}
}

func TestCounterRollback(t *testing.T) {
	tests := []struct {
		name   string
		signIn func(b *browser, d *device) reply
	}{
		{"second factor", func(b *browser, d *device) reply { return b.secondFactor(d) }},
		{"passkey", func(b *browser, d *device) reply { return b.passkey(d, false) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPortal(t, ceremonyConfig(), nil)
			key, spare := newDevice(virtualwebauthn.KeyTypeEC2, true), newDevice(virtualwebauthn.KeyTypeEC2, true)
			owner := p.withKey(t, "alice", key)
			owner.register(spare, "Spare")
			key.cred.Counter = 5
			first := p.browser(t)
			first.password("alice")
			tt.signIn(first, key).want(t, http.StatusOK, "")

			key.cred.Counter = 2 // a clone, behind the original
			b := p.browser(t)
			b.password("alice")
			tt.signIn(b, key).want(t, http.StatusForbidden, webauthn.ErrCloneWarning.Code)

			r := owner.send(http.MethodGet, "/api/webauthn/credentials", "")
			var list []map[string]any
			mustUnmarshal(t, r.body, &list)
			if len(list) != 2 || list[0]["clone_warning"] != true || list[1]["clone_warning"] != false {
				t.Errorf("credentials = %v, want the first flagged clone_warning, the spare not", list)
			}
			wantAudit(t, p, "alice", actionCloneWarning)
			tt.signIn(b, spare).want(t, http.StatusOK, "")
		})
	}
}

func TestPasskeyRejections(t *testing.T) {
	tests := []struct {
		name   string
		run    func(t *testing.T, p *portal, key *device) reply
		status int
		code   string
	}{
		{"wrong origin", func(t *testing.T, p *portal, key *device) reply {
			key.rp.Origin = "https://auth.example.net"
			return p.browser(t).passkey(key, false)
		}, http.StatusUnauthorized, "invalid_credential"},
		{"challenge of another browser, none here", func(t *testing.T, p *portal, key *device) reply {
			opts := p.browser(t).post("/api/login/passkey/options", map[string]any{})
			return p.browser(t).post("/api/login/passkey", map[string]any{"credential": key.assert(t, opts.body)})
		}, http.StatusBadRequest, codeChallengeExpired},
		{"challenge of another browser, one here too", func(t *testing.T, p *portal, key *device) reply {
			opts := p.browser(t).post("/api/login/passkey/options", map[string]any{})
			b := p.browser(t)
			b.post("/api/login/passkey/options", map[string]any{}).want(t, http.StatusOK, "")
			return b.post("/api/login/passkey", map[string]any{"credential": key.assert(t, opts.body)})
		}, http.StatusBadRequest, codeChallengeMismatch},
		{"replayed with the same cookie", func(t *testing.T, p *portal, key *device) reply {
			b := p.browser(t)
			opts := b.post("/api/login/passkey/options", map[string]any{})
			cookie := b.cookies[ceremonyCookie]
			cred := key.assert(t, opts.body)
			b.post("/api/login/passkey", map[string]any{"credential": cred}).want(t, http.StatusOK, "")
			b.cookies[ceremonyCookie] = cookie
			return b.post("/api/login/passkey", map[string]any{"credential": cred})
		}, http.StatusBadRequest, codeChallengeExpired},
		{"expired challenge", func(t *testing.T, p *portal, key *device) reply {
			b := p.browser(t)
			opts := b.post("/api/login/passkey/options", map[string]any{})
			p.untilPast(p.rp.StateTTL())
			return b.post("/api/login/passkey", map[string]any{"credential": key.assert(t, opts.body)})
		}, http.StatusBadRequest, codeChallengeExpired},
		{"unknown user handle", func(t *testing.T, p *portal, key *device) reply {
			key.auth.Options.UserHandle = []byte("not a handle of anyone")
			return p.browser(t).passkey(key, false)
		}, http.StatusUnauthorized, "unknown_credential"},
		{"malformed base64", func(t *testing.T, p *portal, key *device) reply {
			b := p.browser(t)
			opts := b.post("/api/login/passkey/options", map[string]any{})
			cred := corrupt(t, key.assert(t, opts.body), "authenticatorData")
			return b.post("/api/login/passkey", map[string]any{"credential": cred})
		}, http.StatusBadRequest, webauthn.ErrMalformedCredential.Code},
		{"malformed JSON", func(t *testing.T, p *portal, key *device) reply {
			b := p.browser(t)
			b.post("/api/login/passkey/options", map[string]any{})
			return b.send(http.MethodPost, "/api/login/passkey", `{"credential": "x", "remember_me": "yes"}`)
		}, http.StatusBadRequest, codeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPortal(t, ceremonyConfig(), nil)
			key := newDevice(virtualwebauthn.KeyTypeEC2, true)
			p.browser(t).enroll(p.invite(t, "alice"), key).want(t, http.StatusOK, "")
			tt.run(t, p, key).want(t, tt.status, tt.code)
		})
	}
}

func TestPasskeyLoginDisabled(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), func(c *webauthn.Config) { c.PasskeyLogin = new(false) })
	b := p.browser(t)
	b.post("/api/login/passkey/options", map[string]any{}).want(t, http.StatusForbidden, webauthn.ErrPasskeyLoginDisabled.Code)
	if got := b.session()["passkey_login"]; got != false {
		t.Errorf("GET /api/session passkey_login = %v, want false", got)
	}
}

func TestRegistrationRejections(t *testing.T) {
	tests := []struct {
		name   string
		run    func(t *testing.T, p *portal, b *browser, key *device) reply
		status int
		code   string
	}{
		{"excluded credential", func(t *testing.T, p *portal, b *browser, key *device) reply {
			opts := b.post("/api/webauthn/credentials/options", map[string]any{})
			return b.post("/api/webauthn/credentials", map[string]any{"credential": key.attest(t, opts.body)})
		}, http.StatusConflict, webauthn.ErrCredentialExcluded.Code},
		{"state of another session", func(t *testing.T, p *portal, b *browser, key *device) reply {
			other := p.browser(t)
			other.password("alice")
			other.secondFactor(key).want(t, http.StatusOK, "")
			other.elevate("alice")
			opts := other.post("/api/webauthn/credentials/options", map[string]any{})
			d := newDevice(virtualwebauthn.KeyTypeEC2, true)
			return b.post("/api/webauthn/credentials", map[string]any{"credential": d.attest(t, opts.body)})
		}, http.StatusBadRequest, codeChallengeExpired},
		{"wrong origin", func(t *testing.T, p *portal, b *browser, key *device) reply {
			d := newDevice(virtualwebauthn.KeyTypeEC2, true)
			d.rp.Origin = "https://evil.example.com"
			opts := b.post("/api/webauthn/credentials/options", map[string]any{})
			return b.post("/api/webauthn/credentials", map[string]any{"credential": d.attest(t, opts.body)})
		}, http.StatusUnprocessableEntity, "invalid_credential"},
		{"malformed base64", func(t *testing.T, p *portal, b *browser, key *device) reply {
			d := newDevice(virtualwebauthn.KeyTypeEC2, true)
			opts := b.post("/api/webauthn/credentials/options", map[string]any{})
			cred := corrupt(t, d.attest(t, opts.body), "attestationObject")
			return b.post("/api/webauthn/credentials", map[string]any{"credential": cred})
		}, http.StatusBadRequest, webauthn.ErrMalformedCredential.Code},
		{"another key with one factor only", func(t *testing.T, p *portal, b *browser, key *device) reply {
			other := p.browser(t)
			other.password("alice")
			other.elevate("alice")
			return other.post("/api/webauthn/credentials/options", map[string]any{})
		}, http.StatusForbidden, codeTwoFactorRequired},
		{"elevation over", func(t *testing.T, p *portal, b *browser, key *device) reply {
			p.untilPast(5 * time.Minute)
			return b.post("/api/webauthn/credentials/options", map[string]any{})
		}, http.StatusForbidden, codeElevationRequired},
		{"not signed in", func(t *testing.T, p *portal, b *browser, key *device) reply {
			return p.browser(t).post("/api/webauthn/credentials/options", map[string]any{})
		}, http.StatusUnauthorized, codeUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPortal(t, ceremonyConfig(), nil)
			key := newDevice(virtualwebauthn.KeyTypeEC2, true)
			b := p.withKey(t, "alice", key)
			tt.run(t, p, b, key).want(t, tt.status, tt.code)
		})
	}
}

func TestWebAuthnFailuresRegulated(t *testing.T) {
	t.Run("second factor, per user", func(t *testing.T) {
		p := newPortal(t, ceremonyConfig(), nil)
		key := newDevice(virtualwebauthn.KeyTypeEC2, true)
		p.withKey(t, "alice", key)
		b := p.browser(t)
		b.password("alice")
		forged := newDevice(virtualwebauthn.KeyTypeEC2, true)
		for range ceremonyConfig().Regulation.MaxFailures {
			b.secondFactor(forged).want(t, http.StatusUnauthorized, "unknown_credential")
		}
		b.secondFactor(key).want(t, http.StatusUnauthorized, "invalid_credential")
		r := p.browser(t).post("/api/login/password", map[string]any{"username": "alice", "password": "alice-password"})
		r.want(t, http.StatusUnauthorized, codeInvalidCredentials)
	})
	t.Run("passkey, per address", func(t *testing.T) {
		p := newPortal(t, ceremonyConfig(), nil)
		key := newDevice(virtualwebauthn.KeyTypeEC2, true)
		p.browser(t).enroll(p.invite(t, "alice"), key).want(t, http.StatusOK, "")
		stranger := newDevice(virtualwebauthn.KeyTypeEC2, true)
		stranger.auth.Options.UserHandle = []byte(strings.Repeat("x", 64))
		for range ceremonyConfig().Regulation.MaxFailures {
			p.browser(t).passkey(stranger, false).want(t, http.StatusUnauthorized, "unknown_credential")
		}
		p.browser(t).passkey(key, false).want(t, http.StatusUnauthorized, "invalid_credential")
		p.untilPast(ceremonyConfig().Regulation.Ban)
		p.browser(t).passkey(key, false).want(t, http.StatusOK, "")
	})
	t.Run("passkey of a user banned for passwords", func(t *testing.T) {
		p := newPortal(t, ceremonyConfig(), nil)
		key := newDevice(virtualwebauthn.KeyTypeEC2, true)
		p.browser(t).enroll(p.invite(t, "alice"), key).want(t, http.StatusOK, "")
		for i := range ceremonyConfig().Regulation.MaxFailures {
			guesser := p.browser(t)
			guesser.ip = fmt.Sprintf("198.51.100.%d", i+1)
			r := guesser.post("/api/login/password", map[string]any{"username": "alice", "password": "guess"})
			r.want(t, http.StatusUnauthorized, codeInvalidCredentials)
		}
		b := p.browser(t)
		b.ip = "203.0.113.7"
		b.passkey(key, false).want(t, http.StatusUnauthorized, "invalid_credential")
		if got := b.session()["authenticated"]; got != false {
			t.Errorf("a banned user's passkey signed in: %v", got)
		}
		bob := p.browser(t)
		bob.ip = b.ip
		bob.password("bob") // the address is not banned: the user is
	})
}

// TestSecondFactorFailureAudited checks the audit event a refused security-key
// step writes: sign_in_failed for the signed-in user, with the credential the
// assertion claimed and the client address the trusted proxy reported.
func TestSecondFactorFailureAudited(t *testing.T) {
	tests := []struct {
		name string
		// answer returns the authenticator that answers: key is alice's own.
		answer func(key *device) *device
		code   string
	}{
		{"unregistered key", func(*device) *device { return newDevice(virtualwebauthn.KeyTypeEC2, true) },
			webauthn.ErrUnknownCredential.Code},
		{"own key from another origin", func(key *device) *device {
			key.rp.Origin = "https://evil.example.com"
			return key
		}, webauthn.ErrInvalidCredential.Code},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPortal(t, ceremonyConfig(), nil)
			key := newDevice(virtualwebauthn.KeyTypeEC2, true)
			p.withKey(t, "alice", key)
			b := p.browser(t)
			b.ip = "203.0.113.42"
			b.password("alice")
			d := tt.answer(key)
			b.secondFactor(d).want(t, http.StatusUnauthorized, tt.code)

			events, err := p.store.AuditEvents(context.Background(), "", 0)
			if err != nil {
				t.Fatal(err)
			}
			var failed []store.Event
			for _, e := range events {
				if e.Action == actionSignInFailed {
					failed = append(failed, e)
				}
			}
			if len(failed) != 1 {
				t.Fatalf("audit trail = %+v, want exactly one %s event", events, actionSignInFailed)
			}
			e := failed[0]
			if e.User != "alice" || e.IP != b.ip || !bytes.Equal(e.CredentialID, d.cred.ID) || e.Time.IsZero() {
				t.Errorf("%s event = %+v, want user alice, IP %s, credential %x and a time", actionSignInFailed, e, b.ip, d.cred.ID)
			}
		})
	}
}
