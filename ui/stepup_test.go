package ui

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/descope/virtualwebauthn"
)

// syncedDevice is a passkey that a password manager syncs: backup eligible.
func syncedDevice() *device {
	d := newDevice(virtualwebauthn.KeyTypeEC2, true)
	d.auth.Options.BackupEligible = true
	d.auth.Options.BackupState = true
	return d
}

// registerAttached is browser.register with the authenticatorAttachment a
// browser reports, which the virtual authenticator leaves out.
func registerAttached(t *testing.T, b *browser, d *device, description, attachment string) map[string]any {
	t.Helper()
	opts := b.post("/api/webauthn/credentials/options", map[string]any{"description": description})
	opts.want(t, http.StatusOK, "")
	var cred map[string]any
	mustUnmarshal(t, d.attest(t, opts.body), &cred)
	cred["authenticatorAttachment"] = attachment
	r := b.post("/api/webauthn/credentials", map[string]any{"credential": cred})
	r.want(t, http.StatusCreated, "")
	return r.fields(t)
}

// offered lists the credential IDs that options allow.
func offered(t *testing.T, body []byte) []string {
	t.Helper()
	var o struct {
		PublicKey struct {
			AllowCredentials []struct{ ID string } `json:"allowCredentials"`
			Hints            []string              `json:"hints"`
		} `json:"publicKey"`
		Credentials []string `json:"credentials"`
	}
	mustUnmarshal(t, body, &o)
	var ids []string
	for _, c := range o.PublicKey.AllowCredentials {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestStepUpOffersOnlyQualifying(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	synced, key := syncedDevice(), newDevice(virtualwebauthn.KeyTypeEC2, false)
	owner := p.withKey(t, "alice", synced)
	keySum := registerAttached(t, owner, key, "YubiKey", "cross-platform")

	b := p.browser(t)
	b.password("alice")
	b.secondFactor(synced).want(t, http.StatusOK, "")
	opts := b.post("/api/login/step-up/options", map[string]any{"require": "device_bound,cross-platform"})
	opts.want(t, http.StatusOK, "")
	if got := offered(t, opts.body); !slices.Equal(got, []string{keySum["id"].(string)}) {
		t.Fatalf("step-up offers %v, want only the device-bound key %v", got, keySum["id"])
	}
	var answer struct {
		PublicKey   struct{ Hints []string } `json:"publicKey"`
		Credentials []string                 `json:"credentials"`
	}
	mustUnmarshal(t, opts.body, &answer)
	if !slices.Equal(answer.PublicKey.Hints, []string{"security-key"}) || !slices.Equal(answer.Credentials, []string{"YubiKey"}) {
		t.Errorf("got hints %v, credentials %v; want [security-key] and [YubiKey]", answer.PublicKey.Hints, answer.Credentials)
	}
	b.post("/api/login/webauthn", map[string]any{"credential": key.assert(t, opts.body)}).want(t, http.StatusOK, "")
	s := b.session()
	if level := s["level"]; level != "two_factor" {
		t.Errorf("after the step-up: level %v, want two_factor", level)
	}
	sess := p.load(t, b.cookies[p.sessions.CookieName()])
	var bound bool
	for _, f := range sess.Factors {
		bound = bound || f.DeviceBound
	}
	if !bound {
		t.Errorf("after the step-up the session records no device-bound factor: %+v", sess.Factors)
	}
}

func TestStepUpWithoutQualifyingKey(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	b := p.withKey(t, "alice", syncedDevice())
	r := b.post("/api/login/step-up/options", map[string]any{"require": "device_bound"})
	r.want(t, http.StatusConflict, "no_qualifying_credential")
	if msg, _ := r.fields(t)["message"].(string); msg == "" {
		t.Error("no message says how to get a qualifying key")
	}
	b.post("/api/login/step-up/options", map[string]any{"require": "root"}).want(t, http.StatusUnprocessableEntity, "invalid_request")
	p.browser(t).post("/api/login/step-up/options", map[string]any{"require": ""}).want(t, http.StatusUnauthorized, "unauthenticated")
}

func TestStepUpPage(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	r := p.browser(t).send(http.MethodGet, "/step-up?rd=https%3A%2F%2Fapp.example.com%2F&require=device_bound", "")
	r.want(t, http.StatusOK, "")
	for _, part := range []string{`data-page="stepup"`, `id="stepup-button"`, `id="no-qualifying"`} {
		if !strings.Contains(string(r.body), part) {
			t.Errorf("step-up page lacks %s", part)
		}
	}
}
