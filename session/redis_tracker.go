package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Timing of the Redis tracker.
const (
	// trackerBeat is how often the tracker proves that it is told of changes.
	trackerBeat = 250 * time.Millisecond
	// trackerSilence is how long the subscription may stay silent (a beat is
	// due every trackerBeat) before the tracker reconnects.
	trackerSilence = 2 * time.Second
	// trackerBeatTTL bounds a beat's key, which its own transaction deletes.
	trackerBeatTTL = 5 * time.Second
	// trackerRetry is the pause before subscribing again after an error.
	trackerRetry = 200 * time.Millisecond
	// trackerStale is how long the tracker stays subscribed without a beat
	// told before it subscribes again: after a Sentinel failover, the
	// subscription may live on at the demoted primary, which writes no longer
	// reach.
	trackerStale = 3 * time.Second
)

// invalidateChannel is where Redis sends tracking invalidations to a RESP2
// client that asked for them to be redirected to itself.
const invalidateChannel = "__redis__:invalidate"

// redisTracker lets a Manager keep sessions cached beyond CacheTTL on a
// standalone or Sentinel-managed Redis, and learn within milliseconds that
// another instance (or anyone with access to Redis) ended or rotated one.
//
// It holds one connection of its own on which it enabled key tracking in
// broadcast mode for the session keys and its own beat keys, redirected to that
// same connection, which is subscribed to the invalidation channel: Redis then
// sends it the name of every session key written, deleted or expired, by
// anyone, and the tracker drops that session from the cache.
//
// Being subscribed is not proof of being told: the connection may hang, or (on
// Sentinel) still point at a demoted primary while writes go elsewhere. So
// every trackerBeat the tracker writes a beat key of its own through the
// store's client, the path every session write takes, and waits for the
// invalidation of that key. Redis sends a client's invalidations in the order
// of the writes, so once the beat written at T is told, so is every change to a
// session made before T. The cache is vouched for at now only while a beat
// sent less than CacheTTL before now has been told; otherwise an entry is good
// for CacheTTL, as without the tracker. Each (re)subscription flushes the
// cache, since changes made while unsubscribed were not told.
type redisTracker struct {
	data   redis.UniversalClient // the store's client: beats go where sessions go
	sub    redis.UniversalClient // the tracker's own client, for the subscription
	prefix string                // the store's key prefix
	beats  string                // prefix+"tracker:"+id+":", then the beat number
	cache  *sessionCache
	logger *slog.Logger

	told     atomic.Pointer[time.Time] // when the last beat told was sent; nil: none since the last flush
	proof    atomic.Pointer[time.Time] // when a beat was last told, or a subscription began
	beatTold chan uint64               // numbers of this tracker's beats as they are told
	refused  atomic.Pointer[error]     // Redis refused to track (an ACL, an old server)

	mu sync.Mutex    // guards ps against close
	ps *redis.PubSub // the current subscription; nil once closed

	stop context.CancelFunc
	done sync.WaitGroup
}

// startTracker starts tracking the store's sessions for cache. opts are the
// store's client options; logger names the store.
func startTracker(data redis.UniversalClient, opts *redis.UniversalOptions, prefix string, cache *sessionCache, logger *slog.Logger) *redisTracker {
	id := make([]byte, 8)
	_, _ = rand.Read(id) // never fails (crypto/rand)
	t := &redisTracker{
		data:     data,
		prefix:   prefix,
		beats:    prefix + "tracker:" + hex.EncodeToString(id) + ":",
		cache:    cache,
		logger:   logger,
		beatTold: make(chan uint64, 16),
	}
	subOpts := *opts
	subOpts.Protocol = 2 // invalidations then arrive as messages on invalidateChannel
	subOpts.PoolSize = 1
	subOpts.MinIdleConns = 0
	subOpts.ReadTimeout = trackerSilence
	subOpts.OnConnect = t.track
	t.sub = redis.NewUniversalClient(&subOpts)
	ctx, stop := context.WithCancel(context.Background())
	t.stop = stop
	t.done.Add(2)
	go t.listen(ctx)
	go t.beat(ctx)
	return t
}

// track enables tracking on a new connection of the tracker's client,
// redirected to the connection itself, for the session keys and the beats. A
// refusal by Redis (an ACL without CLIENT, a server too old) is kept, so that
// the tracker gives up rather than retry.
func (t *redisTracker) track(ctx context.Context, cn *redis.Conn) error {
	id, err := cn.ClientID(ctx).Result()
	if err == nil {
		err = cn.Do(ctx, "CLIENT", "TRACKING", "ON", "REDIRECT", id, "BCAST",
			"PREFIX", t.prefix+sessionPrefix, "PREFIX", t.beats).Err()
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		t.refused.Store(&err)
	}
	return err
}

// vouched reports whether, at now, a beat sent less than CacheTTL before now
// has been told.
func (t *redisTracker) vouched(now time.Time) bool {
	told := t.told.Load()
	return told != nil && now.Sub(*told) < CacheTTL
}

// listen keeps the subscription up and applies what it is told, until ctx ends.
func (t *redisTracker) listen(ctx context.Context) {
	defer t.done.Done()
	for ctx.Err() == nil {
		err := t.session(ctx)
		t.forget()
		if ctx.Err() != nil {
			return
		}
		if p := t.refused.Load(); p != nil {
			t.logger.Warn("redis refused key tracking: sessions are cached for 1s only, and another instance's sign-out reaches this one within 1s",
				"error", *p)
			return
		}
		t.logger.Warn("session tracking interrupted; sessions are cached for 1s until it is back", "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(trackerRetry):
		}
	}
}

// session runs one subscription until it fails or ctx ends.
func (t *redisTracker) session(ctx context.Context) error {
	t.mu.Lock()
	if ctx.Err() != nil {
		t.mu.Unlock()
		return ctx.Err()
	}
	ps := t.sub.Subscribe(ctx, invalidateChannel)
	t.ps = ps
	t.mu.Unlock()
	defer ps.Close()
	for ctx.Err() == nil {
		msg, err := ps.ReceiveTimeout(ctx, trackerSilence)
		if err != nil {
			return err
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				// Changes made before now were not told: start afresh.
				t.forget()
				now := time.Now()
				t.proof.Store(&now)
			}
		case *redis.Message:
			for _, key := range m.PayloadSlice {
				t.changed(key)
			}
		}
	}
	return ctx.Err()
}

// forget flushes the cache and stops vouching until the next beat is told.
func (t *redisTracker) forget() {
	t.told.Store(nil)
	t.cache.flush()
}

// changed applies the invalidation of key: a session's drops it from the
// cache, a beat of this tracker's is passed to beat.
func (t *redisTracker) changed(key string) {
	if rest, ok := strings.CutPrefix(key, t.beats); ok {
		if n, err := strconv.ParseUint(rest, 10, 64); err == nil {
			select {
			case t.beatTold <- n:
			default: // beat is not waiting for it
			}
		}
		return
	}
	rest, ok := strings.CutPrefix(key, t.prefix+sessionPrefix)
	if !ok {
		return
	}
	var h hashedID
	if n, err := hex.Decode(h[:], []byte(rest)); err == nil && n == len(h) {
		t.cache.invalidate(h)
	}
}

// beat writes a beat every trackerBeat and, once it is told, vouches for
// changes made before it was sent.
func (t *redisTracker) beat(ctx context.Context) {
	defer t.done.Done()
	tick := time.NewTicker(trackerBeat)
	defer tick.Stop()
	for n := uint64(1); ; n++ {
		sent := time.Now()
		if t.send(ctx, n) && t.waitTold(ctx, n, sent.Add(CacheTTL)) {
			// Even if the subscription was renewed since sent, this holds: the
			// cache was flushed then, and what it holds now was read after sent.
			t.told.Store(&sent)
			now := time.Now()
			t.proof.Store(&now)
		} else if p := t.proof.Load(); p != nil && time.Since(*p) > trackerStale {
			t.resubscribe()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// resubscribe ends the current subscription, so that listen subscribes
// again, to wherever the store's client now connects.
func (t *redisTracker) resubscribe() {
	now := time.Now()
	t.proof.Store(&now) // once per trackerStale at most
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ps != nil {
		_ = t.ps.Close()
	}
	t.logger.Warn("session tracking: no beat told for a while; subscribing again")
}

// send writes beat n through the store's client: the beat's key is set and
// deleted in one transaction, so Redis tells of the write while no one, not
// even a count of the keys, ever sees the key.
func (t *redisTracker) send(ctx context.Context, n uint64) bool {
	ctx, cancel := context.WithTimeout(ctx, RedisTimeout)
	defer cancel()
	key := t.beats + strconv.FormatUint(n, 10)
	_, err := t.data.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, key, "1", trackerBeatTTL)
		p.Del(ctx, key)
		return nil
	})
	return err == nil
}

// waitTold waits until beat n is told, or until deadline.
func (t *redisTracker) waitTold(ctx context.Context, n uint64, deadline time.Time) bool {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		select {
		case got := <-t.beatTold:
			if got == n {
				return true
			}
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// close stops the tracker and closes its client.
func (t *redisTracker) close() error {
	t.mu.Lock()
	t.stop()
	if t.ps != nil {
		t.ps.Close() // ends a Receive waiting on the connection
	}
	t.mu.Unlock()
	t.done.Wait()
	if err := t.sub.Close(); err != nil {
		return fmt.Errorf("closing the session tracker: %w", err)
	}
	return nil
}
