package ui

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/descope/virtualwebauthn"

	"github.com/keygate/keygate/token"
)

// tokenBody is a valid POST /api/tokens body.
func tokenBody() map[string]any {
	return map[string]any{"name": "Calendar", "hosts": []string{"dav.example.com"}, "paths": []string{"/cal/"},
		"methods": []string{"GET", "PROPFIND"}, "expires_in_days": 30}
}

func TestTokensAPI(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	key := newDevice(virtualwebauthn.KeyTypeEC2, true)
	alice := p.withKey(t, "alice", key)

	r := alice.post("/api/tokens", tokenBody())
	r.want(t, http.StatusCreated, "")
	created := r.fields(t)
	text, _ := created["token"].(string)
	id, secret, err := token.Parse(text)
	if err != nil || id != created["id"] {
		t.Fatalf("created %v: token %q does not parse (%v) or names another ID", created, text, err)
	}
	stored, err := p.store.Token(context.Background(), id)
	if err != nil || !stored.Verify(secret) || stored.User != "alice" || strings.Contains(string(stored.Hash), secret) {
		t.Fatalf("stored token %+v, %v: want alice's, hashed", stored, err)
	}

	list := alice.send(http.MethodGet, "/api/tokens", "")
	list.want(t, http.StatusOK, "")
	if strings.Contains(string(list.body), secret) || strings.Contains(string(list.body), "hash") || !strings.Contains(string(list.body), id) {
		t.Errorf("list %s: want the token's ID without its secret or hash", list.body)
	}

	bob := p.browser(t)
	bob.enroll(p.invite(t, "bob"), newDevice(virtualwebauthn.KeyTypeEC2, true)).want(t, http.StatusOK, "")
	bob.send(http.MethodDelete, "/api/tokens/"+id, "").want(t, http.StatusNotFound, "token_not_found")
	alice.send(http.MethodDelete, "/api/tokens/"+id, "").want(t, http.StatusNoContent, "")
	alice.send(http.MethodDelete, "/api/tokens/"+id, "").want(t, http.StatusNotFound, "token_not_found")
	if _, err := p.store.Token(context.Background(), id); err == nil {
		t.Error("the revoked token is still stored")
	}
}

func TestTokensNeedFreshKey(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	key := newDevice(virtualwebauthn.KeyTypeEC2, true)
	alice := p.withKey(t, "alice", key)
	p.untilPast(defaultElevation)
	alice.post("/api/tokens", tokenBody()).want(t, http.StatusForbidden, "step_up_required")
	opts := alice.post("/api/login/step-up/options", map[string]any{"require": ""})
	opts.want(t, http.StatusOK, "")
	alice.post("/api/login/webauthn", map[string]any{"credential": key.assert(t, opts.body)}).want(t, http.StatusOK, "")
	alice.post("/api/tokens", tokenBody()).want(t, http.StatusCreated, "")

	pwd := p.browser(t)
	pwd.password("bob")
	pwd.post("/api/tokens", tokenBody()).want(t, http.StatusForbidden, "step_up_required")
	p.browser(t).post("/api/tokens", tokenBody()).want(t, http.StatusUnauthorized, "unauthenticated")
}

func TestTokensRefuseBadScope(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	alice := p.withKey(t, "alice", newDevice(virtualwebauthn.KeyTypeEC2, true))
	for name, edit := range map[string]func(map[string]any){
		"no host":        func(b map[string]any) { b["hosts"] = []string{} },
		"bad host":       func(b map[string]any) { b["hosts"] = []string{"https://dav.example.com"} },
		"relative path":  func(b map[string]any) { b["paths"] = []string{"cal"} },
		"unknown method": func(b map[string]any) { b["methods"] = []string{"FETCH"} },
		"no name":        func(b map[string]any) { b["name"] = "" },
		"zero days":      func(b map[string]any) { b["expires_in_days"] = 0 },
		"too many days":  func(b map[string]any) { b["expires_in_days"] = 366 },
	} {
		body := tokenBody()
		edit(body)
		r := alice.post("/api/tokens", body)
		if r.status != http.StatusUnprocessableEntity || r.code() != "invalid_request" {
			t.Errorf("%s: got %d %s, want 422 invalid_request", name, r.status, r.body)
		}
	}
	if list, _ := p.store.Tokens(context.Background(), "alice"); len(list) != 0 {
		t.Errorf("refused requests stored %d tokens", len(list))
	}
}
