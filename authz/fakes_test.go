package authz

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/policy"
	"github.com/keygate/keygate/session"
)

// cookieName is the session cookie the fake sessions read.
const cookieName = "kg"

// fakeSessions serves sessions from a map and counts every call. It also has the
// writing methods of the real manager, counted as writes, so that a test can
// assert that a check writes nothing even if authz's interface ever grew one.
type fakeSessions struct {
	mu       sync.Mutex
	byID     map[string]*session.Session
	err      error // returned by Load when set
	loads    int
	writes   int
	loadHost string // host of the last Load
}

var _ sessions = (*fakeSessions)(nil)

func (f *fakeSessions) CookieValue(r *http.Request) string {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

func (f *fakeSessions) LoadRequest(ctx context.Context, r *http.Request, host string) (string, *session.Session, error) {
	id := f.CookieValue(r)
	if id == "" {
		return "", nil, nil
	}
	s, err := f.Load(ctx, id, host)
	return id, s, err
}

func (f *fakeSessions) Load(_ context.Context, id, host string) (*session.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loads++
	f.loadHost = host
	if f.err != nil {
		return nil, f.err
	}
	s := f.byID[id]
	if s == nil {
		return nil, nil
	}
	c := *s // the caller owns what Load returns, as with the real manager
	return &c, nil
}

// DomainFor covers example.com and its subdomains, with the portal at auth.example.com.
func (f *fakeSessions) DomainFor(host string) (session.Domain, bool) {
	if host != "example.com" && !strings.HasSuffix(host, ".example.com") {
		return session.Domain{}, false
	}
	portal := &url.URL{Scheme: "https", Host: "auth.example.com", Path: "/"}
	return session.Domain{Name: "example.com", PortalURL: portal, DefaultRedirectURL: portal}, true
}

func (f *fakeSessions) Issue(context.Context, http.ResponseWriter, string, *session.Session) error {
	f.count()
	return nil
}

func (f *fakeSessions) Destroy(context.Context, http.ResponseWriter, string, string) error {
	f.count()
	return nil
}

func (f *fakeSessions) PutState(context.Context, string, []byte, time.Duration) error {
	f.count()
	return nil
}

func (f *fakeSessions) count() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
}

func (f *fakeSessions) counts() (loads, writes int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.loads, f.writes
}

// fakeDecider answers a fixed decision and records what it was asked.
type fakeDecider struct {
	mu       sync.Mutex
	decision policy.Decision
	rule     int
	calls    int
	subject  policy.Subject
	request  policy.Request
}

var _ decider = (*fakeDecider)(nil)

func (d *fakeDecider) Evaluate(s policy.Subject, r policy.Request) policy.Verdict {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	d.subject, d.request = s, r
	return policy.Verdict{Decision: d.decision, Rule: d.rule}
}

// The addresses the tests use: the proxy is trusted, the stranger is not.
const (
	proxyAddr    = "192.0.2.10:40000"
	strangerAddr = "203.0.113.9:40000"
	clientIP     = "198.51.100.7"
)

// testNow is the clock of every test handler.
var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// newTestEcho returns a router with a Handler over s and d, trusting 192.0.2.0/24,
// with the client-IP extraction the daemon sets up, and the log it writes.
func newTestEcho(t testing.TB, s sessions, d decider) (*echo.Echo, *bytes.Buffer) {
	t.Helper()
	return newTestEchoLogging(t, s, d, slog.LevelDebug)
}

// newTestEchoLogging is newTestEcho logging from level up.
func newTestEchoLogging(t testing.TB, s sessions, d decider, level slog.Level) (*echo.Echo, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: level}))
	h, err := newHandler(Config{TrustedProxies: []string{"192.0.2.0/24"}}, s, d, logger)
	if err != nil {
		t.Fatalf("newHandler: %v", err)
	}
	h.now = func() time.Time { return testNow }
	e := echo.New()
	_, trusted, _ := net.ParseCIDR("192.0.2.0/24")
	e.IPExtractor = echo.ExtractIPFromXFFHeader(echo.TrustLoopback(false), echo.TrustLinkLocal(false),
		echo.TrustPrivateNet(false), echo.TrustIPRange(trusted))
	h.Register(e)
	return e, &logs
}

// alice is a two-factor session.
func alice() *session.Session {
	return &session.Session{
		Username:    "alice",
		DisplayName: "Alice Liddell",
		Email:       "alice@example.com",
		Groups:      []string{"admins", "dev"},
		Domain:      "example.com",
		Factors: []session.Factor{
			{Method: session.MethodPassword, At: testNow.Add(-time.Hour)},
			{Method: session.MethodWebAuthn, At: testNow.Add(-time.Minute)},
		},
	}
}
