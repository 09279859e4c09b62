package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	"go.etcd.io/bbolt"
)

// What an operator observes of the session stores: whether they answer and how
// many sessions they hold. These are for readiness and metrics, not the hot path.

// ErrNotObservable means the Manager's store cannot be pinged or counted.
var ErrNotObservable = errors.New("session: store cannot be observed")

// pinger and counter are what the stores offer to observe them.
type (
	pinger interface {
		Ping(ctx context.Context) error
	}
	counter interface {
		CountSessions(ctx context.Context) (int, error)
	}
)

var (
	_ pinger  = (*BoltStore)(nil)
	_ pinger  = (*RedisStore)(nil)
	_ counter = (*BoltStore)(nil)
	_ counter = (*RedisStore)(nil)
)

// failures calls the function ObserveFailures gave for every store call that
// fails, unless only because a key is missing or the caller gave up.
type failures struct{ f atomic.Pointer[func()] }

// count reports err to the observer when it is a failure.
func (c *failures) count(err error) {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) {
		return
	}
	if f := c.f.Load(); f != nil {
		(*f)()
	}
}

// ObserveFailures has the store call failed for every call that fails (a
// missing key or a caller's cancellation is not a failure), for the metrics.
// The store itself is observed, not wrapped, so that the Manager still finds
// everything the store offers.
func (s *RedisStore) ObserveFailures(failed func()) { s.failures.f.Store(&failed) }

// ObserveFailures is RedisStore.ObserveFailures for the embedded store.
func (s *BoltStore) ObserveFailures(failed func()) { s.failures.f.Store(&failed) }

// failureHook reports every failed Redis command or pipeline to failures.
type failureHook struct{ failures *failures }

func (h failureHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h failureHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.failures.count(err)
		return err
	}
}

func (h failureHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.failures.count(err)
		return err
	}
}

// Ping reports whether the Manager's store answers now.
func (m *Manager) Ping(ctx context.Context) error {
	p, ok := m.store.(pinger)
	if !ok {
		return ErrNotObservable
	}
	return p.Ping(ctx)
}

// CountSessions returns how many login sessions the store holds that have not
// expired. It reads every session key: call it seldom (metrics cache it).
func (m *Manager) CountSessions(ctx context.Context) (int, error) {
	c, ok := m.store.(counter)
	if !ok {
		return 0, ErrNotObservable
	}
	return c.CountSessions(ctx)
}

// Ping runs an empty read transaction on the bbolt file.
func (s *BoltStore) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(*bbolt.Tx) error { return nil })
}

// CountSessions counts the session records that have not expired.
func (s *BoltStore) CountSessions(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	prefix := []byte(sessionPrefix)
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(boltBucket).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if !s.expired(v) {
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("counting sessions: %w", err)
	}
	return n, nil
}

// Ping sends PING to Redis (to every master of a cluster).
func (s *RedisStore) Ping(ctx context.Context) error {
	if cc, ok := s.client.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return c.Ping(ctx).Err() })
	}
	return s.client.Ping(ctx).Err()
}

// CountSessions counts the session keys with SCAN (on every master of a
// cluster); Redis expires them itself.
func (s *RedisStore) CountSessions(ctx context.Context) (int, error) {
	match := s.prefix + sessionPrefix + "*"
	if cc, ok := s.client.(*redis.ClusterClient); ok {
		var total atomic.Int64
		err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			n, err := scanCount(ctx, c, match)
			total.Add(int64(n))
			return err
		})
		return int(total.Load()), err
	}
	return scanCount(ctx, s.client, match)
}

// scanCount counts the keys matching match.
func scanCount(ctx context.Context, c redis.Cmdable, match string) (int, error) {
	n := 0
	iter := c.Scan(ctx, 0, match, 1000).Iterator()
	for iter.Next(ctx) {
		n++
	}
	if err := iter.Err(); err != nil {
		return 0, fmt.Errorf("counting sessions: %w", err)
	}
	return n, nil
}

// RouteRedisLogs sends go-redis's own log lines (reconnects, pool trouble) to
// logger at warn level. go-redis keeps one logger for the whole process:
// call this once, from main's wiring, before connecting.
func RouteRedisLogs(logger *slog.Logger) {
	redis.SetLogger(redisLogger{logger.With("component", "session.redis")})
}

// redisLogger adapts slog to go-redis's logging interface.
type redisLogger struct{ logger *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.logger.WarnContext(ctx, fmt.Sprintf(format, v...))
}
