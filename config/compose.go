package config

import (
	"github.com/keygate/keygate/authz"
	"github.com/keygate/keygate/ui"
)

// The sections map one to one onto the components' Config types, with two
// exceptions that Config composes: authz takes its part of the server
// section, and the portal takes keys from several sections.

// Authz returns the proxy endpoints' configuration: server.trusted_proxies.
func (c *Config) Authz() authz.Config {
	return authz.Config{TrustedProxies: c.Server.TrustedProxies}
}

// UI returns the portal's configuration: the identity and regulation
// sections, webauthn.rp_name, webauthn.passkey_login and session.remember_me.
func (c *Config) UI() ui.Config {
	return ui.Config{
		Identity:   c.Identity,
		Regulation: c.Regulation,
		RPName:     c.WebAuthn.RPName,
		RememberMe: c.Session.RememberMe,
		// Unset means true, as webauthn.Config documents.
		PasskeyUVTwoFactor: c.WebAuthn.PasskeyUVTwoFactor == nil || *c.WebAuthn.PasskeyUVTwoFactor,
	}
}
