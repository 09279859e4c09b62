// Package e2e runs Keygate, built from this module, behind real nginx, Caddy and
// HAProxy that load the configurations in deploy/ as they are (only addresses and
// a throwaway certificate change), in front of a small upstream that echoes the
// headers it receives.
//
// The proxy tests are plain HTTP from a client that resolves every host name to
// the proxy under test; HAProxy's check script also meets a stand-in for Keygate
// that gives the answers a healthy Keygate does not. The browser tests drive
// headless Chromium with DevTools WebAuthn virtual authenticators (a USB security
// key without resident keys, a platform passkey with and without user
// verification) through the portal's pages, scenario by scenario through nginx and
// through Caddy, and save a screenshot of every page they pass through under
// test-artifacts/browser/PROXY/SCENARIO.
//
// The package holds only tests; this file documents it.
package e2e
