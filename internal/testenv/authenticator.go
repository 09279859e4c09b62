package testenv

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// AuthenticatorOptions describe a virtual WebAuthn authenticator (CTAP2).
type AuthenticatorOptions struct {
	// Internal makes it a platform authenticator (transport "internal");
	// false makes it a USB security key.
	Internal bool
	// ResidentKey lets it store discoverable credentials (passkeys).
	ResidentKey bool
	// UserVerification lets it verify the user, and the verification succeeds.
	UserVerification bool
	// BackupEligible marks the credentials it creates as synced ones (BE and BS set).
	BackupEligible bool
	// NoUVFlag clears the UV flag in every answer: the relying party sees a
	// user who was not verified. (Chromium refuses discoverable credentials on
	// a virtual authenticator that cannot verify the user, so a passkey without
	// user verification is one whose answers say so.)
	NoUVFlag bool
}

// The authenticators the end-to-end scenarios use.
var (
	// SecurityKey is a USB security key without resident keys or user verification.
	SecurityKey = AuthenticatorOptions{}
	// PlatformPasskey is a built-in authenticator that stores passkeys and verifies the user.
	PlatformPasskey = AuthenticatorOptions{Internal: true, ResidentKey: true, UserVerification: true}
	// PasskeyWithoutUV stores passkeys but its answers never say the user was verified.
	PasskeyWithoutUV = AuthenticatorOptions{Internal: true, ResidentKey: true, UserVerification: true, NoUVFlag: true}
)

// Authenticator is a virtual authenticator attached to one tab. It can be
// unplugged and plugged in again with its credentials, like a USB key.
type Authenticator struct {
	opts  AuthenticatorOptions
	id    webauthn.AuthenticatorID
	saved []*webauthn.Credential
}

// AddAuthenticator enables the WebAuthn virtual environment in the tab and
// attaches an authenticator to it. Presence and (when it has it) user
// verification succeed at once: both are set explicitly, since Chromium's zero
// values leave create() and get() waiting for a touch that never comes.
func AddAuthenticator(t testing.TB, tab context.Context, opts AuthenticatorOptions) *Authenticator {
	t.Helper()
	if _, err := chromedp.Call(tab, webauthn.Enable, webauthn.EnableParams{EnableUI: new(false)}); err != nil {
		t.Fatalf("testenv: enabling WebAuthn virtual authenticators: %v", err)
	}
	a := &Authenticator{opts: opts}
	a.Plug(t, tab)
	return a
}

// Plug attaches the authenticator to the tab, with the credentials it held
// when it was unplugged. Plugging an attached authenticator does nothing.
func (a *Authenticator) Plug(t testing.TB, tab context.Context) {
	t.Helper()
	if a.id != "" {
		return
	}
	transport := webauthn.AuthenticatorTransportUsb
	if a.opts.Internal {
		transport = webauthn.AuthenticatorTransportInternal
	}
	res, err := chromedp.Call(tab, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Ctap2version:                webauthn.Ctap2versionCtap21,
			Transport:                   transport,
			HasResidentKey:              a.opts.ResidentKey,
			HasUserVerification:         a.opts.UserVerification,
			IsUserVerified:              a.opts.UserVerification,
			AutomaticPresenceSimulation: true,
			DefaultBackupEligibility:    a.opts.BackupEligible,
			DefaultBackupState:          a.opts.BackupEligible,
		},
	})
	if err != nil {
		t.Fatalf("testenv: adding a virtual authenticator: %v", err)
	}
	a.id = res.AuthenticatorID
	if a.opts.NoUVFlag {
		_, err := chromedp.Call(tab, webauthn.SetResponseOverrideBits, webauthn.SetResponseOverrideBitsParams{AuthenticatorID: a.id, IsBadUV: new(true)})
		if err != nil {
			t.Fatalf("testenv: clearing the UV flag of a virtual authenticator: %v", err)
		}
	}
	for _, c := range a.saved {
		if _, err := chromedp.Call(tab, addCredential, restoreParams(a.id, c)); err != nil {
			t.Fatalf("testenv: restoring a credential on a virtual authenticator: %v", err)
		}
	}
	a.saved = nil
}

// Unplug detaches the authenticator from the tab, keeping its credentials
// (and their sign counters) for the next Plug. Unplugging a detached
// authenticator does nothing.
func (a *Authenticator) Unplug(t testing.TB, tab context.Context) {
	t.Helper()
	if a.id == "" {
		return
	}
	a.saved = a.Credentials(t, tab)
	if _, err := chromedp.Call(tab, webauthn.RemoveVirtualAuthenticator, webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: a.id}); err != nil {
		t.Fatalf("testenv: removing a virtual authenticator: %v", err)
	}
	a.id = ""
}

// Credentials returns the credentials the attached authenticator holds.
func (a *Authenticator) Credentials(t testing.TB, tab context.Context) []*webauthn.Credential {
	t.Helper()
	if a.id == "" {
		return a.saved
	}
	res, err := chromedp.Call(tab, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: a.id})
	if err != nil {
		t.Fatalf("testenv: listing the credentials of a virtual authenticator: %v", err)
	}
	return res.Credentials
}

// addCredential is WebAuthn.addCredential with parameters that leave out the
// credential-manager fields: Chromium refuses any of them, even false, on an
// authenticator without that extension.
var addCredential = cdp.Command[addCredentialParams, cdp.Empty]{Method: webauthn.CommandAddCredential}

type addCredentialParams struct {
	AuthenticatorID webauthn.AuthenticatorID `json:"authenticatorId"`
	Credential      savedCredential          `json:"credential"`
}

// savedCredential is the part of a credential that Unplug keeps.
type savedCredential struct {
	CredentialID         []byte  `json:"credentialId"`
	IsResidentCredential bool    `json:"isResidentCredential"`
	RPID                 string  `json:"rpId,omitempty"`
	PrivateKey           []byte  `json:"privateKey"`
	UserHandle           []byte  `json:"userHandle,omitempty"`
	SignCount            float64 `json:"signCount"`
	BackupEligibility    bool    `json:"backupEligibility"`
	BackupState          bool    `json:"backupState"`
	UserName             string  `json:"userName,omitempty"`
	UserDisplayName      string  `json:"userDisplayName,omitempty"`
}

func restoreParams(id webauthn.AuthenticatorID, c *webauthn.Credential) addCredentialParams {
	return addCredentialParams{AuthenticatorID: id, Credential: savedCredential{
		CredentialID: c.CredentialID, IsResidentCredential: c.IsResidentCredential, RPID: c.RpID,
		PrivateKey: c.PrivateKey, UserHandle: c.UserHandle, SignCount: c.SignCount,
		BackupEligibility: c.BackupEligibility, BackupState: c.BackupState,
		UserName: c.UserName, UserDisplayName: c.UserDisplayName,
	}}
}

// ResetSignCounts puts every credential on the attached authenticator back
// to a sign counter of zero, as on a copy of the key made before its first
// use: its next answer carries a counter no higher than the one the relying
// party last saw. Each credential, private key included, is read from the
// authenticator, removed and added back with the lower counter, which every
// Chromium build supports (WebAuthn.setCredentialProperties cannot change
// the counter). rpID names the relying party of credentials that Chromium
// lists without one (the non-discoverable ones of a security key). The test
// fails unless each counter really went down.
func (a *Authenticator) ResetSignCounts(t testing.TB, tab context.Context, rpID string) {
	t.Helper()
	before := a.Credentials(t, tab)
	if len(before) == 0 {
		t.Fatal("testenv: resetting sign counters of an authenticator that holds no credential")
	}
	for _, c := range before {
		if c.SignCount < 1 {
			t.Fatalf("testenv: credential %x has sign counter %v; a reset needs one that was used", c.CredentialID, c.SignCount)
		}
		_, err := chromedp.Call(tab, webauthn.RemoveCredential, webauthn.RemoveCredentialParams{AuthenticatorID: a.id, CredentialID: c.CredentialID})
		if err != nil {
			t.Fatalf("testenv: removing a credential to reset its counter: %v", err)
		}
		copied := *c
		copied.SignCount = 0
		if copied.RpID == "" {
			copied.RpID = rpID
		}
		if _, err := chromedp.Call(tab, addCredential, restoreParams(a.id, &copied)); err != nil {
			t.Fatalf("testenv: adding a credential back with a reset counter: %v", err)
		}
	}
	after := make(map[string]float64)
	for _, c := range a.Credentials(t, tab) {
		after[string(c.CredentialID)] = c.SignCount
	}
	for _, c := range before {
		got, ok := after[string(c.CredentialID)]
		if !ok {
			t.Fatalf("testenv: credential %x missing after its counter was reset", c.CredentialID)
		}
		if got >= c.SignCount {
			t.Fatalf("testenv: sign counter of credential %x is %v after the reset, want below %v", c.CredentialID, got, c.SignCount)
		}
	}
}
