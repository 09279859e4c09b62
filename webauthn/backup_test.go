package webauthn

import (
	"context"
	"net/http"
	"testing"

	"github.com/descope/virtualwebauthn"
)

// signInPaths are the two ways an assertion is verified: after a password
// (FinishLogin) and without a username (FinishPasskeyLogin).
var signInPaths = []struct {
	name string
	run  func(e *env, d *device) error
}{
	{"second factor", func(e *env, d *device) error {
		_, err := e.login("alice", d)
		return err
	}},
	{"passkey", func(e *env, d *device) error {
		_, _, err := e.passkey(d)
		return err
	}},
}

// TestBackupEligibleChanged checks that a sign-in whose backup-eligible (BE)
// flag differs from the registered one is refused in either direction, on both
// paths, and that the same authenticator is accepted once its flags match the
// registration again.
func TestBackupEligibleChanged(t *testing.T) {
	tests := []struct {
		name string
		// registered is BE (and BS) at registration; the sign-in sends the opposite.
		registered bool
	}{
		{"eligible at registration, not at sign-in", true},
		{"not eligible at registration, eligible at sign-in", false},
	}
	for _, path := range signInPaths {
		for _, tc := range tests {
			t.Run(path.name+"/"+tc.name, func(t *testing.T) {
				e := newEnv(t, nil)
				d := newDevice(virtualwebauthn.KeyTypeEC2)
				setBackupFlags(d, tc.registered)
				if s := e.mustRegister("alice", d, "Key"); s.BackupEligible != tc.registered {
					t.Fatalf("registered BE %v, want %v", s.BackupEligible, tc.registered)
				}

				setBackupFlags(d, !tc.registered)
				d.cred.Counter = 1
				err := path.run(e, d)
				wantCode(t, err, "backup_eligible_changed")
				if e, _ := asError(err); e.Status != http.StatusUnauthorized {
					t.Errorf("status: got %d, want 401", e.Status)
				}
				c, err := e.store.Credential(context.Background(), "alice", d.cred.ID)
				if err != nil {
					t.Fatal(err)
				}
				if c.BackupEligible != tc.registered || c.SignCount != 0 || !c.LastUsedAt.IsZero() || c.CloneWarning {
					t.Errorf("a refused sign-in changed the credential: BE %v, count %d, last used %v, clone warning %v",
						c.BackupEligible, c.SignCount, c.LastUsedAt, c.CloneWarning)
				}

				// With the registered flags the same authenticator signs in.
				setBackupFlags(d, tc.registered)
				d.cred.Counter = 2
				if err := path.run(e, d); err != nil {
					t.Errorf("sign-in with the registered BE flag after the refusal: %v", err)
				}
			})
		}
	}
}

// setBackupFlags sets BE and BS together: BS without BE is refused on its own.
func setBackupFlags(d *device, on bool) {
	d.auth.Options.BackupEligible = on
	d.auth.Options.BackupState = on
}
