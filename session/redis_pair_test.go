package session

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// roundTrips counts the commands and pipelines a go-redis client sends, but
// not the handshake of each new connection, nor the session tracker's beats
// (a MULTI of SET and DEL on its own key, every 250 ms).
type roundTrips struct{ n atomic.Int64 }

// beat reports whether cmds are a tracker's beat.
func beat(cmds []redis.Cmder) bool {
	for _, c := range cmds {
		if c.Name() == "multi" {
			return true
		}
	}
	return false
}

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() != "hello" { // a new connection's handshake, not a request's
			r.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !beat(cmds) {
			r.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

// redisManager returns a Manager on a real Redis, on a settable clock, and the
// counter of its round trips to Redis.
func redisManager(t *testing.T) (*Manager, *clock, *roundTrips) {
	t.Helper()
	store := newTestRedisStore(t, RedisConfig{Address: testenv.Redis(t)})
	rt := &roundTrips{}
	store.client.AddHook(rt)
	m, err := NewManager(testConfig(), store, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	c := newClock()
	m.now = c.now
	return m, c, rt
}

func TestRedisCacheMissIsOneRoundTrip(t *testing.T) {
	m, c, rt := redisManager(t)
	cookie := issue(t, m, "", testSession("example.com"))
	c.advance(CacheTTL + time.Second) // past the cache, not past the activity interval
	before := rt.n.Load()
	s, err := m.Load(t.Context(), cookie.Value, "app.example.com")
	if err != nil || s == nil || s.Username != "alice" {
		t.Fatalf("Load = %v, %v; want alice's session", s, err)
	}
	if got := rt.n.Load() - before; got != 1 {
		t.Errorf("a cache miss took %d round trips to Redis, want 1 (session and activity together)", got)
	}
}

func TestRedisPairedReadStillEndsIdleSessions(t *testing.T) {
	m, c, _ := redisManager(t)
	cookie := issue(t, m, "", testSession("example.com"))
	c.advance(time.Hour + time.Minute) // past the inactivity limit, no activity since
	if s, err := m.Load(t.Context(), cookie.Value, "app.example.com"); err != nil || s != nil {
		t.Errorf("Load of an idle session = %v, %v; want nil, nil", s, err)
	}
}
