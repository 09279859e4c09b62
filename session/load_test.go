package session

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLoadExpiry(t *testing.T) {
	type step struct {
		advance time.Duration // before this Load
		valid   bool
	}
	tests := []struct {
		name       string
		rememberMe bool
		cfg        func(*Config)
		steps      []step
	}{
		{"inactivity", false, nil, []step{
			{59 * time.Minute, true}, // records activity
			{59 * time.Minute, true},
			{time.Hour, false},
		}},
		{"expiration despite activity", false, nil, append(repeat(14, step{50 * time.Minute, true}),
			step{20*time.Minute - time.Nanosecond, true}, // 12h less 1ns since creation
			step{time.Nanosecond, false},
		)},
		{"remember-me ignores inactivity", true, nil, []step{
			{700 * time.Hour, true},
			{20*time.Hour - time.Nanosecond, true},
			{time.Nanosecond, false},
		}},
		{"remember-me disabled after issue", true, func(c *Config) { c.RememberMe = 0 }, []step{
			{59 * time.Minute, true},
			{time.Hour, false},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, store, c := newTestManager(t, testConfig())
			s := testSession("example.com")
			s.RememberMe = tc.rememberMe
			id := issue(t, m, "", s).Value
			if tc.cfg != nil { // a restart with another config
				cfg := testConfig()
				tc.cfg(&cfg)
				var err error
				if m, err = NewManager(cfg, store, discard); err != nil {
					t.Fatal(err)
				}
				m.now = c.now
			}
			for i, st := range tc.steps {
				c.advance(st.advance)
				if got := load(t, m, id, "example.com") != nil; got != st.valid {
					t.Fatalf("step %d, %v after issue: valid = %v, want %v", i+1, c.now().Sub(s.CreatedAt), got, st.valid)
				}
			}
		})
	}
}

func repeat[T any](n int, v T) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func TestIssueRememberMeDisabled(t *testing.T) {
	cfg := testConfig()
	cfg.RememberMe = 0
	m, store, _ := newTestManager(t, cfg)
	s := testSession("example.com")
	s.RememberMe = true
	cookie := issue(t, m, "", s)
	if s.RememberMe || cookie.MaxAge != 0 {
		t.Errorf("RememberMe = %v, cookie Max-Age = %d; want false, 0 when remember-me is disabled", s.RememberMe, cookie.MaxAge)
	}
	if got := store.ttls[store.keys()[0]]; got != cfg.Expiration {
		t.Errorf("session ttl = %v, want %v", got, cfg.Expiration)
	}
}

// TestLoadCoalescesActivity counts activity writes: with inactivity 5m, at most
// one per 30s, however many Loads arrive at once.
func TestLoadCoalescesActivity(t *testing.T) {
	cfg := testConfig()
	cfg.Inactivity = 5 * time.Minute
	m, store, c := newTestManager(t, cfg)
	id := issue(t, m, "", testSession("example.com")).Value

	steps := []struct {
		advance time.Duration
		want    int // activity writes so far
	}{
		{0, 0},                 // just issued
		{29 * time.Second, 0},  // under the interval
		{time.Second, 1},       // 30s: one write for all the concurrent Loads
		{29 * time.Second, 1},  // 29s since that write
		{time.Second, 2},       // 30s since it
		{4 * time.Minute, 3},   // still within inactivity, so still valid
		{5*time.Minute + 1, 3}, // inactive: no write
		{0, 3},
	}
	for i, st := range steps {
		c.advance(st.advance)
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if _, err := m.Load(t.Context(), id, "example.com"); err != nil {
					t.Errorf("Load: %v", err)
				}
			})
		}
		wg.Wait()
		m.activity.wait()
		if got := store.setsOf(activityPrefix); got != st.want {
			t.Fatalf("step %d: activity writes = %d, want %d", i+1, got, st.want)
		}
	}
}

func TestLoadActivityAcrossProcesses(t *testing.T) {
	// Two Managers over one store, as two instances behind one Redis: the activity
	// one records keeps the session alive for the other.
	a, store, c := newTestManager(t, testConfig())
	b, err := NewManager(testConfig(), store, discard)
	if err != nil {
		t.Fatal(err)
	}
	b.now = c.now
	id := issue(t, a, "", testSession("example.com")).Value
	c.advance(50 * time.Minute)
	load(t, a, id, "example.com")
	c.advance(50 * time.Minute)
	s := load(t, b, id, "example.com")
	if s == nil {
		t.Fatal("Load on the second Manager = nil, want the session kept alive by the first")
	}
	if want := c.now(); !s.LastActivity.Equal(want) {
		t.Errorf("LastActivity = %v, want %v", s.LastActivity, want)
	}
}

// TestLoadWritesNothing checks that what an unauthenticated request can send
// leaves the store untouched.
func TestLoadWritesNothing(t *testing.T) {
	m, store, c := newTestManager(t, testConfig())
	expired := issue(t, m, "", testSession("example.com")).Value
	c.advance(12 * time.Hour)
	valid := issue(t, m, "", testSession("example.com")).Value
	tests := []struct{ name, id, host string }{
		{"empty ID", "", "example.com"},
		{"short ID", "abc", "example.com"},
		{"padded ID", valid + "=", "example.com"},
		{"ID with bad character", "*" + valid[1:], "example.com"},
		{"unknown ID", newID(), "example.com"},
		{"expired", expired, "example.com"},
		{"other cookie domain", valid, "www.example.org"},
		{"host under no cookie domain", valid, "example.net"},
		{"host only ending in the domain", valid, "badexample.com"},
		{"empty host", valid, ""},
	}
	before := store.writes()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := load(t, m, tc.id, tc.host); got != nil {
				t.Errorf("Load = %+v, want nil", got)
			}
		})
	}
	if got := store.writes() - before; got != 0 {
		t.Errorf("store writes = %d, want 0", got)
	}
}

func TestLoadUnreadableSession(t *testing.T) {
	m, store, _ := newTestManager(t, testConfig())
	id := issue(t, m, "", testSession("example.com")).Value
	store.values[store.keys()[0]] = []byte("{not json")
	if got := load(t, m, id, "example.com"); got != nil {
		t.Errorf("Load = %+v, want nil", got)
	}
}

func TestStoreFailureFailsClosed(t *testing.T) {
	m, store, c := newTestManager(t, testConfig())
	id := issue(t, m, "", testSession("example.com")).Value
	store.fail(errStoreDown)

	if s, err := m.Load(t.Context(), id, "example.com"); s != nil || !errors.Is(err, errStoreDown) {
		t.Errorf("Load = %v, %v; want nil, an error wrapping the store's", s, err)
	}
	if err := m.Issue(t.Context(), httptest.NewRecorder(), "", testSession("example.com")); !errors.Is(err, errStoreDown) {
		t.Errorf("Issue: got %v, want the store's error", err)
	}
	if _, err := m.TakeState(t.Context(), "k"); !errors.Is(err, errStoreDown) || errors.Is(err, ErrNotFound) {
		t.Errorf("TakeState: got %v, want the store's error", err)
	}

	// An activity record is written off the Load's path: a failed write does
	// not fail the Load of a valid session, and the next Load tries again.
	store.fail(nil)
	c.advance(2 * time.Minute)
	m.activity.store = storeFailingSets{store}
	if s := load(t, m, id, "example.com"); s == nil || store.setsOf(activityPrefix) != 0 {
		t.Errorf("Load with a failing activity write = %v with %d activity writes; want the session and 0", s, store.setsOf(activityPrefix))
	}
	m.activity.store = store
	if s := load(t, m, id, "example.com"); s == nil || store.setsOf(activityPrefix) != 1 {
		t.Errorf("retried Load = %v with %d activity writes; want the session and 1", s, store.setsOf(activityPrefix))
	}
}

var errStoreDown = errors.New("store down")

// storeFailingSets fails every Set with errStoreDown.
type storeFailingSets struct{ *memStore }

func (storeFailingSets) Set(_ context.Context, _ string, _ []byte, _ time.Duration) error {
	return errStoreDown
}

func TestCookieValue(t *testing.T) {
	m, _, _ := newTestManager(t, testConfig())
	id, other := newID(), newID()
	tests := []struct {
		name, header, want string
	}{
		{"no cookie", "", ""},
		{"other cookies", "a=b; c=d", ""},
		{"session cookie", "a=b; keygate_session=" + id, id},
		{"malformed", "keygate_session=" + strings.Repeat("!", 43), ""},
		{"malformed first", "keygate_session=x; keygate_session=" + id, id},
		{"two IDs", "keygate_session=" + other + "; keygate_session=" + id, ""},
		{"the same ID twice", "keygate_session=" + id + "; keygate_session=" + id, id},
		{"garbage header", "keygate_session", ""},
		{"quoted", `keygate_session="` + id + `"`, id},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.header != "" {
				r.Header.Set("Cookie", tc.header)
			}
			if got := m.CookieValue(r); got != tc.want {
				t.Errorf("CookieValue = %q, want %q", got, tc.want)
			}
		})
	}
}
