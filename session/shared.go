package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	_ Window = (*RedisStore)(nil)
	_ Once   = (*RedisStore)(nil)
)

// Window counts events under a key in a sliding window, for limits that every
// replica must apply together (codes sent per user). Implementations are safe
// for concurrent use by any number of processes.
type Window interface {
	// Admit records one event under key and reports whether fewer than max
	// were recorded within window before it. A refused event is not recorded.
	Admit(ctx context.Context, key string, max int, window time.Duration) (bool, error)
}

// SharedWindow returns a Window that every instance on the same store sees,
// and true, when the store is shared (Redis). On the embedded store, which one
// process owns, it returns false: the caller counts in its own memory.
func (m *Manager) SharedWindow() (Window, bool) {
	rs, ok := m.store.(*RedisStore)
	if !ok {
		return nil, false
	}
	return rs, true
}

// Once records keys once across every instance, for guards that must hold
// across replicas (a WebAuthn challenge seen by any of them).
type Once interface {
	// Claim records key for ttl and reports whether it was not recorded yet:
	// of several concurrent claims of one key, one gets true.
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// SharedOnce returns a Once that every instance on the same store sees, and
// true, when the store is shared (Redis); false on the embedded store.
func (m *Manager) SharedOnce() (Once, bool) {
	rs, ok := m.store.(*RedisStore)
	if !ok {
		return nil, false
	}
	return rs, true
}

// oncePrefix namespaces claims: "o:" and the hex SHA-256 of the caller's key.
const oncePrefix = "o:"

// Claim implements Once with SET NX, acknowledged by replicas like every write.
func (s *RedisStore) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := checkTTL(ttl); err != nil {
		return false, err
	}
	sum := sha256.Sum256([]byte(key))
	k := s.prefix + oncePrefix + hex.EncodeToString(sum[:])
	cmd, err := s.write(ctx, k, func(c redis.Cmdable) redis.Cmder { return c.SetNX(ctx, k, "1", ttl) })
	if err != nil {
		return false, fmt.Errorf("redis claim: %w", err)
	}
	return cmd.(*redis.BoolCmd).Val(), nil
}

// windowPrefix namespaces windows: "w:" and the hex SHA-256 of the caller's key.
const windowPrefix = "w:"

// admitLua keeps a window as a sorted set of events scored by the server's
// time in microseconds: it drops the events older than the window (ARGV[2]
// µs), refuses when ARGV[1] or more remain, and otherwise adds the event
// (ARGV[3], unique) and keeps the set for one window. One key, so it runs on
// a cluster; the server's clock, so replicas' clocks do not matter.
const admitLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) / 1000))
return 1
`

var admitScript = redis.NewScript(admitLua)

// Admit implements Window with admitLua.
func (s *RedisStore) Admit(ctx context.Context, key string, max int, window time.Duration) (bool, error) {
	if max < 1 || window < time.Millisecond {
		return false, fmt.Errorf("session: window of %d events in %v", max, window)
	}
	sum := sha256.Sum256([]byte(key))
	k := s.prefix + windowPrefix + hex.EncodeToString(sum[:])
	var event [16]byte
	rand.Read(event[:])
	keys, args := []string{k}, []any{max, window.Microseconds(), hex.EncodeToString(event[:])}
	cmd, err := s.write(ctx, k, func(c redis.Cmdable) redis.Cmder {
		if _, ok := c.(redis.Pipeliner); ok {
			return admitScript.Eval(ctx, c, keys, args...)
		}
		return admitScript.Run(ctx, c, keys, args...)
	})
	if err != nil {
		return false, fmt.Errorf("redis window: %w", err)
	}
	n, err := cmd.(*redis.Cmd).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, fmt.Errorf("redis window: %w", err)
	}
	return n == 1, nil
}
