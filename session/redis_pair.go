package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// pairGetter is a Store that reads two keys in one round trip. On a cache miss
// the Manager reads a session and its activity record this way when its store
// can: with many sessions, most requests past the cache's one second miss it,
// and two sequential round trips to Redis were most of their cost.
type pairGetter interface {
	// getPair returns the values of keys a and b, nil for an absent one.
	getPair(ctx context.Context, a, b string) ([]byte, []byte, error)
}

var _ pairGetter = (*RedisStore)(nil)

// getPair sends two GETs in one pipeline; a Cluster client splits it by node,
// since the two keys need not share a slot.
func (s *RedisStore) getPair(ctx context.Context, a, b string) ([]byte, []byte, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	var ga, gb *redis.StringCmd
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		ga = p.Get(ctx, s.prefix+a)
		gb = p.Get(ctx, s.prefix+b)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, fmt.Errorf("redis get: %w", err)
	}
	va, err := pipedValue(ga)
	if err != nil {
		return nil, nil, err
	}
	vb, err := pipedValue(gb)
	if err != nil {
		return nil, nil, err
	}
	return va, vb, nil
}

// pipedValue returns the value a piped GET read, nil when the key was absent.
func pipedValue(c *redis.StringCmd) ([]byte, error) {
	v, err := c.Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("redis get: %w", err)
	}
	return v, nil
}

// readBoth reads the session with hash h and, when the store reads two keys in
// one round trip, its activity record with it; activity is then nil when there
// is none, and fetched reports that it was read.
func (m *Manager) readBoth(ctx context.Context, h hashedID) (s *Session, activity []byte, fetched bool, err error) {
	pg, ok := m.store.(pairGetter)
	if !ok {
		s, err = m.read(ctx, h)
		return s, nil, false, err
	}
	data, activity, err := pg.getPair(ctx, h.key(sessionPrefix), h.key(activityPrefix))
	if err != nil {
		return nil, nil, false, fmt.Errorf("loading session: %w", err)
	}
	if data == nil {
		return nil, nil, true, nil
	}
	return m.decode(data), activity, true, nil
}

// setBatch writes entries in one pipeline (split by node on a Cluster) and
// returns each one's error. Unlike Set it does not wait for replicas: it
// writes activity records, and one lost in a failover only ends a session
// earlier.
func (s *RedisStore) setBatch(ctx context.Context, entries []batchEntry) []error {
	errs := make([]error, len(entries))
	cmds := make([]*redis.StatusCmd, len(entries))
	_, _ = s.client.Pipelined(ctx, func(p redis.Pipeliner) error { // each command keeps its own error
		for i, e := range entries {
			if errs[i] = checkTTL(e.ttl); errs[i] == nil {
				cmds[i] = p.Set(ctx, s.prefix+e.key, e.value, e.ttl)
			}
		}
		return nil
	})
	for i, cmd := range cmds {
		if cmd == nil {
			continue
		}
		if err := cmd.Err(); err != nil {
			errs[i] = fmt.Errorf("redis set: %w", err)
		}
	}
	return errs
}

var _ batchSetter = (*RedisStore)(nil)
