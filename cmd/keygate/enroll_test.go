package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/keygate/keygate/internal/testenv"
)

// embeddedPortal is the portal of the embedded default configuration.
const embeddedPortal = "http://localhost:9091"

// TestEmbeddedDefaultAdminEnrolls is the first start of an operator: keygate
// on its embedded default prints an enrollment link for admin and serves the
// example app, which sends a stranger to sign in; following the link with a
// passkey that verifies its user signs admin in at two_factor and lands on the
// example app, which shows admin's identity headers.
func TestEmbeddedDefaultAdminEnrolls(t *testing.T) {
	t.Chdir(t.TempDir())
	addr, appAddr := twoFreePorts(t)
	t.Setenv("KEYGATE_SERVER__ADDRESS", addr)
	// The example app listens on the port after the daemon's: 9092 on the
	// embedded default, here the port after addr's.
	_, appPort, _ := net.SplitHostPort(appAddr)
	embeddedApp := "http://localhost:" + appPort + "/"
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, nil, &out, &errOut) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve ended with %v\n%s", err, errOut.String())
		}
	})
	testenv.WaitTCP(t, addr, 10*time.Second)
	link := regexp.MustCompile(`http://localhost:9091/enroll\?token=[A-Za-z0-9_-]+`).FindString(out.String())
	if link == "" {
		t.Fatalf("the first start printed no enrollment link; stdout:\n%s", out.String())
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	token := u.Query().Get("token")
	if !strings.Contains(out.String(), "Example app protected by Keygate: "+embeddedApp) {
		t.Errorf("stdout names no example app at %s:\n%s", embeddedApp, out.String())
	}
	c := newPortalClient(t, map[string]string{"localhost:9091": addr, "localhost:" + appPort: appAddr})

	resp := c.get(t, embeddedApp+"private?x=1", "text/html")
	if want := embeddedPortal + "/?rd=" + url.QueryEscape(embeddedApp+"private?x=1"); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
		t.Errorf("example app before sign-in = %d Location %q, want 302 to %s", resp.StatusCode, resp.Header.Get("Location"), want)
	}

	if status, _ := c.do(t, http.MethodGet, link, nil); status != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200", link, status)
	}
	status, opts := c.do(t, http.MethodPost, "/api/enroll/options", map[string]any{"token": token, "description": "Laptop"})
	if status != http.StatusOK {
		t.Fatalf("enroll options = %d %s, want 200", status, opts)
	}
	status, answer := c.do(t, http.MethodPost, "/api/enroll", map[string]any{"token": token, "credential": attest(t, opts)})
	if status != http.StatusOK {
		t.Fatalf("enroll = %d %s, want 200", status, answer)
	}
	var landing struct{ Redirect string }
	if err := json.Unmarshal(answer, &landing); err != nil || landing.Redirect != embeddedApp {
		t.Errorf("enroll answer %s: redirect is not the example app %s", answer, embeddedApp)
	}
	status, body := c.do(t, http.MethodGet, "/api/session", nil)
	var s struct {
		Authenticated bool
		Username      string
		Level         string
		Credentials   int
	}
	if err := json.Unmarshal(body, &s); err != nil || status != http.StatusOK {
		t.Fatalf("GET /api/session = %d %s (%v)", status, body, err)
	}
	if !s.Authenticated || s.Username != "admin" || s.Level != "two_factor" || s.Credentials != 1 {
		t.Errorf("session after enrolling = %+v, want admin at two_factor with one credential", s)
	}
	if status, _ := c.do(t, http.MethodPost, "/api/enroll/options", map[string]any{"token": token}); status != http.StatusNotFound {
		t.Errorf("the enrollment link works again: options = %d, want 404", status)
	}

	resp = c.get(t, embeddedApp, "text/html")
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `<td id="Remote-User">admin</td>`) ||
		!strings.Contains(string(page), `<td id="Remote-Groups">admins</td>`) {
		t.Errorf("example app after sign-in = %d:\n%s\nwant 200 showing Remote-User admin of group admins", resp.StatusCode, page)
	}
}

// twoFreePorts returns two loopback addresses on consecutive free ports: the
// daemon's and, on the next port, its example app's.
func twoFreePorts(t *testing.T) (string, string) {
	t.Helper()
	for range 50 {
		p := testenv.FreePort(t)
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+1)); err == nil {
			ln.Close()
			return fmt.Sprintf("127.0.0.1:%d", p), fmt.Sprintf("127.0.0.1:%d", p+1)
		}
	}
	t.Fatal("found no two consecutive free ports")
	return "", ""
}

// portalClient is a browser of the embedded portal: requests reach the
// addresses its routes map host:port to, cookies are kept, redirects are not
// followed.
type portalClient struct{ http *http.Client }

func newPortalClient(t *testing.T, routes map[string]string) *portalClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	transport := &http.Transport{DialContext: func(ctx context.Context, network, hostport string) (net.Conn, error) {
		addr, ok := routes[hostport]
		if !ok {
			return nil, fmt.Errorf("test browser: no route to %s", hostport)
		}
		return dialer.DialContext(ctx, network, addr)
	}}
	t.Cleanup(transport.CloseIdleConnections)
	return &portalClient{http: &http.Client{Jar: jar, Transport: transport, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get fetches target accepting accept; the body is closed at the test's end.
func (c *portalClient) get(t *testing.T, target, accept string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// do sends v (when not nil) as JSON from the portal's origin and returns the answer.
func (c *portalClient) do(t *testing.T, method, path string, v any) (int, []byte) {
	t.Helper()
	target := path
	if path[0] == '/' {
		target = embeddedPortal + path
	}
	var body io.Reader = http.NoBody
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if method != http.MethodGet {
		req.Header.Set("Origin", embeddedPortal)
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

// attest answers registration options as a platform passkey that verifies its user.
func attest(t *testing.T, options []byte) json.RawMessage {
	t.Helper()
	parsed, err := virtualwebauthn.ParseAttestationOptions(string(options))
	if err != nil {
		t.Fatalf("registration options %s: %v", options, err)
	}
	auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{
		UserHandle:             []byte(parsed.UserID),
		Transports:             []virtualwebauthn.Transport{virtualwebauthn.TransportInternal},
		ClientExtensionResults: map[string]any{"credProps": map[string]any{"rk": true}},
	})
	rp := virtualwebauthn.RelyingParty{ID: "localhost", Name: "Keygate", Origin: embeddedPortal}
	cred := virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeEC2)
	return json.RawMessage(virtualwebauthn.CreateAttestationResponse(rp, auth, cred, *parsed))
}
