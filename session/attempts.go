package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limits are the rules of one regulated key: at most Max failures (failures
// plus attempts in flight) within Window, then a ban of Ban.
type Limits struct {
	Max    int
	Window time.Duration
	Ban    time.Duration
	// Hold is how long a reservation counts when it is never settled (its
	// replica died while hashing).
	Hold time.Duration
}

// Attempts regulates guessing across every replica: an attempt is reserved
// before the costly check (password hashing), so that concurrent guesses on
// several replicas cannot all slip in under the limit, and is then settled
// as a failure or released. Each call is atomic for its key.
type Attempts interface {
	// Reserve takes one attempt under key and returns its ID. It returns ""
	// and banned while key is banned, and "" alone while its failures and
	// reservations within the window have reached lim.Max.
	Reserve(ctx context.Context, key string, lim Limits) (id string, banned bool, err error)
	// Fail settles reservation id as a failure and reports whether it started
	// a ban; an id of "" counts a failure that had no reservation.
	Fail(ctx context.Context, key, id string, lim Limits) (bool, error)
	// Release gives reservation id back; with reset it also forgets key's failures (not its ban).
	Release(ctx context.Context, key, id string, reset bool) error
	// Banned reports whether key is banned now.
	Banned(ctx context.Context, key string) (bool, error)
}

var _ Attempts = (*RedisStore)(nil)

// SharedAttempts returns the Attempts every instance on the same store sees,
// and true, when the store is shared (Redis); false on the embedded store.
func (m *Manager) SharedAttempts() (Attempts, bool) {
	rs, ok := m.store.(*RedisStore)
	if !ok {
		return nil, false
	}
	return rs, true
}

// The scripts keep a regulated key in two Redis keys of one hash slot: a hash
// (fails, start, ban; times in server milliseconds) and a sorted set of the
// reservations in flight scored by when they lapse. They read the server's
// clock, so replicas' clocks do not matter.
const attemptsClock = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function keep(key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end
`

// reserveLua: ARGV max, window ms, hold ms, id. Returns 1 reserved, 0 full, -1 banned.
var reserveScript = redis.NewScript(attemptsClock + `
if tonumber(redis.call('HGET', KEYS[1], 'ban') or '0') > now then return -1 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local fails = tonumber(redis.call('HGET', KEYS[1], 'fails') or '0')
if now >= tonumber(redis.call('HGET', KEYS[1], 'start') or '0') + tonumber(ARGV[2]) then fails = 0 end
if fails + redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[4])
keep(KEYS[2], tonumber(ARGV[3]))
return 1
`)

// failLua: ARGV max, window ms, ban ms, id. Returns 1 when the failure started a ban.
var failScript = redis.NewScript(attemptsClock + `
redis.call('ZREM', KEYS[2], ARGV[4])
local fails = tonumber(redis.call('HGET', KEYS[1], 'fails') or '0')
local start = tonumber(redis.call('HGET', KEYS[1], 'start') or '0')
if now >= start + tonumber(ARGV[2]) then fails, start = 0, now end
fails = fails + 1
if fails >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'ban', now + tonumber(ARGV[3]), 'fails', 0, 'start', 0)
  keep(KEYS[1], tonumber(ARGV[3]))
  return 1
end
redis.call('HSET', KEYS[1], 'fails', fails, 'start', start)
keep(KEYS[1], start + tonumber(ARGV[2]) - now)
return 0
`)

// releaseLua: ARGV id, reset (1 or 0).
var releaseScript = redis.NewScript(`
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[2] == '1' then redis.call('HDEL', KEYS[1], 'fails', 'start') end
return 1
`)

var bannedScript = redis.NewScript(attemptsClock + `
if tonumber(redis.call('HGET', KEYS[1], 'ban') or '0') > now then return 1 end
return 0
`)

// attemptKeys are the hash and the set of key, in one slot ({...}).
func (s *RedisStore) attemptKeys(key string) []string {
	sum := sha256.Sum256([]byte(key))
	base := s.prefix + "r:{" + hex.EncodeToString(sum[:16]) + "}"
	return []string{base + ":state", base + ":held"}
}

// runAttempts runs script on key's two keys as one acknowledged write.
func (s *RedisStore) runAttempts(ctx context.Context, script *redis.Script, key string, args ...any) (int64, error) {
	keys := s.attemptKeys(key)
	cmd, err := s.write(ctx, keys[0], func(c redis.Cmdable) redis.Cmder {
		if _, ok := c.(redis.Pipeliner); ok {
			return script.Eval(ctx, c, keys, args...)
		}
		return script.Run(ctx, c, keys, args...)
	})
	if err != nil {
		return 0, fmt.Errorf("redis attempts: %w", err)
	}
	n, err := cmd.(*redis.Cmd).Int64()
	if err != nil {
		return 0, fmt.Errorf("redis attempts: %w", err)
	}
	return n, nil
}

func (l Limits) check() error {
	if l.Max < 1 || l.Window < time.Millisecond || l.Ban < time.Millisecond || l.Hold < time.Millisecond {
		return fmt.Errorf("session: attempt limits %+v", l)
	}
	return nil
}

// Reserve implements Attempts.
func (s *RedisStore) Reserve(ctx context.Context, key string, lim Limits) (string, bool, error) {
	if err := lim.check(); err != nil {
		return "", false, err
	}
	var raw [16]byte
	rand.Read(raw[:])
	id := hex.EncodeToString(raw[:])
	n, err := s.runAttempts(ctx, reserveScript, key, lim.Max, lim.Window.Milliseconds(), lim.Hold.Milliseconds(), id)
	if err != nil || n != 1 {
		return "", n == -1, err
	}
	return id, false, nil
}

// Fail implements Attempts.
func (s *RedisStore) Fail(ctx context.Context, key, id string, lim Limits) (bool, error) {
	if err := lim.check(); err != nil {
		return false, err
	}
	n, err := s.runAttempts(ctx, failScript, key, lim.Max, lim.Window.Milliseconds(), lim.Ban.Milliseconds(), id)
	return n == 1, err
}

// Release implements Attempts.
func (s *RedisStore) Release(ctx context.Context, key, id string, reset bool) error {
	flag := "0"
	if reset {
		flag = "1"
	}
	_, err := s.runAttempts(ctx, releaseScript, key, id, flag)
	return err
}

// Banned implements Attempts; it writes nothing, so it waits for no replica.
func (s *RedisStore) Banned(ctx context.Context, key string) (bool, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	n, err := bannedScript.Run(ctx, s.client, s.attemptKeys(key)).Int64()
	if err != nil {
		return false, fmt.Errorf("redis attempts: %w", err)
	}
	return n == 1, nil
}
