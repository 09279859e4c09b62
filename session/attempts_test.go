package session

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
)

// replicas returns n stores on one Redis under one prefix, as n replicas are.
func replicas(t *testing.T, n int) []*RedisStore {
	t.Helper()
	addr := testenv.Redis(t)
	out := []*RedisStore{newTestRedisStore(t, RedisConfig{Address: addr})}
	for range n - 1 {
		s := newTestRedisStore(t, RedisConfig{Address: addr})
		s.prefix = out[0].prefix
		out = append(out, s)
	}
	return out
}

var testLimits = Limits{Max: 5, Window: time.Minute, Ban: 400 * time.Millisecond, Hold: 300 * time.Millisecond}

// failOnce reserves and fails one attempt of key on s.
func failOnce(t *testing.T, s *RedisStore, key string) bool {
	t.Helper()
	id, _, err := s.Reserve(t.Context(), key, testLimits)
	if err != nil || id == "" {
		t.Fatalf("Reserve = %q, %v; want a reservation", id, err)
	}
	banned, err := s.Fail(t.Context(), key, id, testLimits)
	if err != nil {
		t.Fatalf("Fail: %v", err)
	}
	return banned
}

// TestAttemptsBanAcrossReplicas spreads five failures over three replicas:
// the fifth bans on every replica, until the ban is over.
func TestAttemptsBanAcrossReplicas(t *testing.T) {
	rs := replicas(t, 3)
	for i := range 5 {
		if got, want := failOnce(t, rs[i%3], "user:alice"), i == 4; got != want {
			t.Errorf("failure %d started a ban = %v, want %v", i+1, got, want)
		}
	}
	for _, s := range rs {
		if banned, err := s.Banned(t.Context(), "user:alice"); !banned || err != nil {
			t.Errorf("Banned after 5 failures = %v, %v; want true", banned, err)
		}
		if id, banned, err := s.Reserve(t.Context(), "user:alice", testLimits); id != "" || !banned || err != nil {
			t.Errorf("Reserve while banned = %q, %v, %v; want refused as banned", id, banned, err)
		}
	}
	if banned, _ := rs[0].Banned(t.Context(), "user:bob"); banned {
		t.Error("bob banned with alice")
	}
	time.Sleep(testLimits.Ban + 50*time.Millisecond)
	if banned, _ := rs[1].Banned(t.Context(), "user:alice"); banned {
		t.Error("alice still banned after the ban")
	}
}

// TestAttemptsReserveConcurrently reserves 20 attempts at once on three
// replicas: only Max get through, and a released one may be taken again.
func TestAttemptsReserveConcurrently(t *testing.T) {
	rs := replicas(t, 3)
	var (
		mu  sync.Mutex
		ids []string
		wg  sync.WaitGroup
		bad atomic.Int32
	)
	for i := range 20 {
		wg.Go(func() {
			id, banned, err := rs[i%3].Reserve(t.Context(), "ip:192.0.2.1", testLimits)
			if err != nil || banned {
				bad.Add(1)
			}
			if id != "" {
				mu.Lock()
				ids = append(ids, id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(ids) != testLimits.Max || bad.Load() != 0 {
		t.Fatalf("20 concurrent reservations: %d granted, %d errors; want %d, 0", len(ids), bad.Load(), testLimits.Max)
	}
	if err := rs[2].Release(t.Context(), "ip:192.0.2.1", ids[0], false); err != nil {
		t.Fatal(err)
	}
	if id, _, _ := rs[1].Reserve(t.Context(), "ip:192.0.2.1", testLimits); id == "" {
		t.Error("no reservation after one was released")
	}
	time.Sleep(testLimits.Hold + 50*time.Millisecond) // the unsettled ones lapse
	if id, _, _ := rs[0].Reserve(t.Context(), "ip:192.0.2.1", testLimits); id == "" {
		t.Error("no reservation after the unsettled ones lapsed")
	}
}

// TestAttemptsResetOnSuccess forgets a user's failures on a success.
func TestAttemptsResetOnSuccess(t *testing.T) {
	rs := replicas(t, 2)
	for range 4 {
		failOnce(t, rs[0], "user:alice")
	}
	id, _, _ := rs[1].Reserve(t.Context(), "user:alice", testLimits)
	if err := rs[1].Release(t.Context(), "user:alice", id, true); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if failOnce(t, rs[i%2], "user:alice") {
			t.Fatalf("failure %d after a success started a ban", i+1)
		}
	}
}
