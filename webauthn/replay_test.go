package webauthn

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
)

// mapGuard is a ReplayGuard in a map, shared by the RPs of a test as Redis
// is by replicas; it can be made to fail.
type mapGuard struct {
	mu   sync.Mutex
	seen map[string]bool
	err  error
}

func (g *mapGuard) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return false, g.err
	}
	if ttl <= 0 {
		return false, errors.New("ttl not positive")
	}
	if g.seen[key] {
		return false, nil
	}
	g.seen[key] = true
	return true, nil
}

// TestSharedReplayGuard replays a state that one replica finished to
// another: with the guard shared, the second refuses it; when the guard
// fails, Finish fails closed.
func TestSharedReplayGuard(t *testing.T) {
	e := newEnv(t, nil)
	d := newDevice(virtualwebauthn.KeyTypeEC2)
	e.mustRegister("alice", d, "Passkey")
	other, err := New(testConfig(), e.store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	guard := &mapGuard{seen: map[string]bool{}}
	e.rp.ShareReplayGuard(guard)
	other.ShareReplayGuard(guard)

	ctx := context.Background()
	opts, state, err := e.rp.BeginPasskeyLogin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	d.cred.Counter = 1
	if _, _, err := e.rp.FinishPasskeyLogin(ctx, state, e.assert(opts, d)); err != nil {
		t.Fatalf("first finish: %v", err)
	}
	d.cred.Counter = 2
	_, _, err = other.FinishPasskeyLogin(ctx, state, e.assert(opts, d))
	wantCode(t, err, "challenge_expired")

	opts, state, err = e.rp.BeginPasskeyLogin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	guard.err = errors.New("redis down")
	d.cred.Counter = 3
	if _, _, err := other.FinishPasskeyLogin(ctx, state, e.assert(opts, d)); err == nil {
		t.Error("finish with the guard failing succeeded, want an error")
	}
}
