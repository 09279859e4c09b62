package ui

import (
	"cmp"
	"errors"
	"fmt"
	"time"

	"github.com/keygate/keygate/store"
)

// IdentityConfig is the identity section: the check a user passes before changing credentials.
type IdentityConfig struct {
	// CodeLength is the number of characters in a one-time code. Zero means 8.
	CodeLength int `koanf:"code_length"`
	// CodeLifetime is how long a code may be used. Zero means 10m.
	CodeLifetime time.Duration `koanf:"code_lifetime"`
	// Elevation is how long a verified identity allows credential changes. Zero means 5m.
	Elevation time.Duration `koanf:"elevation"`
}

// Config is what the portal needs from the config file. It is not one section:
// package config composes it from identity, regulation, webauthn and session keys.
type Config struct {
	// Identity configures the identity check before credential changes.
	Identity IdentityConfig
	// Regulation limits failed password sign-ins. Zero values mean 5 failures
	// within 2m ban for 10m, an IPv6 client being its /64, known-device
	// cookies lasting 8760h; a negative MaxFailures disables regulation, a
	// negative DeviceLifetime known devices.
	Regulation store.RegulationConfig
	// RPName is the name the pages show (webauthn.rp_name). Empty means "Keygate".
	RPName string
	// RememberMe is session.remember_me. Zero hides the "remember me" box and
	// ignores remember_me in sign-in requests.
	RememberMe time.Duration
	// LogoFile is an image file (PNG, JPEG, GIF, WebP or SVG, at most 512 KiB)
	// that every page shows above its content, read once by New. Empty shows none.
	LogoFile string
	// PasskeyUVTwoFactor is webauthn.passkey_uv_two_factor: an enrollment with
	// user verification signs the user in at two_factor, as a passkey sign-in
	// with user verification does. False means one_factor.
	PasskeyUVTwoFactor bool
}

// Defaults applied by New to zero values.
const (
	defaultRPName       = "Keygate"
	defaultCodeLength   = 8
	defaultCodeLifetime = 10 * time.Minute
	defaultElevation    = 5 * time.Minute
	defaultMaxFailures  = 5
	defaultWindow       = 2 * time.Minute
	defaultBan          = 10 * time.Minute
	defaultIPv6Prefix   = 64
	minIPv6Prefix       = 32
	maxIPv6Prefix       = 128
	minCodeLength       = 6
	maxCodeLength       = 32
)

// Validate reports every invalid value at once, each naming its config key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key string, value any, allowed string) {
		errs = append(errs, fmt.Errorf("%s: %v is invalid, %s", key, value, allowed))
	}
	if n := c.Identity.CodeLength; n != 0 && (n < minCodeLength || n > maxCodeLength) {
		bad("identity.code_length", n, fmt.Sprintf("must be between %d and %d (0 means %d)", minCodeLength, maxCodeLength, defaultCodeLength))
	}
	if c.Identity.CodeLifetime < 0 {
		bad("identity.code_lifetime", c.Identity.CodeLifetime, "must not be negative")
	}
	if c.Identity.Elevation < 0 {
		bad("identity.elevation", c.Identity.Elevation, "must not be negative")
	}
	if c.Regulation.Window < 0 {
		bad("regulation.window", c.Regulation.Window, "must not be negative")
	}
	if c.Regulation.Ban < 0 {
		bad("regulation.ban", c.Regulation.Ban, "must not be negative")
	}
	if n := c.Regulation.IPv6Prefix; n != 0 && (n < minIPv6Prefix || n > maxIPv6Prefix) {
		bad("regulation.ipv6_prefix", n, fmt.Sprintf("must be between %d and %d (0 means %d)", minIPv6Prefix, maxIPv6Prefix, defaultIPv6Prefix))
	}
	if c.Regulation.DeviceLifetime > maxDeviceLifetime {
		bad("regulation.device_lifetime", c.Regulation.DeviceLifetime, fmt.Sprintf("must be at most %v (400 days, the longest a browser keeps a cookie; 0 means %v, negative turns known devices off)", maxDeviceLifetime, defaultDeviceLifetime))
	}
	if c.RememberMe < 0 {
		bad("session.remember_me", c.RememberMe, "must not be negative (0 disables remember me)")
	}
	return errors.Join(errs...)
}

// withDefaults returns c with every zero value replaced by its default.
func (c Config) withDefaults() Config {
	c.RPName = cmp.Or(c.RPName, defaultRPName)
	c.Identity.CodeLength = cmp.Or(c.Identity.CodeLength, defaultCodeLength)
	c.Identity.CodeLifetime = cmp.Or(c.Identity.CodeLifetime, defaultCodeLifetime)
	c.Identity.Elevation = cmp.Or(c.Identity.Elevation, defaultElevation)
	c.Regulation.MaxFailures = cmp.Or(c.Regulation.MaxFailures, defaultMaxFailures)
	c.Regulation.Window = cmp.Or(c.Regulation.Window, defaultWindow)
	c.Regulation.Ban = cmp.Or(c.Regulation.Ban, defaultBan)
	c.Regulation.IPv6Prefix = cmp.Or(c.Regulation.IPv6Prefix, defaultIPv6Prefix)
	c.Regulation.DeviceLifetime = cmp.Or(c.Regulation.DeviceLifetime, defaultDeviceLifetime)
	return c
}
