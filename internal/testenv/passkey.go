package testenv

import (
	"encoding/json"
	"fmt"

	"github.com/descope/virtualwebauthn"
)

// Passkey is a software platform authenticator holding one discoverable EC2
// credential that verifies its user: it answers a portal's WebAuthn options
// over HTTP, without a browser, as navigator.credentials would.
type Passkey struct {
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
	rp   virtualwebauthn.RelyingParty
}

// NewPasskey returns a passkey for the relying party rpID whose pages are
// served at origin.
func NewPasskey(rpID, origin string) *Passkey {
	return &Passkey{
		auth: virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{
			Transports: []virtualwebauthn.Transport{virtualwebauthn.TransportInternal},
		}),
		cred: virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeEC2),
		rp:   virtualwebauthn.RelyingParty{ID: rpID, Name: "Keygate", Origin: origin},
	}
}

// Attest answers registration options (the portal's {"publicKey": ...}) like
// navigator.credentials.create(), reporting a discoverable credential (credProps.rk).
func (k *Passkey) Attest(options []byte) (json.RawMessage, error) {
	parsed, err := virtualwebauthn.ParseAttestationOptions(string(options))
	if err != nil {
		return nil, fmt.Errorf("registration options %s: %w", options, err)
	}
	k.auth.Options.UserHandle = []byte(parsed.UserID)
	k.auth.Options.ClientExtensionResults = map[string]any{"credProps": map[string]any{"rk": true}}
	defer func() { k.auth.Options.ClientExtensionResults = nil }()
	return json.RawMessage(virtualwebauthn.CreateAttestationResponse(k.rp, k.auth, k.cred, *parsed)), nil
}

// Assert answers sign-in options like navigator.credentials.get(). Each
// assertion raises the sign counter, as authenticators do.
func (k *Passkey) Assert(options []byte) (json.RawMessage, error) {
	parsed, err := virtualwebauthn.ParseAssertionOptions(string(options))
	if err != nil {
		return nil, fmt.Errorf("sign-in options %s: %w", options, err)
	}
	k.cred.Counter++
	return json.RawMessage(virtualwebauthn.CreateAssertionResponse(k.rp, k.auth, k.cred, *parsed)), nil
}
