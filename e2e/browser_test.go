package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
)

// TestBrowser runs the portal's scenarios in headless Chromium, with DevTools
// virtual authenticators, against Keygate behind real nginx and real Caddy.
// Scenarios of one proxy run in order and build on each other (the key
// registered in the first signs in in the second). Every page a scenario
// passes through is saved as a PNG under test-artifacts/browser/PROXY/SCENARIO.
func TestBrowser(t *testing.T) {
	alloc := testenv.Chromium(t)
	for _, proxyName := range []string{"nginx", "caddy"} {
		t.Run(proxyName, func(t *testing.T) {
			if err := os.RemoveAll(filepath.Join(screenshotRoot, proxyName)); err != nil {
				t.Fatalf("clearing old screenshots: %v", err)
			}
			s := startBrowserStack(t, proxyName)
			runScenarios(t, s, alloc)
		})
	}
}

// people are the browsers of one proxy's scenarios and their authenticators.
type people struct {
	alice, carol, dave, erin, visitor *tab
	aliceKey, alicePasskey            *testenv.Authenticator
}

func runScenarios(t *testing.T, s *browserStack, alloc context.Context) {
	p := &people{
		alice:   newTab(t, alloc, "alice"),
		carol:   newTab(t, alloc, "carol"),
		dave:    newTab(t, alloc, "dave"),
		erin:    newTab(t, alloc, "erin"),
		visitor: newTab(t, alloc, "visitor"),
	}
	// Carol's browser lacks the WebAuthn JSON helpers: her passkey is created
	// and used through the portal's fallback.
	withoutJSONHelpers(t, p.carol)
	scenarios := []struct {
		name string
		run  func(t *testing.T, s *browserStack, p *people)
	}{
		{"1-password-then-security-key", scenarioRegisterKey},
		{"2-password-and-security-key", scenarioPasswordAndKey},
		{"3-passkey-autofill", scenarioPasskeyAutofill},
		{"4-passkey-without-uv", scenarioPasskeyWithoutUV},
		{"5-invite", scenarioInvite},
		{"6-rules-and-single-sign-on", scenarioRules},
		{"7-rename-and-delete", scenarioRenameDelete},
		{"8-clone-warning", scenarioCloneWarning},
		{"9-step-up-to-security-key", scenarioStepUp},
		{"10-token", scenarioToken},
	}
	for _, sc := range scenarios {
		if !t.Run(sc.name, func(t *testing.T) { sc.run(t, s, p) }) {
			return // the next scenarios build on this one
		}
	}
}

// scenarioRegisterKey: the app sends alice to the portal; after her password
// the portal asks for a second factor she does not have yet; she adds a USB
// security key after the identity code and lands on the app.
func scenarioRegisterKey(t *testing.T, s *browserStack, p *people) {
	a := p.alice
	a.scenario(t, s.proxy, "1-password-then-security-key")
	p.aliceKey = testenv.AddAuthenticator(t, a.ctx, testenv.SecurityKey)

	a.open(t, s.app()+"/")
	a.waitURL(t, "^"+regexp.QuoteMeta(s.portal()+"/?rd="))
	a.waitVisible(t, "signin")
	a.shot(t, "sign-in")
	signInWithPassword(t, a, alicePerson)

	a.waitVisible(t, "add-key") // one factor, and the app needs two
	a.waitText(t, "signed-in-note", "second step")
	a.shot(t, "needs-second-factor")
	a.click(t, "add-key")
	a.waitURL(t, "^"+regexp.QuoteMeta(s.portal()+"/settings?rd="))
	a.waitVisible(t, "no-credentials")
	a.shot(t, "settings-empty")

	addCredential(t, s, a, alicePerson.username, "Blue key")
	wantCredentials(t, a, []string{"Blue key"})
	wantCredentialText(t, a, "Blue key", "Security key", "This device only")
	a.shot(t, "key-added")

	a.click(t, "continue")
	wantApp(t, a, s.app()+"/", alicePerson.username)
}

// scenarioPasswordAndKey: alice signs out, and back in with her password and
// the security key.
func scenarioPasswordAndKey(t *testing.T, s *browserStack, p *people) {
	a := p.alice
	a.scenario(t, s.proxy, "2-password-and-security-key")
	signOut(t, s, a)

	a.open(t, s.app()+"/")
	a.waitURL(t, "^"+regexp.QuoteMeta(s.portal()+"/?rd="))
	a.waitVisible(t, "signin")
	a.shot(t, "sign-in")
	signInWithPassword(t, a, alicePerson)
	// The app sends her back; the portal goes on to the key step, which runs at once.
	wantApp(t, a, s.app()+"/", alicePerson.username)
}

// scenarioPasskeyAutofill: alice registers a platform passkey in settings,
// signs out, and signs in from the username field's autofill, without a
// password, at two factors.
func scenarioPasskeyAutofill(t *testing.T, s *browserStack, p *people) {
	a := p.alice
	a.scenario(t, s.proxy, "3-passkey-autofill")
	a.open(t, s.portal()+"/settings")
	wantCredentials(t, a, []string{"Blue key"})
	a.shot(t, "settings")

	p.aliceKey.Unplug(t, a.ctx)
	p.alicePasskey = testenv.AddAuthenticator(t, a.ctx, testenv.PlatformPasskey)
	addCredential(t, s, a, alicePerson.username, "Laptop passkey")
	wantCredentials(t, a, []string{"Blue key", "Laptop passkey"})
	wantCredentialText(t, a, "Laptop passkey", "Passkey", "This device only")
	a.shot(t, "passkey-added")
	signOut(t, s, a)

	// The sign-in page offers the passkey in autofill; the virtual
	// authenticator picks it at once, as a person choosing it would.
	a.open(t, s.app()+"/")
	wantApp(t, a, s.app()+"/", alicePerson.username)
	if got := eval[string](t, a, "document.title"); got == "" {
		t.Errorf("app page has no title")
	}
}

// scenarioPasskeyWithoutUV: carol registers a passkey whose authenticator
// does not verify her; signing in with it then asks for her password.
func scenarioPasskeyWithoutUV(t *testing.T, s *browserStack, p *people) {
	c := p.carol
	c.scenario(t, s.proxy, "4-passkey-without-uv")
	c.open(t, s.app()+"/")
	c.waitURL(t, "^"+regexp.QuoteMeta(s.portal()+"/?rd="))
	c.waitVisible(t, "signin")
	c.shot(t, "sign-in")
	if got := eval[string](t, c, "typeof PublicKeyCredential.parseRequestOptionsFromJSON + ' ' + typeof PublicKeyCredential.prototype.toJSON"); got != "undefined undefined" {
		t.Fatalf("carol's browser still has the WebAuthn JSON helpers: %s", got)
	}
	signInWithPassword(t, c, carolPerson)
	c.waitVisible(t, "add-key")
	c.shot(t, "needs-second-factor")
	c.click(t, "add-key")
	c.waitVisible(t, "no-credentials")
	key := testenv.AddAuthenticator(t, c.ctx, testenv.PasskeyWithoutUV)
	addCredential(t, s, c, carolPerson.username, "Phone passkey")
	wantCredentialText(t, c, "Phone passkey", "Passkey")
	c.shot(t, "passkey-added")
	c.click(t, "continue")
	wantApp(t, c, s.app()+"/", carolPerson.username)

	signOut(t, s, c)
	key.Unplug(t, c.ctx) // no autofill: this time she uses the button
	c.open(t, s.app()+"/")
	c.waitVisible(t, "signin")
	key.Plug(t, c.ctx)
	c.waitVisible(t, "passkey")
	c.shot(t, "sign-in")
	c.click(t, "passkey")
	c.waitURL(t, "^"+regexp.QuoteMeta(s.portal()+"/2fa?rd="))
	c.waitVisible(t, "password-step")
	c.shot(t, "password-step")
	c.fill(t, "password", carolPerson.password)
	c.click(t, "password-button")
	wantApp(t, c, s.app()+"/", carolPerson.username)
}

// scenarioInvite: an invite link from "keygate invite" lets dave, who has no
// password, create a passkey; he is then signed in and reaches the app.
func scenarioInvite(t *testing.T, s *browserStack, p *people) {
	d := p.dave
	d.scenario(t, s.proxy, "5-invite")
	link := s.invite(t, davePerson.username)
	testenv.AddAuthenticator(t, d.ctx, testenv.PlatformPasskey)
	d.open(t, link)
	d.waitVisible(t, "enroll-form")
	if got := eval[string](t, d, "location.search"); got != "" {
		t.Errorf("enroll page keeps %q in its address, want the token removed", got)
	}
	d.shot(t, "invite")
	d.fill(t, "description", "Dave's laptop")
	d.click(t, "enroll-button")
	wantApp(t, d, s.app()+"/", davePerson.username) // the default redirect URL

	d.open(t, s.app2()+"/")
	wantApp(t, d, s.app2()+"/", davePerson.username)
}

// scenarioRules: a deny rule answers 403, a bypass path needs no sign-in, and
// a second app under the cookie domain opens without a prompt.
func scenarioRules(t *testing.T, s *browserStack, p *people) {
	a, v := p.alice, p.visitor
	a.scenario(t, s.proxy, "6-rules-and-single-sign-on")
	if got := a.openStatus(t, s.app()+"/secret/plans"); got != 403 {
		t.Errorf("GET /secret/plans as alice = %d, want 403", got)
	}
	a.shot(t, "deny")

	v.scenario(t, s.proxy, "6-rules-and-single-sign-on")
	if got := v.openStatus(t, s.app()+"/public/news"); got != 200 {
		t.Errorf("GET /public/news without a session = %d, want 200", got)
	}
	v.waitURL(t, "^"+regexp.QuoteMeta(s.app()+"/public/news")+"$")
	if got := v.textOf("remote-user"); got != "" {
		t.Errorf("bypass path: Remote-User = %q, want empty", got)
	}
	v.shot(t, "bypass")
	phoneInDarkMode(t, v)
	v.open(t, s.portal()+"/")
	v.waitVisible(t, "signin")
	v.shot(t, "sign-in-phone-dark")

	if got := a.openStatus(t, s.app2()+"/"); got != 200 {
		t.Errorf("GET app2 as alice = %d, want 200 without a prompt", got)
	}
	wantApp(t, a, s.app2()+"/", alicePerson.username)
}

// scenarioRenameDelete: alice renames her passkey and deletes it; the deleted
// passkey no longer signs in.
func scenarioRenameDelete(t *testing.T, s *browserStack, p *people) {
	a := p.alice
	a.scenario(t, s.proxy, "7-rename-and-delete")
	a.open(t, s.portal()+"/settings")
	wantCredentials(t, a, []string{"Blue key", "Laptop passkey"})
	a.clickCSS(t, `button[aria-label="Rename Laptop passkey"]`)
	a.waitVisibleCSS(t, ".credential .inline-form input")
	if err := a.do(setValue(".credential .inline-form input", "Work laptop")); err != nil {
		t.Fatalf("typing the new name: %v", err)
	}
	a.shot(t, "rename")
	a.clickCSS(t, `.credential .inline-form button[type="submit"]`)
	a.waitText(t, "status", "Renamed to Work laptop")
	wantCredentials(t, a, []string{"Blue key", "Work laptop"})
	a.shot(t, "renamed")

	known := len(s.codes(t, alicePerson.username))
	a.clickCSS(t, `button[aria-label="Delete Work laptop"]`)
	a.waitVisibleCSS(t, ".credential .confirm")
	a.shot(t, "confirm-delete")
	a.clickCSS(t, ".credential .confirm button.danger")
	enterCode(t, s, a, alicePerson.username, known)
	a.waitText(t, "status", "Work laptop was deleted")
	wantCredentials(t, a, []string{"Blue key"})
	a.shot(t, "deleted")

	crossSiteSignOut(t, s, a)
	a.open(t, s.app()+"/")
	a.waitURL(t, "^"+regexp.QuoteMeta(s.portal()+"/?rd="))
	a.waitText(t, "status", "not registered")
	a.shot(t, "deleted-passkey-refused")
	if got := a.waitURL(t, "."); !strings.HasPrefix(got, s.portal()+"/?rd=") {
		t.Errorf("after the deleted passkey, address = %q, want the sign-in page", got)
	}
	// The page told the browser the passkey is gone (signalUnknownCredential).
	deadline := time.Now().Add(waitTimeout)
	for len(p.alicePasskey.Credentials(t, a.ctx)) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(p.alicePasskey.Credentials(t, a.ctx)); n != 0 {
		t.Errorf("authenticator still holds %d credentials, want the deleted passkey dropped", n)
	}
}

// scenarioCloneWarning: alice's security key answers with a sign counter
// lower than the last one, as a copy of it would: the sign-in is refused and
// the settings page says plainly that the key may have been copied.
func scenarioCloneWarning(t *testing.T, s *browserStack, p *people) {
	a := p.alice
	a.scenario(t, s.proxy, "8-clone-warning")
	p.alicePasskey.Unplug(t, a.ctx)
	p.aliceKey.Plug(t, a.ctx)
	p.aliceKey.ResetSignCounts(t, a.ctx, s.domain)

	a.open(t, s.app()+"/")
	a.waitVisible(t, "signin")
	signInWithPassword(t, a, alicePerson)
	a.waitURL(t, "^"+regexp.QuoteMeta(s.portal()+"/2fa?rd="))
	a.waitText(t, "status", "cloned")
	a.shot(t, "key-refused")

	a.open(t, s.portal()+"/settings")
	wantCredentials(t, a, []string{"Blue key"})
	wantCredentialText(t, a, "Blue key", "may have been copied")
	a.shot(t, "clone-warning")
}

// signInWithPassword fills the sign-in form and submits it.
func signInWithPassword(t *testing.T, b *tab, who person) {
	t.Helper()
	b.fill(t, "username", who.username)
	b.fill(t, "password", who.password)
	b.click(t, "submit")
}

// signOut opens the sign-out page and waits until it says so.
func signOut(t *testing.T, s *browserStack, b *tab) {
	t.Helper()
	b.open(t, s.portal()+"/logout")
	b.waitVisible(t, "signed-out")
	b.shot(t, "signed-out")
}

// addCredential adds a credential named name on the settings page, with the
// identity code the notifier wrote, and waits until the list shows it.
func addCredential(t *testing.T, s *browserStack, b *tab, user, name string) {
	t.Helper()
	known := len(s.codes(t, user))
	b.fill(t, "description", name)
	b.click(t, "add-button")
	enterCode(t, s, b, user, known)
	b.waitText(t, "status", name+" was added")
}

// enterCode waits for the identity step, types the new code and confirms it.
func enterCode(t *testing.T, s *browserStack, b *tab, user string, known int) {
	t.Helper()
	b.waitVisible(t, "code-form")
	b.waitText(t, "code-sent", "@")
	b.shot(t, "identity-code")
	b.fill(t, "code", s.newCode(t, user, known))
	b.click(t, "code-button")
}

// wantApp waits until the tab shows the app at address as user.
func wantApp(t *testing.T, b *tab, address, user string) {
	t.Helper()
	b.waitURL(t, "^"+regexp.QuoteMeta(address)+"$")
	b.waitVisible(t, "remote-user")
	if got := b.textOf("remote-user"); got != user {
		t.Errorf("app at %s: Remote-User = %q, want %q", address, got, user)
	}
	b.shot(t, "app")
}

// wantCredentials waits until the settings page lists exactly names.
func wantCredentials(t *testing.T, b *tab, names []string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	var got []string
	for time.Now().Before(deadline) {
		got = eval[[]string](t, b, `[...document.querySelectorAll("#credentials .credential-name")].map(e => e.textContent)`)
		if slices.Equal(got, names) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("settings list %q, want %q (status: %q)", got, names, b.status())
}

// wantCredentialText waits until the credential named name shows every one
// of want: the list is drawn again after each change, so one reading may
// catch it before the credential is in it.
func wantCredentialText(t *testing.T, b *tab, name string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	var text string
	for {
		text = eval[string](t, b, `[...document.querySelectorAll("#credentials .credential")]`+
			`.filter(li => li.querySelector(".credential-name").textContent === `+jsString(name)+`)`+
			`.map(li => li.textContent).join("")`)
		if containsAll(text, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("credential %q shows %q, want it to say %q", name, text, w)
		}
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
