package ui

import (
	"context"
	"net/http"
	"testing"

	"github.com/descope/virtualwebauthn"
)

// credentialIDs lists the user's credential IDs in the store, base64url.
func credentialIDs(t *testing.T, p *portal, user string) []string {
	t.Helper()
	sums, err := p.rp.Credentials(context.Background(), user)
	if err != nil {
		t.Fatalf("Credentials(%s): %v", user, err)
	}
	ids := make([]string, 0, len(sums))
	for _, s := range sums {
		ids = append(ids, s.ID)
	}
	return ids
}

// TestPasswordAndMailboxCannotTakeOverKeys is the attack of a password and a
// mailbox: delete every key of the account, register one's own, use it as a
// second factor. Every step that touches the owner's keys is refused.
func TestPasswordAndMailboxCannotTakeOverKeys(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	p.withKey(t, "alice", newDevice(virtualwebauthn.KeyTypeEC2, false))
	owners := credentialIDs(t, p, "alice")

	attacker := p.browser(t)
	attacker.password("alice")
	attacker.elevate("alice")
	for _, id := range owners {
		attacker.send(http.MethodDelete, "/api/webauthn/credentials/"+id, "").want(t, http.StatusForbidden, codeTwoFactorRequired)
	}
	attacker.post("/api/webauthn/credentials/options", map[string]any{"description": "Mine"}).
		want(t, http.StatusForbidden, codeTwoFactorRequired)
	if got := credentialIDs(t, p, "alice"); len(got) != len(owners) {
		t.Errorf("alice's credentials after the attack: %v, want the owner's %v", got, owners)
	}
	if lvl := attacker.session()["level"]; lvl != "one_factor" {
		t.Errorf("attacker's level = %v, want one_factor", lvl)
	}
}

// TestFirstCredentialRace begins a first registration with a password and a
// mailbox, then the owner enrolls a key by invite: the registration that
// began while the account had no credential is refused at its end.
func TestFirstCredentialRace(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	attacker := p.browser(t)
	attacker.password("alice")
	attacker.elevate("alice")
	opts := attacker.post("/api/webauthn/credentials/options", map[string]any{"description": "Mine"})
	opts.want(t, http.StatusOK, "")

	owner := p.browser(t)
	owner.enroll(p.invite(t, "alice"), newDevice(virtualwebauthn.KeyTypeEC2, true)).want(t, http.StatusOK, "")
	owners := credentialIDs(t, p, "alice")

	r := attacker.post("/api/webauthn/credentials", map[string]any{
		"credential": newDevice(virtualwebauthn.KeyTypeEC2, false).attest(t, opts.body)})
	r.want(t, http.StatusForbidden, codeTwoFactorRequired)
	if got := credentialIDs(t, p, "alice"); len(got) != 1 || got[0] != owners[0] {
		t.Errorf("alice's credentials = %v, want the owner's %v alone", got, owners)
	}
}

// TestRemoveNeedsAnOlderKey checks that a key registered in the session by an
// identity check alone is no proof for removing keys, while a later sign-in
// with it is.
func TestRemoveNeedsAnOlderKey(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	key := newDevice(virtualwebauthn.KeyTypeEC2, false)
	b := p.withKey(t, "alice", key) // password, code, first key, then that key as second factor
	spare := b.register(newDevice(virtualwebauthn.KeyTypeRSA, false), "Spare")
	path := "/api/webauthn/credentials/" + spare["id"].(string)
	b.send(http.MethodDelete, path, "").want(t, http.StatusForbidden, codeTwoFactorRequired)

	again := p.browser(t)
	again.password("alice")
	again.elevate("alice")
	again.send(http.MethodDelete, path, "").want(t, http.StatusForbidden, codeTwoFactorRequired)
	again.secondFactor(key).want(t, http.StatusOK, "")
	again.elevate("alice")
	again.send(http.MethodDelete, path, "").want(t, http.StatusNoContent, "")
}

// TestCredentialRoutesNeeds is the table of what each credential route needs.
func TestCredentialRoutesNeeds(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	key := newDevice(virtualwebauthn.KeyTypeEC2, false)
	p.withKey(t, "alice", key)
	id := credentialIDs(t, p, "alice")[0]
	sessions := []struct {
		name  string
		setup func(b *browser)
		// wantOptions, wantDelete are the answers' codes; "" is success.
		wantOptions, wantDelete string
	}{
		{"none", func(b *browser) {}, codeUnauthenticated, codeUnauthenticated},
		{"password", func(b *browser) { b.password("alice") }, codeTwoFactorRequired, codeTwoFactorRequired},
		{"password and mailbox", func(b *browser) { b.password("alice"); b.elevate("alice") }, codeTwoFactorRequired, codeTwoFactorRequired},
		{"two factors, not elevated", func(b *browser) { b.password("alice"); b.secondFactor(key) }, codeElevationRequired, codeElevationRequired},
		{"two factors and mailbox", func(b *browser) { b.password("alice"); b.secondFactor(key); b.elevate("alice") }, "", ""},
	}
	for _, s := range sessions {
		t.Run(s.name, func(t *testing.T) {
			b := p.browser(t)
			s.setup(b)
			r := b.post("/api/webauthn/credentials/options", map[string]any{"description": "x"})
			if got := r.code(); got != s.wantOptions {
				t.Errorf("options: got %d %q, want %q", r.status, got, s.wantOptions)
			}
			if s.wantDelete == "" {
				return // the last case deletes for real below
			}
			r = b.send(http.MethodDelete, "/api/webauthn/credentials/"+id, "")
			if got := r.code(); got != s.wantDelete {
				t.Errorf("delete: got %d %q, want %q", r.status, got, s.wantDelete)
			}
		})
	}
}
