package webauthn

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
)

func TestRegister(t *testing.T) {
	for _, keyType := range []virtualwebauthn.KeyType{virtualwebauthn.KeyTypeEC2, virtualwebauthn.KeyTypeRSA} {
		t.Run(string(keyType), func(t *testing.T) {
			e := newEnv(t, nil)
			d := newDevice(keyType)
			created := e.clock.t
			got := e.mustRegister("alice", d, " My key ")
			want := Summary{
				ID:           base64.RawURLEncoding.EncodeToString(d.cred.ID),
				Description:  "My key",
				AAGUID:       uuid.UUID(d.auth.Aaguid).String(),
				Transports:   []string{"usb"},
				Discoverable: true,
				UserVerified: true,
				CreatedAt:    created,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			list, err := e.rp.Credentials(context.Background(), "alice")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]Summary{want}, list); diff != "" {
				t.Errorf("Credentials (-want +got):\n%s", diff)
			}
			stored, err := e.store.Credential(context.Background(), "alice", d.cred.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(stored.PublicKey) == 0 || stored.AttestationFormat != "packed" || len(stored.AttestationObject) == 0 {
				t.Errorf("stored credential lacks key or attestation: %+v", stored)
			}
		})
	}
}

func TestRegistrationOptions(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.ResidentKey = "required"
		c.UserVerification = "required"
		c.Attachment = "cross-platform"
		c.Attestation = "direct"
		c.Timeout = 90 * time.Second
	})
	first := newDevice(virtualwebauthn.KeyTypeEC2)
	e.mustRegister("alice", first, "First")
	opts, _, err := e.rp.BeginRegistration(context.Background(), User{Name: "alice", DisplayName: "Alice L."}, "Second")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		RP   struct{ ID, Name string }
		User struct {
			ID          string `json:"id"`
			Name        string `json:"name"`
			DisplayName string `json:"displayName"`
		}
		Timeout                int
		Attestation            string
		AuthenticatorSelection struct {
			AuthenticatorAttachment string
			ResidentKey             string
			RequireResidentKey      bool
			UserVerification        string
		}
		ExcludeCredentials []struct{ ID, Type string }
		Extensions         map[string]any
	}
	if err := json.Unmarshal(opts.PublicKey, &got); err != nil {
		t.Fatal(err)
	}
	handle, _ := base64.RawURLEncoding.DecodeString(got.User.ID)
	if len(handle) != 64 || got.User.Name != "alice" || got.User.DisplayName != "Alice L." {
		t.Errorf("user: got %+v (handle %d bytes), want a 64-byte handle, alice, Alice L.", got.User, len(handle))
	}
	if got.RP.ID != testRPID || got.RP.Name != DefaultRPName || got.Timeout != 90000 || got.Attestation != "direct" {
		t.Errorf("rp %+v, timeout %d, attestation %q", got.RP, got.Timeout, got.Attestation)
	}
	sel := got.AuthenticatorSelection
	if sel.AuthenticatorAttachment != "cross-platform" || sel.ResidentKey != "required" || !sel.RequireResidentKey || sel.UserVerification != "required" {
		t.Errorf("authenticatorSelection: got %+v", sel)
	}
	if len(got.ExcludeCredentials) != 1 || got.ExcludeCredentials[0].ID != base64.RawURLEncoding.EncodeToString(first.cred.ID) {
		t.Errorf("excludeCredentials: got %+v, want the first credential", got.ExcludeCredentials)
	}
	if got.Extensions["credProps"] != true {
		t.Errorf("extensions: got %v, want credProps", got.Extensions)
	}
	if opts.Mediation != "" {
		t.Errorf("mediation: got %q, want none", opts.Mediation)
	}
}

func TestRegistrationRefusals(t *testing.T) {
	tests := []struct {
		name       string
		configure  func(*Config)
		device     func(*device)
		browser    func(*virtualwebauthn.RelyingParty)
		code       string
		wantStatus int
	}{
		{name: "wrong origin", browser: func(b *virtualwebauthn.RelyingParty) { b.Origin = "https://evil.example.net" },
			code: "invalid_credential", wantStatus: http.StatusUnprocessableEntity},
		{name: "wrong rp id", browser: func(b *virtualwebauthn.RelyingParty) { b.ID = "evil.example.net" },
			code: "invalid_credential", wantStatus: http.StatusUnprocessableEntity},
		{name: "user not present", device: func(d *device) { d.auth.Options.UserNotPresent = true },
			code: "invalid_credential", wantStatus: http.StatusUnprocessableEntity},
		{name: "uv missing when required", configure: func(c *Config) { c.UserVerification = "required" },
			device: func(d *device) { d.auth.Options.UserNotVerified = true },
			code:   "user_verification_required", wantStatus: http.StatusUnprocessableEntity},
		{name: "denied aaguid", configure: func(c *Config) { c.AAGUIDs.Deny = []string{uuid.UUID(fixedAAGUID).String()} },
			code: "aaguid_denied", wantStatus: http.StatusForbidden},
		{name: "aaguid not permitted", configure: func(c *Config) { c.AAGUIDs.Permit = []string{uuid.New().String()} },
			code: "aaguid_denied", wantStatus: http.StatusForbidden},
		{name: "backup eligible refused", configure: func(c *Config) { c.AllowBackupEligible = new(false) },
			device: func(d *device) { d.auth.Options.BackupEligible = true },
			code:   "backup_eligible_refused", wantStatus: http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.configure)
			d := newDevice(virtualwebauthn.KeyTypeEC2)
			d.auth.Aaguid = fixedAAGUID
			if tc.device != nil {
				tc.device(d)
			}
			if tc.browser != nil {
				tc.browser(&e.browser)
			}
			_, err := e.register("alice", d, "Key")
			wantCode(t, err, tc.code)
			if e, _ := asError(err); e.Status != tc.wantStatus {
				t.Errorf("status: got %d, want %d", e.Status, tc.wantStatus)
			}
			assertNoCredentials(t, e, "alice")
		})
	}
}

var fixedAAGUID = [16]byte(uuid.MustParse("6b2e1b86-33d0-4c6f-9a37-0c1f4c2b7e11"))

func assertNoCredentials(t *testing.T, e *env, user string) {
	t.Helper()
	list, err := e.store.Credentials(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Errorf("%s has %d credentials after a refusal, want none", user, len(list))
	}
}

func TestRegistrationPermittedAndBackupEligible(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AAGUIDs.Permit = []string{uuid.UUID(fixedAAGUID).String()} })
	d := newDevice(virtualwebauthn.KeyTypeEC2)
	d.auth.Aaguid = fixedAAGUID
	d.auth.Options.BackupEligible = true
	d.auth.Options.BackupState = true
	s := e.mustRegister("alice", d, "Synced")
	if !s.BackupEligible || !s.BackupState {
		t.Errorf("summary: got BE %v BS %v, want both", s.BackupEligible, s.BackupState)
	}
}

func TestRegistrationExcludedCredential(t *testing.T) {
	e := newEnv(t, nil)
	d := newDevice(virtualwebauthn.KeyTypeEC2)
	e.mustRegister("alice", d, "Key")
	_, err := e.register("alice", d, "Again")
	wantCode(t, err, "credential_excluded")
	// The same authenticator credential cannot be bound to another user either.
	_, err = e.register("bob", d, "Key")
	wantCode(t, err, "credential_excluded")
	assertNoCredentials(t, e, "bob")
}

func TestRegistrationDescriptions(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ResidentKey = "discouraged" })
	ctx := context.Background()
	e.mustRegister("alice", newDevice(virtualwebauthn.KeyTypeEC2), "Laptop")
	for _, tc := range []struct {
		description, code string
	}{
		{"laptop", "description_taken"},
		{"tab\there", "invalid_description"},
		{string(make([]byte, 65)), "invalid_description"},
	} {
		_, _, err := e.rp.BeginRegistration(ctx, User{Name: "alice"}, tc.description)
		wantCode(t, err, tc.code)
	}
	// A description given only at finish is checked there.
	d := newDevice(virtualwebauthn.KeyTypeEC2)
	state, resp := e.attest("alice", d, "")
	_, err := e.rp.FinishRegistration(ctx, "alice", state, resp, "LAPTOP")
	wantCode(t, err, "description_taken")
	assertCount(t, e, "alice", 1)

	// Without any description a name is made up and numbered.
	for _, want := range []string{"Passkey", "Passkey 2"} {
		s := e.mustRegister("alice", newDevice(virtualwebauthn.KeyTypeEC2), "")
		if s.Description != want {
			t.Errorf("made-up description: got %q, want %q", s.Description, want)
		}
	}
}

func assertCount(t *testing.T, e *env, user string, want int) {
	t.Helper()
	list, err := e.store.Credentials(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != want {
		t.Errorf("%s has %d credentials, want %d", user, len(list), want)
	}
}

func TestRegistrationState(t *testing.T) {
	tests := []struct {
		name string
		run  func(e *env) error
		code string
	}{
		{"replayed state", func(e *env) error {
			state, resp := e.attest("alice", newDevice(virtualwebauthn.KeyTypeEC2), "Key")
			if _, err := e.rp.FinishRegistration(context.Background(), "alice", state, resp, ""); err != nil {
				return err
			}
			_, err := e.rp.FinishRegistration(context.Background(), "alice", state, resp, "Other")
			return err
		}, "challenge_expired"},
		{"expired state", func(e *env) error {
			state, resp := e.attest("alice", newDevice(virtualwebauthn.KeyTypeEC2), "Key")
			e.clock.t = e.clock.t.Add(DefaultTimeout)
			_, err := e.rp.FinishRegistration(context.Background(), "alice", state, resp, "")
			return err
		}, "challenge_expired"},
		{"state of another user", func(e *env) error {
			state, resp := e.attest("alice", newDevice(virtualwebauthn.KeyTypeEC2), "Key")
			_, err := e.rp.FinishRegistration(context.Background(), "mallory", state, resp, "")
			return err
		}, "challenge_mismatch"},
		{"answer to another challenge", func(e *env) error {
			_, resp := e.attest("alice", newDevice(virtualwebauthn.KeyTypeEC2), "Key")
			state, _ := e.attest("alice", newDevice(virtualwebauthn.KeyTypeEC2), "Key")
			_, err := e.rp.FinishRegistration(context.Background(), "alice", state, resp, "")
			return err
		}, "challenge_mismatch"},
		{"login state", func(e *env) error {
			e.mustRegister("alice", newDevice(virtualwebauthn.KeyTypeEC2), "First")
			_, state, err := e.rp.BeginLogin(context.Background(), "alice")
			if err != nil {
				return err
			}
			_, resp := e.attest("alice", newDevice(virtualwebauthn.KeyTypeEC2), "Key")
			_, err = e.rp.FinishRegistration(context.Background(), "alice", state, resp, "")
			return err
		}, "challenge_mismatch"},
		{"garbage state", func(e *env) error {
			_, resp := e.attest("alice", newDevice(virtualwebauthn.KeyTypeEC2), "Key")
			_, err := e.rp.FinishRegistration(context.Background(), "alice", []byte("{"), resp, "")
			return err
		}, "challenge_expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			before, _ := e.store.Credentials(context.Background(), "alice")
			wantCode(t, tc.run(e), tc.code)
			after, _ := e.store.Credentials(context.Background(), "alice")
			if len(after) > len(before)+1 {
				t.Errorf("credentials: %d before, %d after", len(before), len(after))
			}
		})
	}
}

func TestRegistrationMalformed(t *testing.T) {
	e := newEnv(t, nil)
	d := newDevice(virtualwebauthn.KeyTypeEC2)
	_, good := e.attest("alice", d, "Key")
	var obj map[string]any
	if err := json.Unmarshal(good, &obj); err != nil {
		t.Fatal(err)
	}
	withID := func(id string) []byte {
		c := cloneJSON(t, obj)
		c["id"], c["rawId"] = id, id
		return mustJSON(t, c)
	}
	withResponse := func(key, value string) []byte {
		c := cloneJSON(t, obj)
		c["response"].(map[string]any)[key] = value
		return mustJSON(t, c)
	}
	for name, body := range map[string][]byte{
		"not json":               []byte("{"),
		"empty":                  nil,
		"array":                  []byte("[]"),
		"id not base64url":       withID("!!!not-base64!!!"),
		"client data not base64": withResponse("clientDataJSON", "%%%"),
		"attestation not base64": withResponse("attestationObject", "@@@"),
		"attestation not cbor":   withResponse("attestationObject", "AAAA"),
		"client data not json":   withResponse("clientDataJSON", base64.RawURLEncoding.EncodeToString([]byte("nope"))),
	} {
		t.Run(name, func(t *testing.T) {
			state, _ := e.attest("alice", d, "Key")
			_, err := e.rp.FinishRegistration(context.Background(), "alice", state, body, "")
			wantCode(t, err, "malformed_credential")
		})
	}
	assertNoCredentials(t, e, "alice")
}

func cloneJSON(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal(mustJSON(t, m), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestManageCredentials(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	a := e.mustRegister("alice", newDevice(virtualwebauthn.KeyTypeEC2), "One")
	b := e.mustRegister("alice", newDevice(virtualwebauthn.KeyTypeRSA), "Two")

	renamed, err := e.rp.RenameCredential(ctx, "alice", a.ID, "Uno")
	if err != nil || renamed.Description != "Uno" {
		t.Fatalf("RenameCredential: got %+v, %v", renamed, err)
	}
	for _, tc := range []struct {
		user, id, description, code string
	}{
		{"alice", a.ID, "two", "description_taken"},
		{"alice", a.ID, "", "invalid_description"},
		{"bob", a.ID, "Mine", "credential_not_found"},
		{"alice", "%%%", "X", "credential_not_found"},
	} {
		_, err := e.rp.RenameCredential(ctx, tc.user, tc.id, tc.description)
		wantCode(t, err, tc.code)
	}
	wantCode(t, e.rp.DeleteCredential(ctx, "bob", b.ID), "credential_not_found")
	wantCode(t, e.rp.DeleteCredential(ctx, "alice", b.ID), "")
	wantCode(t, e.rp.DeleteCredential(ctx, "alice", b.ID), "credential_not_found")
	list, err := e.rp.Credentials(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Summary{renamed}, list, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("after rename and delete (-want +got):\n%s", diff)
	}
}
