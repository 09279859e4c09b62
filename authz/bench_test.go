package authz

import (
	"log/slog"
	"net/http"
	"testing"

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

// allocBudget is the most allocations one authenticated check may make: authz's
// own two (the identity header values and the joined groups), the router's
// X-Forwarded-For extraction (three) and the cookie parsing of the lookup (one),
// with one to spare.
const allocBudget = 8

func TestForwardAuthAllocs(t *testing.T) {
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

var _ http.ResponseWriter = (*discardWriter)(nil)
