package webauthn

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/descope/virtualwebauthn"
)

func TestPasskeyLogin(t *testing.T) {
	tests := []struct {
		name            string
		uvTwoFactor     *bool
		notVerified     bool
		wantUV, wantMFA bool
	}{
		{name: "with uv", wantUV: true, wantMFA: true},
		{name: "with uv, uv_two_factor off", uvTwoFactor: new(false), wantUV: true},
		{name: "without uv", notVerified: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.PasskeyUVTwoFactor = tc.uvTwoFactor })
			d := newDevice(virtualwebauthn.KeyTypeEC2)
			e.mustRegister("alice", d, "Passkey")
			e.mustRegister("bob", newDevice(virtualwebauthn.KeyTypeEC2), "Passkey")
			d.auth.Options.UserNotVerified = tc.notVerified
			d.cred.Counter = 1
			user, a, err := e.passkey(d)
			if err != nil {
				t.Fatalf("passkey: %v", err)
			}
			if user != "alice" || a.UserVerified != tc.wantUV || a.MultiFactor != tc.wantMFA {
				t.Errorf("got %q, %+v, want alice with UV %v, multi-factor %v", user, a, tc.wantUV, tc.wantMFA)
			}
		})
	}
}

func TestPasskeyOptions(t *testing.T) {
	e := newEnv(t, nil)
	for _, conditional := range []bool{false, true} {
		opts, _, err := e.rp.BeginPasskeyLogin(context.Background(), conditional)
		if err != nil {
			t.Fatal(err)
		}
		var pk struct {
			RPID             string `json:"rpId"`
			AllowCredentials []any  `json:"allowCredentials"`
			UserVerification string `json:"userVerification"`
		}
		if err := json.Unmarshal(opts.PublicKey, &pk); err != nil {
			t.Fatal(err)
		}
		want := ""
		if conditional {
			want = "conditional"
		}
		if opts.Mediation != want || pk.RPID != testRPID || len(pk.AllowCredentials) != 0 || pk.UserVerification != "preferred" {
			t.Errorf("conditional=%v: got mediation %q, %+v", conditional, opts.Mediation, pk)
		}
		answer, _ := json.Marshal(opts)
		if !json.Valid(answer) {
			t.Errorf("options do not marshal: %s", answer)
		}
	}
}

func TestPasskeyRefusals(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		configure func(*Config)
		run       func(e *env, alice, bob *device) error
		code      string
	}{
		{name: "disabled", configure: func(c *Config) { c.PasskeyLogin = new(false) }, run: func(e *env, _, _ *device) error {
			_, _, err := e.rp.BeginPasskeyLogin(ctx, true)
			return err
		}, code: "passkey_login_disabled"},
		{name: "unknown user handle", run: func(e *env, alice, _ *device) error {
			alice.auth.Options.UserHandle = []byte("not a handle")
			_, _, err := e.passkey(alice)
			return err
		}, code: "unknown_credential"},
		{name: "no user handle", run: func(e *env, alice, _ *device) error {
			alice.auth.Options.UserHandle = nil
			_, _, err := e.passkey(alice)
			return err
		}, code: "unknown_credential"},
		{name: "credential of another user", run: func(e *env, alice, bob *device) error {
			alice.auth.Options.UserHandle = bob.auth.Options.UserHandle // claims to be bob
			_, _, err := e.passkey(alice)
			return err
		}, code: "unknown_credential"},
		{name: "uv missing when required", configure: func(c *Config) { c.UserVerification = "required" },
			run: func(e *env, alice, _ *device) error {
				alice.auth.Options.UserNotVerified = true
				_, _, err := e.passkey(alice)
				return err
			}, code: "user_verification_required"},
		{name: "wrong origin", run: func(e *env, alice, _ *device) error {
			e.browser.Origin = "https://example.com.evil.net"
			_, _, err := e.passkey(alice)
			return err
		}, code: "invalid_credential"},
		{name: "replayed state", run: func(e *env, alice, _ *device) error {
			opts, state, _ := e.rp.BeginPasskeyLogin(ctx, false)
			if _, _, err := e.rp.FinishPasskeyLogin(ctx, state, e.assert(opts, alice)); err != nil {
				return err
			}
			alice.cred.Counter++
			_, _, err := e.rp.FinishPasskeyLogin(ctx, state, e.assert(opts, alice))
			return err
		}, code: "challenge_expired"},
		{name: "login state", run: func(e *env, alice, _ *device) error {
			opts, state, _ := e.rp.BeginLogin(ctx, "alice")
			_, _, err := e.rp.FinishPasskeyLogin(ctx, state, e.assert(opts, alice))
			return err
		}, code: "challenge_mismatch"},
		{name: "counter rollback", run: func(e *env, alice, _ *device) error {
			alice.cred.Counter = 9
			if _, _, err := e.passkey(alice); err != nil {
				return err
			}
			alice.cred.Counter = 8
			_, _, err := e.passkey(alice)
			return err
		}, code: "clone_warning"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.configure)
			alice, bob := newDevice(virtualwebauthn.KeyTypeEC2), newDevice(virtualwebauthn.KeyTypeRSA)
			e.mustRegister("alice", alice, "Passkey")
			e.mustRegister("bob", bob, "Passkey")
			alice.cred.Counter = 1
			wantCode(t, tc.run(e, alice, bob), tc.code)
		})
	}
}

// TestPasskeyAssertionRefusals checks the authenticator data of a passkey
// sign-in: an RP ID hash of another relying party, or a missing user-presence
// flag, is refused as a credential that does not verify, and nothing is recorded.
func TestPasskeyAssertionRefusals(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(e *env, d *device)
	}{
		{"wrong rp id", func(e *env, _ *device) { e.browser.ID = "evil.net" }},
		{"rp id of the portal host", func(e *env, _ *device) { e.browser.ID = "auth.example.com" }},
		{"user not present", func(_ *env, d *device) { d.auth.Options.UserNotPresent = true }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			d := newDevice(virtualwebauthn.KeyTypeEC2)
			e.mustRegister("alice", d, "Passkey")
			d.cred.Counter = 1
			tc.tamper(e, d)
			user, _, err := e.passkey(d)
			wantCode(t, err, "invalid_credential")
			if e, _ := asError(err); e.Status != http.StatusUnauthorized {
				t.Errorf("status: got %d, want 401", e.Status)
			}
			if user != "" {
				t.Errorf("a refused passkey sign-in named user %q, want none", user)
			}
			c, err := e.store.Credential(context.Background(), "alice", d.cred.ID)
			if err != nil {
				t.Fatal(err)
			}
			if c.SignCount != 0 || !c.LastUsedAt.IsZero() || c.CloneWarning {
				t.Errorf("a refused passkey sign-in changed the credential: count %d, last used %v, clone warning %v",
					c.SignCount, c.LastUsedAt, c.CloneWarning)
			}
		})
	}
}

// TestPasskeyFinishDisabled checks that switching passkey_login off refuses
// the finishing step too: a ceremony begun while it was on (before a restart
// or on another replica) does not complete on a relying party where it is off.
func TestPasskeyFinishDisabled(t *testing.T) {
	e := newEnv(t, nil)
	d := newDevice(virtualwebauthn.KeyTypeEC2)
	e.mustRegister("alice", d, "Passkey")
	d.cred.Counter = 1
	ctx := context.Background()
	opts, state, err := e.rp.BeginPasskeyLogin(ctx, false)
	if err != nil {
		t.Fatalf("BeginPasskeyLogin while enabled: %v", err)
	}
	answer := e.assert(opts, d)

	cfg := testConfig()
	cfg.PasskeyLogin = new(false)
	off, err := New(cfg, e.store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	off.now = e.clock.now
	user, _, err := off.FinishPasskeyLogin(ctx, state, answer)
	wantCode(t, err, "passkey_login_disabled")
	if e, _ := asError(err); e.Status != http.StatusForbidden {
		t.Errorf("status: got %d, want 403", e.Status)
	}
	if user != "" {
		t.Errorf("FinishPasskeyLogin while disabled named user %q, want none", user)
	}
	if c, err := e.store.Credential(ctx, "alice", d.cred.ID); err != nil || !c.LastUsedAt.IsZero() {
		t.Errorf("the refused sign-in was recorded: last used %v (%v), want never", c.LastUsedAt, err)
	}

	// The same state and answer verify where passkey sign-in is on: the
	// setting alone refused them.
	if user, _, err := e.rp.FinishPasskeyLogin(ctx, state, answer); err != nil || user != "alice" {
		t.Errorf("FinishPasskeyLogin while enabled: got %q, %v; want alice", user, err)
	}
}
