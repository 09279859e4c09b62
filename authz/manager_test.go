package authz

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/session"
)

// countingStore is an in-memory session.Store that counts writes and can fail reads.
type countingStore struct {
	mu      sync.Mutex
	values  map[string][]byte
	writes  int
	failGet error
}

var _ session.Store = (*countingStore)(nil)

func (s *countingStore) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failGet != nil {
		return nil, s.failGet
	}
	v, ok := s.values[key]
	if !ok {
		return nil, session.ErrNotFound
	}
	return v, nil
}

func (s *countingStore) Set(_ context.Context, key string, value []byte, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	s.values[key] = value
	return nil
}

func (s *countingStore) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	delete(s.values, key)
	return nil
}

func (s *countingStore) Take(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	v, ok := s.values[key]
	if !ok {
		return nil, session.ErrNotFound
	}
	delete(s.values, key)
	return v, nil
}

func (s *countingStore) Close() error { return nil }

// AddMember keeps no set: authz never ends sessions by user.
func (s *countingStore) AddMember(context.Context, string, string, time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return nil
}

func (s *countingStore) Members(context.Context, string) ([]string, error) { return nil, nil }

func (s *countingStore) RemoveMembers(context.Context, string, ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return nil
}

func (s *countingStore) writeCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// realHandler wires authz to a real session.Manager over store and a real policy engine.
func realHandler(t *testing.T, store *countingStore) (*echo.Echo, *session.Manager) {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	m, err := session.NewManager(session.Config{
		Domain: "example.com", PortalURL: "https://auth.example.com",
	}, store, logger)
	if err != nil {
		t.Fatalf("session.NewManager: %v", err)
	}
	h, err := New(Config{TrustedProxies: []string{"192.0.2.0/24"}}, m, benchPolicy(t), nil, logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e := echo.New()
	e.IPExtractor = echo.ExtractIPDirect()
	h.Register(e)
	return e, m
}

// TestRealManagerAnonymousWritesNothing asks about anonymous requests through the
// real session manager and counts what reaches its store.
func TestRealManagerAnonymousWritesNothing(t *testing.T) {
	cookies := map[string]string{
		"no cookie":        "",
		"malformed cookie": "not-a-session-id",
		"unknown cookie":   strings.Repeat("A", 43), // well-formed, never issued
	}
	targets := map[string]int{
		"https://public.example.com/":    http.StatusOK,    // bypass
		"https://app.example.com/":       http.StatusFound, // one_factor: sign in
		"https://elsewhere.example.org/": http.StatusForbidden,
	}
	for _, d := range dialects {
		for cname, cookie := range cookies {
			for target, want := range targets {
				if d.name == "auth-request" && want == http.StatusFound {
					want = http.StatusUnauthorized
				}
				t.Run(d.name+" "+cname+" "+target, func(t *testing.T) {
					store := &countingStore{values: map[string][]byte{}}
					e, m := realHandler(t, store)
					h := d.header("GET", target)
					h.Set("Accept", "text/html")
					r := checkRequest(d, proxyAddr, h, "")
					if cookie != "" {
						r.AddCookie(&http.Cookie{Name: m.CookieName(), Value: cookie})
					}
					w := serve(e, r)
					if w.Code != want {
						t.Errorf("got status %d, want %d", w.Code, want)
					}
					if n := store.writeCount(); n != 0 {
						t.Errorf("got %d store writes, want 0", n)
					}
					if got := w.Header().Values("Set-Cookie"); len(got) != 0 {
						t.Errorf("got Set-Cookie %q, want none", got)
					}
				})
			}
		}
	}
}

func TestRealManagerSignedIn(t *testing.T) {
	store := &countingStore{values: map[string][]byte{}}
	e, m := realHandler(t, store)
	rec := httptest.NewRecorder()
	s := alice()
	s.Factors[0].At, s.Factors[1].At = time.Now(), time.Now()
	if err := m.Issue(context.Background(), rec, "", s); err != nil {
		t.Fatalf("Issue: %v", err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("got %d cookies from Issue, want 1", len(cookies))
	}
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			r := checkRequest(d, proxyAddr, d.header("GET", "https://app.example.com/admin/x"), "")
			r.AddCookie(cookies[0])
			w := serve(e, r)
			if w.Code != http.StatusOK {
				t.Fatalf("got status %d, want 200", w.Code)
			}
			if diff := cmp.Diff(aliceHeaders, identityHeaders(w.Header())); diff != "" {
				t.Errorf("identity headers (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("store down", func(t *testing.T) {
		// A session the manager read less than session.CacheTTL ago may still be
		// answered from its cache (session's tests hold it to that bound); this
		// one it never read, so the lookup reaches the failing store.
		rec := httptest.NewRecorder()
		if err := m.Issue(context.Background(), rec, "", s); err != nil {
			t.Fatalf("Issue: %v", err)
		}
		store.mu.Lock()
		store.failGet = errors.New("store unreachable")
		store.mu.Unlock()
		d := forwardAuthDialect
		r := checkRequest(d, proxyAddr, d.header("GET", "https://public.example.com/"), "")
		r.AddCookie(rec.Result().Cookies()[0])
		if w := serve(e, r); w.Code != http.StatusInternalServerError {
			t.Errorf("got status %d, want 500", w.Code)
		}
	})
}
