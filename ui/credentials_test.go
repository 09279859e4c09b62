package ui

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/descope/virtualwebauthn"

	"github.com/keygate/keygate/webauthn"
)

// credentialsFixture is alice with two credentials and bob with one, each in
// a browser signed in with a password and not elevated.
type credentialsFixture struct {
	p          *portal
	alice, bob *browser
	aliceIDs   []string
	bobID      string
	aliceKey   *device // the device of aliceIDs[0]
}

func newCredentialsFixture(t *testing.T) *credentialsFixture {
	t.Helper()
	p := newPortal(t, ceremonyConfig(), nil)
	key := newDevice(virtualwebauthn.KeyTypeEC2, true)
	owner := p.withKey(t, "alice", key)
	spare := owner.register(newDevice(virtualwebauthn.KeyTypeRSA, false), "Spare")
	bobs := p.browser(t)
	bobs.enroll(p.invite(t, "bob"), newDevice(virtualwebauthn.KeyTypeEC2, true)).want(t, http.StatusOK, "")
	var list []map[string]any
	mustUnmarshal(t, owner.send(http.MethodGet, "/api/webauthn/credentials", "").body, &list)
	var bobList []map[string]any
	mustUnmarshal(t, bobs.send(http.MethodGet, "/api/webauthn/credentials", "").body, &bobList)
	if len(list) != 2 || list[1]["id"] != spare["id"] || len(bobList) != 1 {
		t.Fatalf("credentials alice %v, bob %v; want two and one", list, bobList)
	}
	f := &credentialsFixture{p: p, alice: p.browser(t), bob: p.browser(t), bobID: bobList[0]["id"].(string), aliceKey: key}
	f.aliceIDs = []string{list[0]["id"].(string), list[1]["id"].(string)}
	f.alice.password("alice")
	f.bob.password("bob")
	return f
}

func TestRenameCredential(t *testing.T) {
	tests := []struct {
		name   string
		id     func(f *credentialsFixture) string
		body   string
		status int
		code   string
	}{
		{"own credential", func(f *credentialsFixture) string { return f.aliceIDs[0] }, `{"description":"Blue key"}`, http.StatusOK, ""},
		{"same name as the other", func(f *credentialsFixture) string { return f.aliceIDs[0] }, `{"description":"spare"}`,
			http.StatusConflict, webauthn.ErrDescriptionTaken.Code},
		{"empty name", func(f *credentialsFixture) string { return f.aliceIDs[0] }, `{"description":""}`,
			http.StatusUnprocessableEntity, webauthn.ErrInvalidDescription.Code},
		{"no description", func(f *credentialsFixture) string { return f.aliceIDs[0] }, `{}`, http.StatusBadRequest, codeInvalidRequest},
		{"unknown field", func(f *credentialsFixture) string { return f.aliceIDs[0] }, `{"name":"x"}`, http.StatusBadRequest, codeInvalidRequest},
		{"unknown id", func(f *credentialsFixture) string { return "AAAA" }, `{"description":"x"}`,
			http.StatusNotFound, webauthn.ErrCredentialNotFound.Code},
		{"id that is not base64url", func(f *credentialsFixture) string { return "%21%21" }, `{"description":"x"}`,
			http.StatusNotFound, webauthn.ErrCredentialNotFound.Code},
		{"another user's credential", func(f *credentialsFixture) string { return f.bobID }, `{"description":"Mine now"}`,
			http.StatusNotFound, webauthn.ErrCredentialNotFound.Code},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newCredentialsFixture(t)
			r := f.alice.send(http.MethodPatch, "/api/webauthn/credentials/"+tt.id(f), tt.body)
			r.want(t, tt.status, tt.code)
			if tt.status != http.StatusOK {
				return
			}
			if got := r.fields(t)["description"]; got != "Blue key" {
				t.Errorf("renamed description = %v, want Blue key", got)
			}
			wantAudit(t, f.p, "alice", actionCredentialRenamed)
		})
	}
}

func TestDeleteCredential(t *testing.T) {
	f := newCredentialsFixture(t)
	path := "/api/webauthn/credentials/" + f.aliceIDs[1]
	f.alice.send(http.MethodDelete, path, "").want(t, http.StatusForbidden, codeTwoFactorRequired)
	f.p.browser(t).send(http.MethodDelete, path, "").want(t, http.StatusUnauthorized, codeUnauthenticated)

	f.alice.elevate("alice")
	f.alice.send(http.MethodDelete, path, "").want(t, http.StatusForbidden, codeTwoFactorRequired)
	f.alice.secondFactor(f.aliceKey).want(t, http.StatusOK, "") // the elevation carries over
	f.alice.send(http.MethodDelete, "/api/webauthn/credentials/"+f.bobID, "").want(t, http.StatusNotFound, webauthn.ErrCredentialNotFound.Code)
	f.alice.send(http.MethodDelete, path, "").want(t, http.StatusNoContent, "")
	f.alice.send(http.MethodDelete, path, "").want(t, http.StatusNotFound, webauthn.ErrCredentialNotFound.Code)

	var list []map[string]any
	mustUnmarshal(t, f.alice.send(http.MethodGet, "/api/webauthn/credentials", "").body, &list)
	if len(list) != 1 || list[0]["id"] != f.aliceIDs[0] {
		t.Errorf("credentials after deleting = %v, want the first key alone", list)
	}
	var bobList []map[string]any
	mustUnmarshal(t, f.bob.send(http.MethodGet, "/api/webauthn/credentials", "").body, &bobList)
	if len(bobList) != 1 {
		t.Errorf("bob has %d credentials after alice's deletes, want 1", len(bobList))
	}
	wantAudit(t, f.p, "alice", actionCredentialDeleted)
}

func TestListCredentials(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	p.browser(t).send(http.MethodGet, "/api/webauthn/credentials", "").want(t, http.StatusUnauthorized, codeUnauthenticated)
	b := p.browser(t)
	b.password("bob")
	r := b.send(http.MethodGet, "/api/webauthn/credentials", "")
	r.want(t, http.StatusOK, "")
	if got := string(r.body); got != "[]\n" && got != "[]" {
		t.Errorf("credentials of a user without any = %q, want []", got)
	}
}

func TestCeremonyPages(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	for _, path := range []string{"/2fa", "/settings", "/enroll?token=abc"} {
		r := p.browser(t).send(http.MethodGet, path, "")
		if r.status != http.StatusOK || len(r.body) == 0 {
			t.Errorf("GET %s = %d, want 200 and a page", path, r.status)
		}
	}
}

// TestMutatingRoutesGuarded checks every POST, PATCH and DELETE route of the
// API against a request from another origin.
func TestMutatingRoutesGuarded(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	b := p.browser(t)
	b.origin = "https://evil.example.net"
	n := 0
	for _, r := range p.echo.Routes() {
		if r.Method != http.MethodPost && r.Method != http.MethodPatch && r.Method != http.MethodDelete {
			continue
		}
		n++
		path := strings.ReplaceAll(r.Path, ":id", "AAAA")
		b.send(r.Method, path, `{}`).want(t, http.StatusForbidden, codeOriginMismatch)
	}
	if n < 14 {
		t.Errorf("checked %d mutating routes, want at least 14", n)
	}
}

// TestAddCredentialUserDisabledMidCeremony checks that a user disabled between
// the registration options and their answer gets no credential.
func TestAddCredentialUserDisabledMidCeremony(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	b := p.browser(t)
	b.password("alice")
	b.elevate("alice")
	opts := b.post("/api/webauthn/credentials/options", map[string]any{"description": "Key"})
	opts.want(t, http.StatusOK, "")
	p.users.disable("alice")
	r := b.post("/api/webauthn/credentials", map[string]any{"credential": newDevice(virtualwebauthn.KeyTypeEC2, false).attest(t, opts.body)})
	r.want(t, http.StatusUnauthorized, codeUnauthenticated)
	creds, err := p.store.Credentials(context.Background(), "alice")
	if err != nil || len(creds) != 0 {
		t.Errorf("alice's credentials after the refusal: %d (%v), want none", len(creds), err)
	}
}
