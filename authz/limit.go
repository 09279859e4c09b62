package authz

import (
	"sync"
	"time"
)

// Regulation limits failed token attempts per client address: an address that
// reaches MaxFailures within Window is ignored (its tokens are not even looked
// up) for Ban. MaxFailures <= 0 disables it.
type Regulation struct {
	MaxFailures int
	Window      time.Duration
	Ban         time.Duration
}

// maxLimited bounds how many addresses the limiter remembers.
const maxLimited = 65536

// limiter counts failures per address in memory. When full it forgets every
// address not banned, so memory stays bounded; a ban is never forgotten early.
type limiter struct {
	cfg Regulation
	now func() time.Time

	mu    sync.Mutex
	addrs map[string]*limited
}

// limited is one address's record.
type limited struct {
	failures    int
	windowStart time.Time
	bannedUntil time.Time
}

// newLimiter returns a limiter with cfg on the clock now.
func newLimiter(cfg Regulation, now func() time.Time) *limiter {
	return &limiter{cfg: cfg, now: now, addrs: make(map[string]*limited)}
}

// banned reports whether addr is banned now.
func (l *limiter) banned(addr string) bool {
	if l.cfg.MaxFailures <= 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	rec, ok := l.addrs[addr]
	return ok && l.now().Before(rec.bannedUntil)
}

// fail records a failure from addr and reports whether it started a ban.
func (l *limiter) fail(addr string) bool {
	if l.cfg.MaxFailures <= 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	rec, ok := l.addrs[addr]
	if !ok {
		l.makeRoom(now)
		rec = &limited{windowStart: now}
		l.addrs[addr] = rec
	}
	if now.Sub(rec.windowStart) > l.cfg.Window {
		rec.failures, rec.windowStart = 0, now
	}
	rec.failures++
	if rec.failures < l.cfg.MaxFailures {
		return false
	}
	rec.failures, rec.bannedUntil = 0, now.Add(l.cfg.Ban)
	return true
}

// makeRoom forgets the addresses not banned when the map is full.
func (l *limiter) makeRoom(now time.Time) {
	if len(l.addrs) < maxLimited {
		return
	}
	for addr, rec := range l.addrs {
		if !now.Before(rec.bannedUntil) {
			delete(l.addrs, addr)
		}
	}
}
