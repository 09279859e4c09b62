package session

import (
	"sync"
	"sync/atomic"
	"time"
)

// CacheTTL is the longest a Manager answers Load from its in-process cache of
// sessions without reading the store again, and so the longest a session stays
// usable on one Keygate instance after another instance destroyed or rotated it,
// or after the store became unreachable. Issue and Destroy take effect on the
// instance that calls them at once.
const CacheTTL = time.Second

// StoreDeadline bounds each store call that Load makes (reading a session on a
// cache miss, recording activity when due): a store that hangs or is
// unreachable makes Load fail after at most this long rather than hold the
// proxy's check. A Load answered from the cache alone has no deadline to set
// and allocates none.
const StoreDeadline = 500 * time.Millisecond

// trustedCacheTTL is how long the cache answers a session while its store
// vouches for it (see cacheVoucher): the store then tells the Manager of every
// change to a stored session, so an entry needs no reading again to be right.
// The bound only makes a session the store stopped vouching for, or a
// session no one asked for in a while, leave memory.
const trustedCacheTTL = 5 * time.Minute

// cacheEntries bounds the sessions the cache holds: each costs about 1 KB, and
// only sessions used in the last trustedCacheTTL (CacheTTL when the store
// cannot vouch) are kept.
const cacheEntries = 100_000

// cacheShards splits the cache so that concurrent Loads rarely wait on one lock.
const cacheShards = 64

// sessionCache keeps the sessions Load recently returned, by the SHA-256 of
// their ID, for at most ttl. It holds only sessions Load found valid: an
// unknown, malformed, expired or foreign ID never gets an entry.
type sessionCache struct {
	ttl      time.Duration
	perShard int
	shards   [cacheShards]cacheShard

	// vouched, when set, reports whether at now the store has told the cache
	// of every change to a stored session made until CacheTTL before now: an
	// entry is then answered for up to trustedCacheTTL. nil: never.
	vouched atomic.Pointer[vouchFunc]
}

// vouchFunc reports whether a store vouches for the cache at now.
type vouchFunc func(now time.Time) bool

// cacheShard is one lock's worth of the cache.
type cacheShard struct {
	mu      sync.Mutex
	entries map[hashedID]*cached
	// epoch counts invalidations: a Load that read the store before one does not
	// put what it read.
	epoch uint64
	swept time.Time // when stale entries were last removed
}

// cached is one session as the store held it when it was read, with the latest
// activity this process knows of. The session is never modified nor handed out:
// callers get a copy.
type cached struct {
	session  *Session
	fetched  time.Time    // when the session was read from the store
	activity atomic.Int64 // latest known activity, Unix nanoseconds
}

func newCached(s *Session, fetched time.Time) *cached {
	e := &cached{session: s, fetched: fetched}
	e.activity.Store(s.LastActivity.UnixNano())
	return e
}

// lastActivity returns the latest activity known for the session.
func (e *cached) lastActivity() time.Time {
	return time.Unix(0, e.activity.Load())
}

// noteActivity moves the known activity forward to t.
func (e *cached) noteActivity(t time.Time) {
	n := t.UnixNano()
	for old := e.activity.Load(); n > old && !e.activity.CompareAndSwap(old, n); old = e.activity.Load() {
	}
}

// copy returns a copy of the session the caller may change, with its latest known activity.
func (e *cached) copy() *Session {
	s := e.session.clone()
	s.LastActivity = e.lastActivity()
	return s
}

func newSessionCache(ttl time.Duration, entries int) *sessionCache {
	c := &sessionCache{ttl: ttl, perShard: max(1, entries/cacheShards)}
	for i := range c.shards {
		c.shards[i].entries = make(map[hashedID]*cached)
	}
	return c
}

func (c *sessionCache) shard(h hashedID) *cacheShard {
	return &c.shards[h[0]%cacheShards]
}

// get returns the entry for h when it was read from the store less than ttl
// before now, and nil otherwise.
func (c *sessionCache) get(h hashedID, now time.Time) *cached {
	sh := c.shard(h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.entries[h]
	if e == nil {
		return nil
	}
	if !c.fresh(e, now) {
		delete(sh.entries, h)
		return nil
	}
	return e
}

// fresh reports whether e was read from the store less than ttl before now, or
// less than trustedCacheTTL before now while the store vouches for the cache.
// A clock that went backwards makes it stale too.
func (c *sessionCache) fresh(e *cached, now time.Time) bool {
	age := now.Sub(e.fetched)
	if age < 0 {
		return false
	}
	if age < c.ttl {
		return true
	}
	v := c.vouched.Load()
	return v != nil && age < trustedCacheTTL && (*v)(now)
}

// epoch returns the invalidation count of the shard of h, to pass to put.
func (c *sessionCache) epoch(h hashedID) uint64 {
	sh := c.shard(h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.epoch
}

// put stores e under h unless an invalidation happened in its shard since
// epoch was taken: what was read before it may be a deleted session. Each shard
// drops its stale entries at most once per ttl, on a put; a shard still full
// then drops one entry at random.
func (c *sessionCache) put(h hashedID, e *cached, epoch uint64, now time.Time) {
	sh := c.shard(h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.epoch != epoch {
		return
	}
	if now.Sub(sh.swept) >= c.ttl {
		c.sweep(sh, now)
	}
	if _, ok := sh.entries[h]; !ok && len(sh.entries) >= c.perShard {
		for k := range sh.entries { // map order is random: evict whichever comes first
			delete(sh.entries, k)
			break
		}
	}
	sh.entries[h] = e
}

// sweep removes the stale entries of sh, which the caller has locked.
func (c *sessionCache) sweep(sh *cacheShard, now time.Time) {
	for k, e := range sh.entries {
		if !c.fresh(e, now) {
			delete(sh.entries, k)
		}
	}
	sh.swept = now
}

// invalidate removes the entry of h and keeps Loads already reading the store from
// putting what they read.
func (c *sessionCache) invalidate(h hashedID) {
	sh := c.shard(h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	delete(sh.entries, h)
	sh.epoch++
}

// flush removes every entry and keeps Loads already reading the store from
// putting what they read: the store may have lost track of changes.
func (c *sessionCache) flush() {
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		clear(sh.entries)
		sh.epoch++
		sh.mu.Unlock()
	}
}

// len returns the number of entries, stale ones included.
func (c *sessionCache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.entries)
		sh.mu.Unlock()
	}
	return n
}

// cacheVoucher is a Store that can vouch for a Manager's cache beyond
// CacheTTL, because it tells the cache of every change to a stored session.
type cacheVoucher interface {
	// vouch starts telling c of changes (c.invalidate for a session, c.flush
	// when it may have missed some) and returns the function that reports
	// whether, at now, every change made until CacheTTL before now has been
	// told; nil when it cannot vouch after all. A Manager calls it once, at
	// its first Load; it stops with the store's Close.
	vouch(c *sessionCache) vouchFunc
}
