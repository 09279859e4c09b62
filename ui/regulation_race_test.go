package ui

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// TestRegulationConcurrentGuesses sends 50 wrong passwords at once, for one
// user from 50 addresses, and for two users from one address or one IPv6 /64,
// each check made 20 ms slower so that all arrive before the first ends: at
// most max_failures (3) guesses may be checked, and the right password must
// then be refused without a check.
func TestRegulationConcurrentGuesses(t *testing.T) {
	const guesses, maxFailures = 50, 3
	tests := []struct {
		name     string
		username func(i int) string
		addr     func(i int) string
		right    string // a sign-in with the right password, refused during the ban
		rightIP  string
	}{
		{"one user", func(int) string { return "alice" }, func(i int) string { return fmt.Sprintf("192.0.2.%d:1", i+1) },
			"alice", "198.51.100.7:1"},
		{"one address", twoUsers, func(int) string { return "203.0.113.5:1" },
			"bob", "203.0.113.5:1"},
		{"one IPv6 /64", twoUsers,
			func(i int) string { return fmt.Sprintf("[2001:db8:1:2::%x]:1", i+1) }, "bob", "[2001:db8:1:2:ffff::1]:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newTestEnv(t, testConfig()) // 3 failures within 1m ban for 10m
			te.users.delay = 20 * time.Millisecond
			answers := make([]*httptest.ResponseRecorder, guesses)
			var wg sync.WaitGroup
			for i := range guesses {
				wg.Go(func() { answers[i] = te.login(t, tt.username(i), "wrong", withRemoteAddr(tt.addr(i))) })
			}
			wg.Wait()
			if got := te.users.calls.Load(); got > maxFailures {
				t.Errorf("%d concurrent wrong passwords: %d checked, want at most %d", guesses, got, maxFailures)
			}
			for i, rec := range answers {
				// 429: more guesses waited for a place than maxKeyWaiters.
				if rec.Code != http.StatusUnauthorized && rec.Code != http.StatusTooManyRequests {
					t.Errorf("guess %d: status %d, want 401 (checked or banned) or 429 (too many waiting)", i, rec.Code)
				}
			}
			calls := te.users.calls.Load()
			rec := te.login(t, tt.right, tt.right+"-password", withRemoteAddr(tt.rightIP))
			if rec.Code != http.StatusUnauthorized || te.sessionCookie(rec) != nil {
				t.Errorf("right password during the ban: status %d, want 401 and no cookie", rec.Code)
			}
			if got := te.users.calls.Load() - calls; got != 0 {
				t.Errorf("right password during the ban: %d checks, want 0", got)
			}
		})
	}
}

// TestRegulationReservationWaits checks that guesses beyond the limit wait for
// the reservations in flight rather than being refused: a success frees its
// place, so a burst of right passwords from one address all sign in.
func TestRegulationReservationWaits(t *testing.T) {
	te := newTestEnv(t, testConfig())
	const n = 10 // more than max_failures, all from 127.0.0.1
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { codes[i] = te.login(t, "alice", "alice-password").Code })
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusOK {
			t.Errorf("sign-in %d of a burst of %d right passwords: status %d, want 200", i, n, code)
		}
	}
}

// twoUsers alternates between alice and bob, both with cheap hashes: the
// address's limit binds before either user's.
func twoUsers(i int) string { return []string{"alice", "bob"}[i%2] }
