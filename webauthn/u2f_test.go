package webauthn

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/descope/virtualwebauthn"

	"github.com/keygate/keygate/store"
)

// testAppID is the AppID of the imported U2F credentials: the portal's origin.
const testAppID = "https://auth.example.com"

// addU2F stores for user a credential imported from a U2F registration under
// testAppID, and returns the authenticator holding it. The authenticator
// reports the appid extension as used, as a browser does when it fell back to
// the AppID.
func addU2F(t *testing.T, e *env, user string) *device {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	d := &device{auth: virtualwebauthn.NewAuthenticator(), cred: virtualwebauthn.NewCredentialWithImportedKey(virtualwebauthn.KeyTypeEC2, pkcs8)}
	d.auth.Options.ClientExtensionResults = map[string]any{"appid": true}
	raw, err := key.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	err = e.store.AddCredential(context.Background(), user, store.Credential{
		ID: d.cred.ID, Description: "Old key", PublicKey: raw.Bytes(), AppID: testAppID,
		AAGUID: make([]byte, 16), UserPresent: true, AttestationType: "fido-u2f",
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestLegacyU2F signs in with a credential imported from a U2F registration:
// its raw P-256 key is used under the AppID, which the options must carry.
func TestLegacyU2F(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	d := addU2F(t, e, "alice")
	opts, state, err := e.rp.BeginLogin(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Extensions map[string]any }
	if err := json.Unmarshal(opts.PublicKey, &got); err != nil {
		t.Fatal(err)
	}
	if got.Extensions["appid"] != testAppID {
		t.Fatalf("extensions: got %v, want appid %q", got.Extensions, testAppID)
	}
	e.browser.ID = testAppID // a U2F authenticator scopes the credential to the AppID
	d.cred.Counter = 3
	if _, err := e.rp.FinishLogin(ctx, "alice", state, e.assert(opts, d)); err != nil {
		t.Fatalf("FinishLogin with the AppID: %v", err)
	}
}

// TestLegacyU2FRefusals checks the RP ID hash of assertions when the appid
// extension is in play: a U2F credential that reports the extension used must
// be scoped to the AppID and nothing else, one that does not report it is held
// to the RP ID, and a WebAuthn credential cannot borrow the AppID. Each
// refused authenticator then signs in once set right, so that only the hash
// was wrong.
func TestLegacyU2FRefusals(t *testing.T) {
	tests := []struct {
		name string
		// webauthnKey makes the answering authenticator alice's registered
		// WebAuthn credential instead of her U2F one.
		webauthnKey bool
		// scope is the rpIdHash's input; appid is the extension output reported.
		scope string
		appid bool
		// fixScope and fixAppid are what the authenticator should have sent.
		fixScope string
		fixAppid bool
	}{
		{name: "appid used, hash of the rp id", scope: testRPID, appid: true, fixScope: testAppID, fixAppid: true},
		{name: "appid used, hash of another appid", scope: "https://login.example.com", appid: true,
			fixScope: testAppID, fixAppid: true},
		{name: "appid used, hash of the appid's host", scope: "auth.example.com", appid: true,
			fixScope: testAppID, fixAppid: true},
		{name: "appid not reported, hash of the appid", scope: testAppID, appid: false, fixScope: testAppID, fixAppid: true},
		{name: "webauthn credential claims the appid", webauthnKey: true, scope: testAppID, appid: true,
			fixScope: testRPID, fixAppid: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			ctx := context.Background()
			d := addU2F(t, e, "alice")
			if tc.webauthnKey {
				d = newDevice(virtualwebauthn.KeyTypeEC2)
				e.mustRegister("alice", d, "Key")
			}
			signIn := func(scope string, appid bool) error {
				e.browser.ID = scope
				d.auth.Options.ClientExtensionResults = map[string]any{"appid": appid}
				d.cred.Counter++
				_, err := e.login("alice", d)
				return err
			}

			err := signIn(tc.scope, tc.appid)
			wantCode(t, err, "invalid_credential")
			if e, _ := asError(err); e.Status != http.StatusUnauthorized {
				t.Errorf("status: got %d, want 401", e.Status)
			}
			c, err := e.store.Credential(ctx, "alice", d.cred.ID)
			if err != nil {
				t.Fatal(err)
			}
			if c.SignCount != 0 || !c.LastUsedAt.IsZero() || c.CloneWarning {
				t.Errorf("a refused sign-in changed the credential: count %d, last used %v, clone warning %v",
					c.SignCount, c.LastUsedAt, c.CloneWarning)
			}

			if err := signIn(tc.fixScope, tc.fixAppid); err != nil {
				t.Errorf("the same authenticator scoped to %q with appid %v: %v", tc.fixScope, tc.fixAppid, err)
			}
		})
	}
}
