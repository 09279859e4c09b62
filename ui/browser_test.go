package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/keygate/keygate/webauthn"
)

// portal is a testEnv served over real HTTP.
type portal struct {
	*testEnv
	srv *httptest.Server
}

// newPortal serves a testEnv on an HTTP server on loopback.
func newPortal(t *testing.T, cfg Config, configure func(*webauthn.Config)) *portal {
	t.Helper()
	te := newTestEnvWith(t, cfg, configure)
	srv := httptest.NewServer(te.echo)
	t.Cleanup(srv.Close)
	return &portal{testEnv: te, srv: srv}
}

// browser is one user agent talking to the portal: it keeps its own cookies
// and sends the portal's Host and Origin.
type browser struct {
	t       *testing.T
	p       *portal
	origin  string
	ip      string // the client address a trusted proxy reports; "" for none
	cookies map[string]*http.Cookie
}

func (p *portal) browser(t *testing.T) *browser {
	return &browser{t: t, p: p, origin: testOrigin, cookies: map[string]*http.Cookie{}}
}

// reply is one answer of the portal.
type reply struct {
	status int
	body   []byte
}

// fields decodes a JSON object answer.
func (r reply) fields(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer %d %q is not a JSON object: %v", r.status, r.body, err)
	}
	return m
}

// code is the error code of an error answer, or "".
func (r reply) code() string {
	var e errorBody
	_ = json.Unmarshal(r.body, &e)
	return e.Error
}

// want fails the test unless the answer has status (and, for errors, code).
func (r reply) want(t *testing.T, status int, code string) {
	t.Helper()
	if r.status != status || r.code() != code {
		t.Fatalf("answer %d %s, want %d %q", r.status, r.body, status, code)
	}
}

// send makes a request with a raw body ("" for none) and keeps the cookies set.
func (b *browser) send(method, path, body string) reply {
	b.t.Helper()
	var rd io.Reader = http.NoBody
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, b.p.srv.URL+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Host = portalHost
	if method != http.MethodGet {
		req.Header.Set("Origin", b.origin)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if b.ip != "" {
		req.Header.Set("X-Forwarded-For", b.ip)
	}
	for _, c := range b.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := b.p.srv.Client().Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("reading %s %s: %v", method, path, err)
	}
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return reply{status: resp.StatusCode, body: data}
}

// call sends v as JSON.
func (b *browser) call(method, path string, v any) reply {
	b.t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.send(method, path, string(body))
}

func (b *browser) post(path string, v any) reply {
	b.t.Helper()
	return b.call(http.MethodPost, path, v)
}

// session is the browser's GET /api/session answer.
func (b *browser) session() map[string]any {
	b.t.Helper()
	r := b.send(http.MethodGet, "/api/session", "")
	r.want(b.t, http.StatusOK, "")
	return r.fields(b.t)
}

// sessionID is the browser's session cookie, or "".
func (b *browser) sessionID() string {
	if c, ok := b.cookies[b.p.sessions.CookieName()]; ok {
		return c.Value
	}
	return ""
}

// password signs in with a password ("<user>-password") and wants success.
func (b *browser) password(user string) map[string]any {
	b.t.Helper()
	r := b.post("/api/login/password", map[string]any{"username": user, "password": user + "-password"})
	r.want(b.t, http.StatusOK, "")
	return r.fields(b.t)
}

// elevate passes the identity check with the code the notifier wrote.
func (b *browser) elevate(user string) {
	b.t.Helper()
	b.post("/api/identity/code", map[string]any{}).want(b.t, http.StatusOK, "")
	r := b.post("/api/identity/verify", map[string]any{"code": b.p.lastCode(b.t, user)})
	r.want(b.t, http.StatusOK, "")
}

// register adds d's credential to the signed-in, elevated user and returns the summary.
func (b *browser) register(d *device, description string) map[string]any {
	b.t.Helper()
	opts := b.post("/api/webauthn/credentials/options", map[string]any{"description": description})
	opts.want(b.t, http.StatusOK, "")
	r := b.post("/api/webauthn/credentials", map[string]any{"credential": d.attest(b.t, opts.body)})
	r.want(b.t, http.StatusCreated, "")
	return r.fields(b.t)
}

// secondFactor runs the security-key step with d.
func (b *browser) secondFactor(d *device) reply {
	b.t.Helper()
	opts := b.post("/api/login/webauthn/options", map[string]any{})
	opts.want(b.t, http.StatusOK, "")
	return b.post("/api/login/webauthn", map[string]any{"credential": d.assert(b.t, opts.body)})
}

// passkey runs a passkey sign-in with d.
func (b *browser) passkey(d *device, rememberMe bool) reply {
	b.t.Helper()
	opts := b.post("/api/login/passkey/options", map[string]any{})
	opts.want(b.t, http.StatusOK, "")
	return b.post("/api/login/passkey", map[string]any{"credential": d.assert(b.t, opts.body), "remember_me": rememberMe})
}

// lastCode is the code of the notifier's last message to user.
func (p *portal) lastCode(t *testing.T, user string) string {
	t.Helper()
	f, err := os.Open(p.notes)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var code string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct {
			Time, User, To, Subject, Code string
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("notifier line %q: %v", sc.Bytes(), err)
		}
		if line.User == user {
			code = line.Code
		}
	}
	if code == "" {
		t.Fatalf("the notifier sent %s no code", user)
	}
	return code
}

// device is a virtual authenticator holding one credential, as a browser
// would drive it.
type device struct {
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
	rp   virtualwebauthn.RelyingParty
}

// newDevice makes a USB authenticator with a credential of keyType that
// verifies its user when uv is set.
func newDevice(keyType virtualwebauthn.KeyType, uv bool) *device {
	return &device{
		auth: virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{
			UserNotVerified: !uv,
			Transports:      []virtualwebauthn.Transport{virtualwebauthn.TransportUSB},
		}),
		cred: virtualwebauthn.NewCredential(keyType),
		rp:   virtualwebauthn.RelyingParty{ID: testRPID, Name: "Keygate", Origin: testOrigin},
	}
}

// attest answers registration options (the portal's {"publicKey": ...}) like
// navigator.credentials.create(): a discoverable credential (credProps.rk).
func (d *device) attest(t *testing.T, options []byte) json.RawMessage {
	t.Helper()
	parsed, err := virtualwebauthn.ParseAttestationOptions(string(options))
	if err != nil {
		t.Fatalf("registration options %s: %v", options, err)
	}
	d.auth.Options.UserHandle = []byte(parsed.UserID)
	d.auth.Options.ClientExtensionResults = map[string]any{"credProps": map[string]any{"rk": true}}
	defer func() { d.auth.Options.ClientExtensionResults = nil }()
	return json.RawMessage(virtualwebauthn.CreateAttestationResponse(d.rp, d.auth, d.cred, *parsed))
}

// assert answers sign-in options like navigator.credentials.get(). Each
// assertion raises the counter, as authenticators do.
func (d *device) assert(t *testing.T, options []byte) json.RawMessage {
	t.Helper()
	parsed, err := virtualwebauthn.ParseAssertionOptions(string(options))
	if err != nil {
		t.Fatalf("sign-in options %s: %v", options, err)
	}
	d.cred.Counter++
	return json.RawMessage(virtualwebauthn.CreateAssertionResponse(d.rp, d.auth, d.cred, *parsed))
}

// untilPast moves the portal's clock past d from now.
func (p *portal) untilPast(d time.Duration) { p.clock.advance(d + time.Second) }
