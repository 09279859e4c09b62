package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
)

// browserAccept is what a browser sends when it navigates.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// identityHeaders are the headers Keygate answers with and the upstream trusts.
var identityHeaders = []string{"Remote-User", "Remote-Groups", "Remote-Email", "Remote-Name", "Remote-AMR"}

// echoed is the upstream's answer: the request as it arrived there.
type echoed struct {
	Upstream bool        `json:"upstream"`
	Method   string      `json:"method"`
	Host     string      `json:"host"`
	URI      string      `json:"uri"`
	Header   http.Header `json:"header"`
}

func writeJSON(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }

// newClient is a browser stand-in for p: every host name is dialled at the
// proxy's loopback port (443 to its HTTPS listener, 80 to its plain one), the
// test CA is trusted, redirects are not followed and cookies are kept.
func newClient(t *testing.T, p proxy, pki testenv.PKI) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatalf("creating cookie jar: %v", err)
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			switch {
			case port == "443":
				return dialer.DialContext(ctx, network, p.https)
			case port == "80" && p.http != "":
				return dialer.DialContext(ctx, network, p.http)
			}
			return nil, fmt.Errorf("%s has no listener for %s", p.name, addr)
		},
		TLSClientConfig:     &tls.Config{RootCAs: pki.Pool, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 16,
	}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{
		Transport:     transport,
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// answer is a response, read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// request describes one request for do.
type request struct {
	method string // GET when empty
	url    string
	header http.Header // added to the defaults (a browser's Accept)
	body   string
}

// do sends r through c. A body is sent as JSON from the portal's origin, like
// the portal's own script does.
func do(t *testing.T, c *http.Client, r request) answer {
	t.Helper()
	a, err := send(c, r)
	if err != nil {
		t.Fatalf("%s %s: %v", r.methodOrGET(), r.url, err)
	}
	return a
}

func send(c *http.Client, r request) (answer, error) {
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequest(r.methodOrGET(), r.url, body)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Accept", browserAccept)
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", portalURL)
	}
	for name, values := range r.header {
		req.Header.Del(name)
		for _, v := range values {
			req.Header.Add(name, v)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, fmt.Errorf("reading body: %w", err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

func (r request) methodOrGET() string {
	if r.method == "" {
		return http.MethodGet
	}
	return r.method
}

// upstream returns what the upstream received, failing unless the request
// reached it and was answered 200.
func (a answer) upstream(t *testing.T) echoed {
	t.Helper()
	var e echoed
	if a.status != http.StatusOK || json.Unmarshal(a.body, &e) != nil || !e.Upstream {
		t.Fatalf("got status %d, body %.300q; want 200 from the upstream", a.status, a.body)
	}
	return e
}

// wantSignIn fails unless a is an answer of status whose Location is the portal
// with rd exactly original.
func (a answer) wantSignIn(t *testing.T, status int, original string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("got status %d (body %.200q), want %d to the portal", a.status, a.body, status)
	}
	loc, err := url.Parse(a.header.Get("Location"))
	if err != nil {
		t.Fatalf("Location %q: %v", a.header.Get("Location"), err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != portalURL+"/" {
		t.Errorf("Location %q leads to %q, want %q", loc, got, portalURL+"/")
	}
	query, err := url.ParseQuery(loc.RawQuery)
	if err != nil {
		t.Fatalf("Location query %q: %v", loc.RawQuery, err)
	}
	if len(query) != 1 || len(query["rd"]) != 1 {
		t.Fatalf("Location query %q decodes to %v, want exactly one rd (an unencoded & or ? splits it)", loc.RawQuery, query)
	}
	if got := query.Get("rd"); got != original {
		t.Errorf("rd decodes to %q, want the original URL %q", got, original)
	}
}

// identity is what the upstream received of the identity headers: every
// received header whose name, with "_" read as "-", is one of them.
func (e echoed) identity() map[string][]string {
	got := map[string][]string{}
	for name, values := range e.Header {
		norm := strings.ReplaceAll(name, "_", "-")
		for _, h := range identityHeaders {
			if strings.EqualFold(norm, h) {
				got[name] = values
			}
		}
	}
	return got
}

// wantIdentity is the identity a signed-in account reaches the upstream with:
// the accounts sign in with a password, so Remote-AMR is "pwd" (the upstream,
// a Go server, receives it as Remote-Amr).
func wantIdentity(a account) map[string][]string {
	return map[string][]string{
		"Remote-User":   {a.username},
		"Remote-Groups": {a.groups},
		"Remote-Email":  {a.email},
		"Remote-Name":   {a.displayName},
		"Remote-Amr":    {"pwd"},
	}
}

// anonymous reports whether every identity header the upstream received is empty.
func (e echoed) anonymous() bool {
	for _, values := range e.identity() {
		for _, v := range values {
			if v != "" {
				return false
			}
		}
	}
	return true
}

// loginAnswer is the portal's answer to a password sign-in.
type loginAnswer struct {
	Level    string `json:"level"`
	Redirect string `json:"redirect"`
}

// signIn signs a in through the portal API on c's proxy, with rd, and checks the
// answer and the session cookie it sets.
func signIn(t *testing.T, c *http.Client, a account, rd string) loginAnswer {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"username": a.username, "password": a.password, "rd": rd})
	ans := do(t, c, request{method: http.MethodPost, url: portalURL + "/api/login/password", body: string(body)})
	if ans.status != http.StatusOK {
		t.Fatalf("signing in %s: got status %d, body %.300q; want 200", a.username, ans.status, ans.body)
	}
	var got loginAnswer
	if err := json.Unmarshal(ans.body, &got); err != nil {
		t.Fatalf("signing in %s: answer %q: %v", a.username, ans.body, err)
	}
	if got.Level != "one_factor" {
		t.Errorf("signing in %s: got level %q, want one_factor", a.username, got.Level)
	}
	cookie := sessionCookie(t, ans.header)
	if cookie.Domain != "example.com" || !cookie.Secure || !cookie.HttpOnly || cookie.Value == "" {
		t.Errorf("signing in %s: session cookie %q, want a non-empty value for Domain=example.com, Secure, HttpOnly", a.username, cookie.String())
	}
	return got
}

// sessionCookie is the keygate_session cookie that header sets.
func sessionCookie(t *testing.T, header http.Header) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: header}).Cookies() {
		if c.Name == "keygate_session" {
			return c
		}
	}
	t.Fatalf("no keygate_session cookie in Set-Cookie %q", header.Values("Set-Cookie"))
	return nil
}

// signedIn returns a client of p signed in as a, shared by the subtests of s's
// test function.
func (s *stack) signedIn(t *testing.T, p proxy, a account) *http.Client {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	key := p.name + "/" + a.username
	if c, ok := s.clients[key]; ok {
		return c
	}
	c := newClient(t, p, s.pki)
	signIn(t, c, a, "")
	s.clients[key] = c
	return c
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parsing %q: %v", raw, err)
	}
	return u
}
