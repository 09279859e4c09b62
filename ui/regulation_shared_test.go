package ui

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/store"
)

// sharedRegulators returns n regulators counting in one Redis, as n replicas do.
func sharedRegulators(t *testing.T, n int) []*regulator {
	t.Helper()
	rs, err := session.NewRedisStore(session.RedisConfig{Address: testenv.Redis(t)}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	var out []*regulator
	for range n {
		r := newRegulator(store.RegulationConfig{MaxFailures: 5, Window: time.Minute, Ban: time.Minute}, time.Now)
		r.share(rs, slog.New(slog.DiscardHandler))
		out = append(out, r)
	}
	return out
}

// TestSharedRegulationBans spreads five failed guesses over three replicas:
// the fifth bans the user and the address on every one of them.
func TestSharedRegulationBans(t *testing.T) {
	regs := sharedRegulators(t, 3)
	for i := range 5 {
		g, err := regs[i%3].reserve(t.Context(), "alice", "192.0.2.1")
		if err != nil {
			t.Fatalf("guess %d: %v", i+1, err)
		}
		if got, want := g.fail(), i == 4; got != want {
			t.Errorf("failure %d started a ban = %v, want %v", i+1, got, want)
		}
	}
	for i, r := range regs {
		if _, err := r.reserve(t.Context(), "alice", "198.51.100.9"); !errors.Is(err, errRegulated) {
			t.Errorf("replica %d: alice from another address: got %v, want errRegulated", i, err)
		}
		if !r.bannedAddress("192.0.2.1") || !r.banned("bob", "192.0.2.1") {
			t.Errorf("replica %d: the address is not banned", i)
		}
	}
}

// TestSharedRegulationReserves lets at most five guesses of one user be in
// flight over all replicas; a sixth waits until one ends, then goes on.
func TestSharedRegulationReserves(t *testing.T) {
	regs := sharedRegulators(t, 3)
	var guesses []*reservation
	for i := range 5 {
		g, err := regs[i%3].reserve(t.Context(), "alice", "192.0.2.1")
		if err != nil {
			t.Fatalf("guess %d: %v", i+1, err)
		}
		guesses = append(guesses, g)
	}
	ctx, cancel := context.WithTimeoutCause(t.Context(), 200*time.Millisecond, errBusy)
	defer cancel()
	if _, err := regs[1].reserve(ctx, "alice", "192.0.2.2"); !errors.Is(err, errBusy) {
		t.Fatalf("a sixth guess in flight: got %v, want it to wait until errBusy", err)
	}
	var wg sync.WaitGroup
	var got error
	wg.Go(func() {
		g, err := regs[2].reserve(t.Context(), "alice", "192.0.2.2")
		if err == nil {
			g.cancel()
		}
		got = err
	})
	time.Sleep(100 * time.Millisecond)
	guesses[0].succeed()
	wg.Wait()
	if got != nil {
		t.Errorf("the waiting guess after one ended: %v", got)
	}
}
