package ui

import (
	"net/http"
	"testing"

	"github.com/descope/virtualwebauthn"
)

// TestAnonymousPasskeyOptionsWriteNothing checks that asking for passkey
// sign-in options, which anyone may do, writes nothing to the data file, and
// that the sign-in still works with the state kept elsewhere.
func TestAnonymousPasskeyOptionsWriteNothing(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	key := newDevice(virtualwebauthn.KeyTypeEC2, true)
	p.withKey(t, "alice", key)
	writes := p.file.Writes
	before := writes()
	for range 20 {
		p.browser(t).post("/api/login/passkey/options", map[string]any{}).want(t, http.StatusOK, "")
	}
	if got := writes() - before; got != 0 {
		t.Errorf("pages written for 20 anonymous passkey options = %d, want 0", got)
	}
	b := p.browser(t)
	b.passkey(key, false).want(t, http.StatusOK, "")
	if lvl := b.session()["level"]; lvl != "two_factor" {
		t.Errorf("level after a passkey sign-in = %v, want two_factor", lvl)
	}
	// Single use: the same options cannot finish twice.
	opts := b.post("/api/login/passkey/options", map[string]any{})
	cred := key.assert(t, opts.body)
	b.post("/api/login/passkey", map[string]any{"credential": cred}).want(t, http.StatusOK, "")
	b.post("/api/login/passkey", map[string]any{"credential": cred}).want(t, http.StatusBadRequest, "challenge_expired")
}
