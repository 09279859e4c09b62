package authz

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"go.etcd.io/bbolt"

	"github.com/keygate/keygate/policy"
	"github.com/keygate/keygate/session"
)

// benchPolicy is a small but realistic rule set for the hot-path figures.
func benchPolicy(tb testing.TB) *policy.Engine {
	tb.Helper()
	engine, err := policy.New(policy.Config{
		DefaultPolicy: "deny",
		Rules: []policy.Rule{
			{Domain: []string{"public.example.com"}, Policy: "bypass"},
			{Domain: []string{"*.example.com"}, Resources: []string{"^/admin(/|$)"}, Subject: []string{"group:admins"}, Policy: "two_factor"},
			{Domain: []string{"internal.example.com"}, Networks: []string{"10.0.0.0/8"}, Policy: "one_factor"},
			{Domain: []string{"*.example.com"}, Policy: "one_factor"},
		},
	})
	if err != nil {
		tb.Fatalf("policy.New: %v", err)
	}
	return engine
}

// discardWriter is a reusable ResponseWriter, so that only the handler's own
// allocations are counted.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }

// hotPath returns one authenticated forward-auth check, ready to run again and again.
func hotPath(tb testing.TB) func() int {
	fs := &fakeSessions{byID: map[string]*session.Session{"alice": alice()}}
	e, _ := newTestEchoLogging(tb, fs, benchPolicy(tb), slog.LevelInfo)
	h := forwardedHeader("GET", "https://app.example.com/dashboard?tab=1")
	h.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	h.Set("X-Forwarded-For", clientIP)
	r := checkRequest(forwardAuthDialect, proxyAddr, h, "alice")
	w := &discardWriter{header: http.Header{}}
	return func() int {
		clear(w.header)
		e.ServeHTTP(w, r)
		return w.status
	}
}

// allocBudget is the most allocations one authenticated check over the fake
// sessions may make: authz's own two (the identity header values and the joined
// groups) and the fake's three (its cookie parsing and its copy of the session),
// with one to spare. The client IP costs none.
const allocBudget = 6

func TestForwardAuthAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own: counts are not the program's")
	}
	run := hotPath(t)
	if status := run(); status != http.StatusOK {
		t.Fatalf("got status %d, want 200", status)
	}
	allocs := testing.AllocsPerRun(1000, func() { run() })
	t.Logf("authenticated forward-auth check: %.0f allocations", allocs)
	if allocs > allocBudget {
		t.Errorf("got %.0f allocations per check, want at most %d", allocs, allocBudget)
	}
}

func BenchmarkForwardAuth(b *testing.B) {
	run := hotPath(b)
	if status := run(); status != http.StatusOK {
		b.Fatalf("got status %d, want 200", status)
	}
	b.ReportAllocs()
	for b.Loop() {
		run()
	}
}

// BenchmarkForwardAuthRedirect is the anonymous browser being sent to sign in.
func BenchmarkForwardAuthRedirect(b *testing.B) {
	e, _ := newTestEchoLogging(b, &fakeSessions{}, benchPolicy(b), slog.LevelInfo)
	h := forwardedHeader("GET", "https://app.example.com/dashboard?tab=1")
	h.Set("Accept", "text/html")
	r := checkRequest(forwardAuthDialect, proxyAddr, h, "")
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.header)
		e.ServeHTTP(w, r)
	}
	if w.status != http.StatusFound {
		b.Fatalf("got status %d, want 302", w.status)
	}
}

// realHotPath returns one authenticated forward-auth check through a real
// session.Manager over the embedded store in a bbolt file, users that copy the
// groups as the daemon's users file does, and the daemon's client-IP extractor
// on the router: the check as the daemon runs it.
func realHotPath(tb testing.TB) func() int { return realHotPathMetrics(tb, nil) }

// realHotPathMetrics is realHotPath counting into metrics when not nil.
func realHotPathMetrics(tb testing.TB, metrics Metrics) func() int {
	tb.Helper()
	logger := slog.New(slog.DiscardHandler)
	db, err := bbolt.Open(filepath.Join(tb.TempDir(), "keygate.db"), 0o600, &bbolt.Options{NoSync: true})
	if err != nil {
		tb.Fatalf("opening bbolt: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	store, err := session.NewBoltStore(db, logger)
	if err != nil {
		tb.Fatalf("NewBoltStore: %v", err)
	}
	m, err := session.NewManager(session.Config{Domain: "example.com", PortalURL: "https://auth.example.com"}, store, logger)
	if err != nil {
		tb.Fatalf("NewManager: %v", err)
	}
	tb.Cleanup(func() { m.Close() })
	h, err := New(Config{TrustedProxies: []string{"192.0.2.0/24"}}, m, benchPolicy(tb), copyingUsers{"alice": aliceIdentity}, logger)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	if metrics != nil {
		h.UseMetrics(metrics)
	}
	e := echo.New()
	e.IPExtractor = echo.ExtractIPFromXFFHeader(echo.TrustLoopback(false), echo.TrustLinkLocal(false),
		echo.TrustPrivateNet(false), echo.TrustIPRange(&net.IPNet{IP: net.IP{192, 0, 2, 0}, Mask: net.CIDRMask(24, 32)}))
	h.Register(e)

	s := alice()
	s.Factors[0].At, s.Factors[1].At = time.Now(), time.Now()
	rec := httptest.NewRecorder()
	if err := m.Issue(tb.Context(), rec, "", s); err != nil {
		tb.Fatalf("Issue: %v", err)
	}
	hdr := forwardedHeader("GET", "https://app.example.com/dashboard?tab=1")
	hdr.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	hdr.Set("X-Forwarded-For", clientIP)
	r := checkRequest(forwardAuthDialect, proxyAddr, hdr, "")
	r.AddCookie(rec.Result().Cookies()[0])
	w := &discardWriter{header: http.Header{}}
	return func() int {
		clear(w.header)
		e.ServeHTTP(w, r)
		return w.status
	}
}

// aliceIdentity is alice as the users file has her.
var aliceIdentity = Identity{DisplayName: "Alice Liddell", Email: "alice@example.com", Groups: []string{"admins", "dev"}}

// copyingUsers hands out copies of the groups, as the daemon's users file does.
type copyingUsers map[string]Identity

func (u copyingUsers) Identity(username string) (Identity, bool) {
	id, ok := u[username]
	id.Groups = slices.Clone(id.Groups)
	return id, ok
}

// realAllocBudget is the most allocations one authenticated check through the
// real session manager may make, session cached: the session's copy (one), the
// users file's copy of the groups (one), authz's identity header values and
// joined groups (two).
const realAllocBudget = 4

func TestForwardAuthRealManagerAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own: counts are not the program's")
	}
	run := realHotPath(t)
	if status := run(); status != http.StatusOK {
		t.Fatalf("got status %d, want 200", status)
	}
	allocs := testing.AllocsPerRun(1000, func() { run() })
	t.Logf("authenticated forward-auth check through the session manager: %.0f allocations", allocs)
	if allocs > realAllocBudget {
		t.Errorf("got %.0f allocations per check, want at most %d", allocs, realAllocBudget)
	}
}

// BenchmarkForwardAuthRealManager is BenchmarkForwardAuth through a real session
// manager over the embedded store, the session answered from its cache.
func BenchmarkForwardAuthRealManager(b *testing.B) {
	run := realHotPath(b)
	if status := run(); status != http.StatusOK {
		b.Fatalf("got status %d, want 200", status)
	}
	b.ReportAllocs()
	for b.Loop() {
		run()
	}
}

var _ http.ResponseWriter = (*discardWriter)(nil)
