package testenv

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
)

// createScript registers a credential for the page's origin and reports what
// the browser answered: the credential's type and its transports.
const createScript = `(async () => {
  const cred = await navigator.credentials.create({publicKey: {
    rp: {name: "test", id: "localhost"},
    user: {id: new Uint8Array([1, 2, 3, 4]), name: "alice", displayName: "Alice"},
    challenge: crypto.getRandomValues(new Uint8Array(32)),
    pubKeyCredParams: [{type: "public-key", alg: -7}],
    authenticatorSelection: {residentKey: "preferred", userVerification: "discouraged"},
    timeout: 10000,
  }});
  return cred.type + " " + cred.response.getTransports().join(",");
})()`

// getScript asks for an assertion of any credential for the origin.
const getScript = `(async () => {
  const cred = await navigator.credentials.get({publicKey: {
    challenge: crypto.getRandomValues(new Uint8Array(32)),
    rpId: "localhost",
    allowCredentials: [],
    userVerification: "preferred",
    timeout: 10000,
  }});
  return cred.type + " uv=" + ((new Uint8Array(cred.response.authenticatorData)[32] & 4) !== 0);
})()`

func TestChromiumVirtualAuthenticator(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>harness</title><p>harness</p>"))
	}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	// http://localhost is a secure context, and localhost is a valid RP ID.
	page := "http://localhost:" + portOf(t, l.Addr()) + "/"

	alloc := Chromium(t)
	tests := []struct {
		name      string
		opts      AuthenticatorOptions
		create    string
		getResult string // "" when the credential is not discoverable
	}{
		{"security key", SecurityKey, "public-key usb", ""},
		{"platform passkey", PlatformPasskey, "public-key internal", "public-key uv=true"},
		{"passkey without user verification", PasskeyWithoutUV, "public-key internal", "public-key uv=false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := BrowserTab(t, alloc)
			if err := chromedp.Do(tab, chromedp.Navigate(page)); err != nil {
				t.Fatalf("navigating to %s: %v", page, err)
			}
			a := AddAuthenticator(t, tab, tt.opts)
			got, err := chromedp.Run(tab, chromedp.Evaluate[string](createScript, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("navigator.credentials.create: %v", err)
			}
			if got != tt.create {
				t.Errorf("create() = %q, want %q", got, tt.create)
			}
			creds := a.Credentials(t, tab)
			if len(creds) != 1 {
				t.Fatalf("authenticator holds %d credentials, want 1", len(creds))
			}
			if creds[0].IsResidentCredential != tt.opts.ResidentKey {
				t.Errorf("credential resident = %v, want %v", creds[0].IsResidentCredential, tt.opts.ResidentKey)
			}
			if tt.getResult == "" {
				return
			}
			a.Unplug(t, tab)
			a.Plug(t, tab)
			got, err = chromedp.Run(tab, chromedp.Evaluate[string](getScript, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("navigator.credentials.get after unplug and plug: %v", err)
			}
			if got != tt.getResult {
				t.Errorf("get() = %q, want %q", got, tt.getResult)
			}
		})
	}
}

func portOf(t *testing.T, a net.Addr) string {
	t.Helper()
	_, port, err := net.SplitHostPort(a.String())
	if err != nil {
		t.Fatalf("splitting %s: %v", a, err)
	}
	return port
}
