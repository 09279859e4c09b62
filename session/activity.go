package session

import (
	"sync"
	"time"
)

// activityGate lets at most one activity write per session through per interval
// within this process, however many requests for the session arrive at once.
type activityGate struct {
	every time.Duration

	mu     sync.Mutex
	last   map[hashedID]time.Time // session ID's hash -> when its write was let through
	pruned time.Time
}

func newActivityGate(every time.Duration) *activityGate {
	return &activityGate{every: every, last: make(map[hashedID]time.Time)}
}

// claim reports whether the caller may write activity for session h at now, and
// if so remembers it. Entries older than the interval are dropped now and then,
// so the map holds only sessions active in the last interval.
func (g *activityGate) claim(h hashedID, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Sub(g.pruned) >= g.every {
		for k, t := range g.last {
			if now.Sub(t) >= g.every {
				delete(g.last, k)
			}
		}
		g.pruned = now
	}
	if t, ok := g.last[h]; ok && now.Sub(t) < g.every {
		return false
	}
	g.last[h] = now
	return true
}

// release forgets the claim made at now for h, after the write failed, so the
// next request tries again.
func (g *activityGate) release(h hashedID, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last[h].Equal(now) {
		delete(g.last, h)
	}
}
