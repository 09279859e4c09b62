package e2e

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
)

// syncedPasskey is a platform passkey a password manager syncs: its
// credentials are backup eligible, so never device-bound.
var syncedPasskey = testenv.AuthenticatorOptions{Internal: true, ResidentKey: true, UserVerification: true, BackupEligible: true}

// scenarioStepUp: erin signs in with her password and a synced passkey and
// reaches the app; the admin area requires a device-bound security key, so
// she is sent to the step-up page, which tells her she has none and how to
// get one. She adds a USB security key, opens the admin area again, steps up
// with the key and passes, and the app sees a hardware key in Remote-AMR.
func scenarioStepUp(t *testing.T, s *browserStack, p *people) {
	e := p.erin
	e.scenario(t, s.proxy, "9-step-up-to-security-key")
	passkey := testenv.AddAuthenticator(t, e.ctx, syncedPasskey)
	e.open(t, s.app()+"/")
	e.waitURL(t, "^"+regexp.QuoteMeta(s.portal()+"/?rd="))
	e.waitVisible(t, "signin")
	signInWithPassword(t, e, erinPerson)
	e.waitVisible(t, "add-key")
	e.click(t, "add-key")
	e.waitVisible(t, "no-credentials")
	addCredential(t, s, e, erinPerson.username, "Synced passkey")
	e.click(t, "continue")
	wantApp(t, e, s.app()+"/", erinPerson.username)
	if amr := e.textOf("remote-amr"); amr != "pwd,swk,user,mfa" {
		t.Errorf("with a synced passkey: Remote-AMR = %q, want pwd,swk,user,mfa", amr)
	}

	e.open(t, s.app()+"/admin")
	e.waitURL(t, "^"+regexp.QuoteMeta(s.portal()+"/step-up?rd="))
	e.waitText(t, "need", "security key")
	e.waitVisible(t, "no-qualifying")
	e.shot(t, "no-qualifying-key")

	passkey.Unplug(t, e.ctx)
	testenv.AddAuthenticator(t, e.ctx, testenv.SecurityKey)
	e.click(t, "stepup-settings")
	e.waitURL(t, "^"+regexp.QuoteMeta(s.portal()+"/settings?rd="))
	wantCredentials(t, e, []string{"Synced passkey"})
	// Still within the identity check of the first key: no code this time.
	e.fill(t, "description", "Blue key")
	e.click(t, "add-button")
	e.waitText(t, "status", "Blue key was added")
	wantCredentialText(t, e, "Blue key", "Security key", "This device only")
	e.shot(t, "key-added")

	// The step-up page offers only the key and runs it at once.
	e.open(t, s.app()+"/admin")
	wantApp(t, e, s.app()+"/admin", erinPerson.username)
	if amr := e.textOf("remote-amr"); !strings.Contains(amr, "hwk") || strings.Contains(amr, "swk") {
		t.Errorf("after the step-up: Remote-AMR = %q, want hwk and no swk", amr)
	}
}

// scenarioToken: erin, who has just used her security key, mints a token in
// the settings page for GET under /dav/ on the app; a client without a
// browser gets through with it as Bearer or as the Basic password, nowhere
// else and with no other method, and not once she revokes it.
func scenarioToken(t *testing.T, s *browserStack, p *people) {
	e := p.erin
	e.scenario(t, s.proxy, "10-token")
	e.open(t, s.portal()+"/settings")
	e.waitVisible(t, "no-tokens")
	e.fill(t, "token-name", "Calendar")
	e.fill(t, "token-hosts", "app."+s.domain)
	e.fill(t, "token-paths", "/dav/")
	e.fill(t, "token-methods", "GET")
	e.click(t, "token-button")
	e.waitVisible(t, "token-shown")
	e.shot(t, "token-created")
	text := eval[string](t, e, `document.getElementById("token-text").value`)
	if !strings.HasPrefix(text, "kgt_") {
		t.Fatalf("the page shows token %q, want one starting kgt_", text)
	}

	// A client that sends its token only when asked (Git, CalDAV) is asked; a
	// browser is sent to sign in.
	status, hdr, _ := clientRequest(t, s, "GET", "/dav/calendar", http.Header{})
	if challenge := hdr.Get("WWW-Authenticate"); status != http.StatusUnauthorized || !strings.Contains(challenge, `Basic realm="Keygate"`) {
		t.Errorf("a client without a token: got %d with WWW-Authenticate %q, want 401 with a Basic challenge", status, challenge)
	}
	status, hdr, _ = clientRequest(t, s, "GET", "/dav/calendar", http.Header{"Accept": {"text/html"}})
	if status != http.StatusFound || !strings.HasPrefix(hdr.Get("Location"), s.portal()+"/?rd=") {
		t.Errorf("a browser without a session: got %d to %q, want 302 to the portal", status, hdr.Get("Location"))
	}

	bearer := "Bearer " + text
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("erin:"+text))
	for _, c := range []struct {
		method, path, auth string
		want               bool
	}{
		{"GET", "/dav/calendar", bearer, true},
		{"GET", "/dav/calendar", basic, true},
		{"GET", "/dav/calendar", "", false},
		{"POST", "/dav/calendar", bearer, false},
		{"GET", "/", bearer, false},
		{"GET", "/admin", bearer, false},
	} {
		status, body := tokenRequest(t, s, c.method, c.path, c.auth)
		if passed := status == http.StatusOK; passed != c.want {
			t.Errorf("%s %s with %.6q...: got %d, want passed=%v", c.method, c.path, c.auth, status, c.want)
		}
		if c.want && !strings.Contains(body, `id="remote-user">erin<`) {
			t.Errorf("%s %s: the app did not see erin", c.method, c.path)
		}
	}

	e.clickCSS(t, "#tokens button")
	e.waitText(t, "status", "Token revoked")
	e.shot(t, "token-revoked")
	if status, _ := tokenRequest(t, s, "GET", "/dav/calendar", bearer); status == http.StatusOK {
		t.Errorf("the revoked token still passes")
	}
}

// tokenRequest is a request of a client without a browser to the app through
// the stack's proxy, with auth as Authorization when not empty; redirects are
// not followed.
func tokenRequest(t *testing.T, s *browserStack, method, path, auth string) (int, string) {
	t.Helper()
	h := http.Header{}
	if auth != "" {
		h.Set("Authorization", auth)
	}
	status, _, body := clientRequest(t, s, method, path, h)
	return status, body
}

// clientRequest is tokenRequest with any headers, answering the headers too.
func clientRequest(t *testing.T, s *browserStack, method, path string, h http.Header) (int, http.Header, string) {
	t.Helper()
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", s.port))
	}
	c := &http.Client{
		Transport:     &http.Transport{DialContext: dial},
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequest(method, s.app()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Header, string(body)
}
