package ui

import (
	"cmp"
	"container/list"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/keygate/keygate/store"
)

// maxRegulated bounds how many users and addresses the regulator remembers.
const maxRegulated = 65536

// regulator limits password guessing. It counts failed password sign-ins per
// username and per client address (an IPv4 address, or the IPv6 prefix of
// IPv6Prefix bits); a key that reaches MaxFailures within Window is banned for
// Ban. A banned attempt is answered exactly like a wrong password.
//
// A password is checked only under a reservation (reserve): failures plus
// reservations in flight never exceed MaxFailures for any key, so however many
// guesses arrive at once at most MaxFailures are verified per window, and
// once they have failed the ban refuses even the right password.
//
// Decisions, since the contract leaves them open:
//   - State lives in memory, per process, on one node: a restart forgets it.
//     This keeps the sign-in path free of writes to the bbolt file. With
//     sessions on Redis it lives there (share), so that every replica counts
//     together.
//   - The window is fixed, starting at the first failure of a key; after Window
//     without reaching the limit the count starts again.
//   - A success resets the user's count, never the address's: one valid account
//     must not let an address go on guessing others.
//   - Attempts refused by a ban are not counted again.
//   - Memory is bounded: at most maxRegulated keys, least recently touched
//     evicted first.
type regulator struct {
	max    int // <= 0: disabled
	window time.Duration
	ban    time.Duration
	v6bits int // the prefix length that makes one IPv6 client
	limit  int
	now    func() time.Time
	// shared, when not nil, holds the counts, bans and reservations instead
	// of this process's memory (several replicas on Redis; see share).
	shared *sharedRegulation

	mu    sync.Mutex
	order *list.List // of *regulated, most recently touched first
	byKey map[string]*list.Element
}

// regulated is the record of one key.
type regulated struct {
	key         string
	failures    int
	windowStart time.Time
	bannedUntil time.Time
	inFlight    int           // reservations not yet ended
	waiters     int           // guesses waiting for a place
	wake        chan struct{} // closed when a reservation of the key ends; nil when none waits
}

func newRegulator(cfg store.RegulationConfig, now func() time.Time) *regulator {
	return &regulator{
		max:    cfg.MaxFailures,
		window: cfg.Window,
		ban:    cfg.Ban,
		v6bits: cmp.Or(cfg.IPv6Prefix, defaultIPv6Prefix),
		limit:  maxRegulated,
		now:    now,
		order:  list.New(),
		byKey:  make(map[string]*list.Element),
	}
}

func userKey(username string) string { return "user:" + strings.ToLower(username) }

// ipKey is the key of the client at ip.
func (r *regulator) ipKey(ip string) string { return "ip:" + clientKey(ip, r.v6bits) }

// clientKey names the client at ip: an IPv4 address (also written as an
// IPv4-mapped IPv6 address) as itself, an IPv6 address by its prefix of
// v6bits bits, since one subscriber commonly holds a whole /64. What does not
// parse is kept as it is.
func clientKey(ip string, v6bits int) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is4() {
		return addr.String()
	}
	return netip.PrefixFrom(addr, v6bits).Masked().String()
}

// banned reports whether username or ip is currently refused.
func (r *regulator) banned(username, ip string) bool {
	if r.max <= 0 {
		return false
	}
	if r.shared != nil {
		return r.shared.banned(userKey(username), r.ipKey(ip))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	return r.isBanned(userKey(username), now) || r.isBanned(r.ipKey(ip), now)
}

// fail records a failed sign-in and reports whether it started a ban.
func (r *regulator) fail(username, ip string) bool {
	if r.max <= 0 {
		return false
	}
	if r.shared != nil {
		return r.shared.fail([]string{userKey(username), r.ipKey(ip)}, nil)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	userBanned := r.count(userKey(username), now)
	ipBanned := r.count(r.ipKey(ip), now)
	return userBanned || ipBanned
}

// succeed forgets the failures of username.
func (r *regulator) succeed(username string) {
	if r.max <= 0 {
		return
	}
	if r.shared != nil {
		r.shared.release([]string{userKey(username)}, nil, true)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if el, ok := r.byKey[userKey(username)]; ok {
		r.remove(el)
	}
}

func (r *regulator) isBanned(key string, now time.Time) bool {
	el, ok := r.byKey[key]
	return ok && now.Before(el.Value.(*regulated).bannedUntil)
}

// count adds one failure to key and reports whether it started a ban.
func (r *regulator) count(key string, now time.Time) bool {
	rec := r.touch(key, now)
	if !now.Before(rec.windowStart.Add(r.window)) {
		rec.failures, rec.windowStart = 0, now
	}
	rec.failures++
	if rec.failures < r.max {
		return false
	}
	rec.bannedUntil = now.Add(r.ban)
	rec.failures, rec.windowStart = 0, time.Time{}
	return true
}

// touch returns key's record, created if needed, marked most recently used.
// Before creating one it drops stale records and, at the limit, the least
// recently used.
func (r *regulator) touch(key string, now time.Time) *regulated {
	if el, ok := r.byKey[key]; ok {
		r.order.MoveToFront(el)
		return el.Value.(*regulated)
	}
	for back := r.order.Back(); back != nil && r.stale(back.Value.(*regulated), now); back = r.order.Back() {
		r.remove(back)
	}
	for r.order.Len() >= r.limit {
		r.remove(r.order.Back())
	}
	rec := &regulated{key: key}
	r.byKey[key] = r.order.PushFront(rec)
	return rec
}

// stale reports whether rec no longer counts for anything at now.
func (r *regulator) stale(rec *regulated, now time.Time) bool {
	return rec.inFlight == 0 && rec.waiters == 0 && !now.Before(rec.bannedUntil) && !now.Before(rec.windowStart.Add(r.window))
}

func (r *regulator) remove(el *list.Element) {
	r.order.Remove(el)
	delete(r.byKey, el.Value.(*regulated).key)
}

// size is the number of keys remembered.
func (r *regulator) size() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.order.Len()
}
