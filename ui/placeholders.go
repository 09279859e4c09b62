package ui

import "github.com/labstack/echo/v4"

// The pages of the WebAuthn ceremonies. Their scripts drive the JSON API; the
// pages themselves are static.

// twoFactor serves the second step of signing in: a security key after a
// password, or the password after a passkey without user verification.
func (p *pages) twoFactor(c echo.Context) error {
	return p.render(c, "twofactor", "Confirm sign-in")
}

// settings serves the page where users manage their credentials.
func (p *pages) settings(c echo.Context) error {
	return p.render(c, "settings", "Security keys and passkeys")
}

// enroll serves the landing page of an enrollment link.
func (p *pages) enroll(c echo.Context) error {
	return p.render(c, "enroll", "Register a passkey")
}
