package webauthn

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/descope/virtualwebauthn"
	"github.com/go-webauthn/webauthn/protocol"
)

func TestStepUp(t *testing.T) {
	e := newEnv(t, nil)
	synced := newDevice(virtualwebauthn.KeyTypeEC2)
	setBackupFlags(synced, true)
	e.mustRegister("alice", synced, "Phone")
	key := newDevice(virtualwebauthn.KeyTypeEC2)
	keySum := e.mustRegister("alice", key, "YubiKey")
	ctx := context.Background()

	need := StepUp{DeviceBound: true, UserVerification: true}
	opts, state, err := e.rp.BeginStepUp(ctx, "alice", need)
	if err != nil {
		t.Fatalf("BeginStepUp: %v", err)
	}
	var pk struct {
		AllowCredentials []struct{ ID string } `json:"allowCredentials"`
		UserVerification string                `json:"userVerification"`
	}
	if err := json.Unmarshal(opts.PublicKey, &pk); err != nil {
		t.Fatal(err)
	}
	if len(pk.AllowCredentials) != 1 || pk.AllowCredentials[0].ID != keySum.ID || pk.UserVerification != "required" {
		t.Fatalf("options: got %+v, want only the device-bound key %s and UV required", pk, keySum.ID)
	}
	// The synced passkey, not offered, is refused even if the browser sends it.
	synced.cred.Counter++
	if _, err := e.rp.FinishLogin(ctx, "alice", state, e.assert(opts, synced)); err == nil {
		t.Error("FinishLogin accepted the synced passkey the step-up did not offer")
	}
	opts, state, err = e.rp.BeginStepUp(ctx, "alice", need)
	if err != nil {
		t.Fatal(err)
	}
	key.cred.Counter++
	a, err := e.rp.FinishLogin(ctx, "alice", state, e.assert(opts, key))
	if err != nil || a.BackupEligible {
		t.Fatalf("FinishLogin with the key: %+v, %v; want a device-bound assertion", a, err)
	}

	got, err := e.rp.Qualifying(ctx, "alice", need)
	if err != nil || len(got) != 1 || got[0].ID != keySum.ID {
		t.Errorf("Qualifying: got %v, %v; want the key", got, err)
	}
	_, _, err = e.rp.BeginStepUp(ctx, "alice", StepUp{Attachment: "platform"})
	wantCode(t, err, "no_qualifying_credential")
	_, _, err = e.rp.BeginStepUp(ctx, "bob", StepUp{})
	wantCode(t, err, "no_credentials")
}

func TestStepUpHints(t *testing.T) {
	for _, tt := range []struct {
		attachment, want string
	}{{"cross-platform", `["security-key"]`}, {"platform", `["client-device"]`}, {"", "null"}} {
		var req protocol.PublicKeyCredentialRequestOptions
		for _, f := range stepUpOptions(StepUp{Attachment: tt.attachment}, nil) {
			if err := f(&req); err != nil {
				t.Fatal(err)
			}
		}
		b, _ := json.Marshal(req.Hints)
		if string(b) != tt.want {
			t.Errorf("attachment %q: got hints %s, want %s", tt.attachment, b, tt.want)
		}
	}
}
