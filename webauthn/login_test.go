package webauthn

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
)

func TestLogin(t *testing.T) {
	for _, keyType := range []virtualwebauthn.KeyType{virtualwebauthn.KeyTypeEC2, virtualwebauthn.KeyTypeRSA} {
		t.Run(string(keyType), func(t *testing.T) {
			e := newEnv(t, nil)
			d := newDevice(keyType)
			e.mustRegister("alice", d, "Key")
			d.cred.Counter = 5
			e.clock.t = e.clock.t.Add(time.Minute)
			a, err := e.login("alice", d)
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			if string(a.CredentialID) != string(d.cred.ID) || !a.UserVerified || a.MultiFactor {
				t.Errorf("assertion: got %+v", a)
			}
			c, err := e.store.Credential(context.Background(), "alice", d.cred.ID)
			if err != nil {
				t.Fatal(err)
			}
			if a.BackupEligible || a.AAGUID != aaguidString(c.AAGUID) || a.AAGUID == "" {
				t.Errorf("assertion: got BE %v, AAGUID %q, want false (device-bound) and %q", a.BackupEligible, a.AAGUID, aaguidString(c.AAGUID))
			}
			if c.SignCount != 5 || !c.LastUsedAt.Equal(e.clock.t) {
				t.Errorf("after login: got count %d, last used %v, want 5, %v", c.SignCount, c.LastUsedAt, e.clock.t)
			}
		})
	}
}

func TestLoginOptions(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.UserVerification = "discouraged" })
	ctx := context.Background()
	_, _, err := e.rp.BeginLogin(ctx, "alice")
	wantCode(t, err, "no_credentials")
	if e, _ := asError(err); e.Status != http.StatusConflict {
		t.Errorf("status: got %d, want 409", e.Status)
	}
	d1, d2 := newDevice(virtualwebauthn.KeyTypeEC2), newDevice(virtualwebauthn.KeyTypeRSA)
	e.mustRegister("alice", d1, "One")
	e.mustRegister("alice", d2, "Two")
	opts, _, err := e.rp.BeginLogin(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		RPID             string `json:"rpId"`
		UserVerification string
		Timeout          int
		AllowCredentials []struct {
			ID         string   `json:"id"`
			Transports []string `json:"transports"`
		}
		Extensions map[string]any
	}
	if err := json.Unmarshal(opts.PublicKey, &got); err != nil {
		t.Fatal(err)
	}
	if got.RPID != testRPID || got.UserVerification != "discouraged" || got.Timeout != 60000 {
		t.Errorf("options: got %+v", got)
	}
	if len(got.AllowCredentials) != 2 || got.AllowCredentials[1].ID != base64.RawURLEncoding.EncodeToString(d2.cred.ID) ||
		len(got.AllowCredentials[0].Transports) != 1 {
		t.Errorf("allowCredentials: got %+v, want both credentials with transports", got.AllowCredentials)
	}
	if _, ok := got.Extensions["appid"]; ok {
		t.Errorf("extensions: got %v, want no appid without U2F credentials", got.Extensions)
	}
}

func TestLoginRefusals(t *testing.T) {
	tests := []struct {
		name      string
		configure func(*Config)
		tamper    func(e *env, d *device)
		code      string
	}{
		{name: "wrong origin", tamper: func(e *env, _ *device) { e.browser.Origin = "https://auth.example.com.evil.net" },
			code: "invalid_credential"},
		{name: "wrong rp id", tamper: func(e *env, _ *device) { e.browser.ID = "evil.net" }, code: "invalid_credential"},
		{name: "user not present", tamper: func(_ *env, d *device) { d.auth.Options.UserNotPresent = true },
			code: "invalid_credential"},
		{name: "uv missing when required", configure: func(c *Config) { c.UserVerification = "required" },
			tamper: func(_ *env, d *device) { d.auth.Options.UserNotVerified = true }, code: "user_verification_required"},
		{name: "backup eligible flag flipped", tamper: func(_ *env, d *device) { d.auth.Options.BackupEligible = true },
			code: "backup_eligible_changed"},
		{name: "bad signature", tamper: func(_ *env, d *device) {
			d.cred.Key = virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeEC2).Key
		}, code: "invalid_credential"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.configure)
			d := newDevice(virtualwebauthn.KeyTypeEC2)
			e.mustRegister("alice", d, "Key")
			tc.tamper(e, d)
			_, err := e.login("alice", d)
			wantCode(t, err, tc.code)
			if e, _ := asError(err); e.Status != http.StatusUnauthorized {
				t.Errorf("status: got %d, want 401", e.Status)
			}
			c, _ := e.store.Credential(context.Background(), "alice", d.cred.ID)
			if !c.LastUsedAt.IsZero() || c.CloneWarning {
				t.Errorf("a refused sign-in changed the credential: %+v", c)
			}
		})
	}
}

func TestLoginAnotherUsersCredential(t *testing.T) {
	e := newEnv(t, nil)
	alice, bob := newDevice(virtualwebauthn.KeyTypeEC2), newDevice(virtualwebauthn.KeyTypeEC2)
	e.mustRegister("alice", alice, "Alice's key")
	e.mustRegister("bob", bob, "Bob's key")
	ctx := context.Background()
	opts, state, err := e.rp.BeginLogin(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	// Alice's authenticator answers Bob's challenge.
	parsed, err := virtualwebauthn.ParseAssertionOptions(string(opts.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	resp := virtualwebauthn.CreateAssertionResponse(e.browser, alice.auth, alice.cred, *parsed)
	_, err = e.rp.FinishLogin(ctx, "bob", state, []byte(resp))
	wantCode(t, err, "unknown_credential")
}

func TestLoginState(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(e *env, d *device) error
		code string
	}{
		{"replayed state", func(e *env, d *device) error {
			opts, state, _ := e.rp.BeginLogin(ctx, "alice")
			resp := e.assert(opts, d)
			if _, err := e.rp.FinishLogin(ctx, "alice", state, resp); err != nil {
				return err
			}
			d.cred.Counter++ // even a fresh signature over the old challenge
			_, err := e.rp.FinishLogin(ctx, "alice", state, e.assert(opts, d))
			return err
		}, "challenge_expired"},
		{"expired state", func(e *env, d *device) error {
			opts, state, _ := e.rp.BeginLogin(ctx, "alice")
			e.clock.t = e.clock.t.Add(DefaultTimeout + time.Second)
			_, err := e.rp.FinishLogin(ctx, "alice", state, e.assert(opts, d))
			return err
		}, "challenge_expired"},
		{"state of another user", func(e *env, d *device) error {
			opts, state, _ := e.rp.BeginLogin(ctx, "alice")
			_, err := e.rp.FinishLogin(ctx, "bob", state, e.assert(opts, d))
			return err
		}, "challenge_mismatch"},
		{"answer to another challenge", func(e *env, d *device) error {
			opts, _, _ := e.rp.BeginLogin(ctx, "alice")
			_, state, _ := e.rp.BeginLogin(ctx, "alice")
			_, err := e.rp.FinishLogin(ctx, "alice", state, e.assert(opts, d))
			return err
		}, "challenge_mismatch"},
		{"passkey state", func(e *env, d *device) error {
			opts, state, _ := e.rp.BeginPasskeyLogin(ctx, false)
			_, err := e.rp.FinishLogin(ctx, "alice", state, e.assert(opts, d))
			return err
		}, "challenge_mismatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			d := newDevice(virtualwebauthn.KeyTypeEC2)
			e.mustRegister("alice", d, "Key")
			d.cred.Counter = 1
			wantCode(t, tc.run(e, d), tc.code)
		})
	}
}

func TestCounterRollback(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	cloned, other := newDevice(virtualwebauthn.KeyTypeEC2), newDevice(virtualwebauthn.KeyTypeEC2)
	e.mustRegister("alice", cloned, "Cloned")
	e.mustRegister("alice", other, "Other")
	cloned.cred.Counter = 10
	if _, err := e.login("alice", cloned); err != nil {
		t.Fatal(err)
	}
	cloned.cred.Counter = 7
	_, err := e.login("alice", cloned)
	wantCode(t, err, "clone_warning")
	if e, _ := asError(err); e.Status != http.StatusForbidden {
		t.Errorf("status: got %d, want 403", e.Status)
	}
	if !errors.Is(err, ErrCloneWarning) {
		t.Errorf("errors.Is(%v, ErrCloneWarning) is false", err)
	}
	list, err := e.rp.Credentials(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !list[0].CloneWarning || list[0].SignCount != 10 || list[1].CloneWarning {
		t.Errorf("after rollback: got %+v, want only the first flagged, count 10", list)
	}
	// The other credential keeps working.
	other.cred.Counter = 1
	if _, err := e.login("alice", other); err != nil {
		t.Errorf("other credential: %v", err)
	}
	// The flagged one stays refused, even with a higher counter, until cleared.
	cloned.cred.Counter = 20
	_, err = e.login("alice", cloned)
	wantCode(t, err, "clone_warning")
	// An assertion for the flagged credential that another key signed is refused
	// as any bad signature: it learns nothing of the flag.
	forger := newDevice(virtualwebauthn.KeyTypeEC2)
	forger.cred.ID, forger.cred.Counter = cloned.cred.ID, 30
	_, err = e.login("alice", forger)
	wantCode(t, err, ErrInvalidCredential.Code)
	if err := e.store.ClearCloneWarning(ctx, "alice", cloned.cred.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.login("alice", cloned); err != nil {
		t.Errorf("after clearing the flag: %v", err)
	}
}

func TestCounterZeroStaysAccepted(t *testing.T) {
	e := newEnv(t, nil)
	d := newDevice(virtualwebauthn.KeyTypeEC2)
	e.mustRegister("alice", d, "No counter")
	for range 2 {
		if _, err := e.login("alice", d); err != nil {
			t.Fatalf("authenticator without a counter: %v", err)
		}
	}
}

func TestLoginMalformed(t *testing.T) {
	e := newEnv(t, nil)
	d := newDevice(virtualwebauthn.KeyTypeEC2)
	e.mustRegister("alice", d, "Key")
	opts, _, err := e.rp.BeginLogin(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	var good map[string]any
	if err := json.Unmarshal(e.assert(opts, d), &good); err != nil {
		t.Fatal(err)
	}
	edit := func(f func(m map[string]any)) []byte {
		c := cloneJSON(t, good)
		f(c)
		return mustJSON(t, c)
	}
	response := func(key, value string) []byte {
		return edit(func(m map[string]any) { m["response"].(map[string]any)[key] = value })
	}
	for name, body := range map[string][]byte{
		"not json":               []byte(`{"id":`),
		"wrong type":             edit(func(m map[string]any) { m["type"] = "password" }),
		"id not base64url":       edit(func(m map[string]any) { m["id"], m["rawId"] = "***", "***" }),
		"signature not base64":   response("signature", "!!"),
		"auth data not base64":   response("authenticatorData", "~~"),
		"auth data too short":    response("authenticatorData", "AAAA"),
		"client data not base64": response("clientDataJSON", "(("),
		"user handle not base64": response("userHandle", "??"),
	} {
		t.Run(name, func(t *testing.T) {
			_, state, err := e.rp.BeginLogin(context.Background(), "alice")
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.rp.FinishLogin(context.Background(), "alice", state, body)
			wantCode(t, err, "malformed_credential")
			if e, _ := asError(err); e.Status != http.StatusBadRequest {
				t.Errorf("status: got %d, want 400", e.Status)
			}
		})
	}
}

// racingStore lets another sign-in with the same counter commit just before
// each sign-in writes: the race the counter check before verification cannot see.
type racingStore struct{ credentialStore }

func (s racingStore) UpdateAfterLogin(ctx context.Context, user string, id []byte, count uint32, backup bool, at time.Time) error {
	if err := s.credentialStore.UpdateAfterLogin(ctx, user, id, count, backup, at); err != nil {
		return err
	}
	return s.credentialStore.UpdateAfterLogin(ctx, user, id, count, backup, at)
}

func TestCounterRaceFlagsClone(t *testing.T) {
	e := newEnv(t, nil)
	d := newDevice(virtualwebauthn.KeyTypeEC2)
	e.mustRegister("alice", d, "Key")
	e.rp.creds = racingStore{e.rp.creds}
	d.cred.Counter = 5
	_, err := e.login("alice", d)
	wantCode(t, err, "clone_warning")
	list, err := e.rp.Credentials(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !list[0].CloneWarning || list[0].SignCount != 5 {
		t.Errorf("after a racing sign-in with the same counter: got clone warning %v, count %d, want true, 5",
			list[0].CloneWarning, list[0].SignCount)
	}
}
