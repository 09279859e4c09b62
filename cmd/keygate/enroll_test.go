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
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/keygate/keygate/internal/testenv"
)

// embeddedPortal is the portal of the embedded default configuration.
const embeddedPortal = "http://localhost:9091"

// TestEmbeddedDefaultAdminEnrolls is the first start of an operator: keygate
// on its embedded default prints an enrollment link for admin; following it
// with a passkey that verifies its user signs admin in at two_factor.
func TestEmbeddedDefaultAdminEnrolls(t *testing.T) {
	t.Chdir(t.TempDir())
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	t.Setenv("KEYGATE_SERVER__ADDRESS", addr)
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
	c := newPortalClient(t, addr)

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
}

// portalClient is a browser of the embedded portal: requests to
// http://localhost:9091 reach the daemon's address, cookies are kept.
type portalClient struct{ http *http.Client }

func newPortalClient(t *testing.T, addr string) *portalClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	transport := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, addr)
	}}
	t.Cleanup(transport.CloseIdleConnections)
	return &portalClient{http: &http.Client{Jar: jar, Transport: transport, Timeout: 10 * time.Second}}
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
