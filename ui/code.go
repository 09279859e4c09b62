package ui

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"
)

// codeAlphabet is the alphabet of one-time codes: upper-case letters and
// digits without those people confuse (0 and O, 1, I and L).
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// newCode returns a one-time code of n characters from crypto/rand, each
// uniform over codeAlphabet.
func newCode(n int) (string, error) {
	var b strings.Builder
	size := big.NewInt(int64(len(codeAlphabet)))
	for range n {
		i, err := rand.Int(rand.Reader, size)
		if err != nil {
			return "", fmt.Errorf("making identity code: %w", err)
		}
		b.WriteByte(codeAlphabet[i.Int64()])
	}
	return b.String(), nil
}

// How often codes may be sent to one user: at most codesPerWindow within any
// codeWindow.
const (
	codesPerWindow = 3
	codeWindow     = 10 * time.Minute
)

// sendLimiter counts the codes sent per user in a sliding window, in memory
// and per process (one node; see codeLimit for several). It remembers at most maxRegulated users,
// dropping those whose sends all left the window first, then any.
type sendLimiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu   sync.Mutex
	sent map[string][]time.Time // by lower-case username, oldest first
}

func newSendLimiter(now func() time.Time) *sendLimiter {
	return &sendLimiter{max: codesPerWindow, window: codeWindow, now: now, sent: make(map[string][]time.Time)}
}

// allow records a send to user and reports whether it is within the limit.
// A refused send is not recorded.
func (l *sendLimiter) allow(_ context.Context, user string) (bool, error) {
	return l.admit(user), nil
}

func (l *sendLimiter) admit(user string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	key := strings.ToLower(user)
	recent := l.recent(l.sent[key], now)
	if len(recent) >= l.max {
		l.sent[key] = recent
		return false
	}
	if _, known := l.sent[key]; !known && len(l.sent) >= maxRegulated {
		l.prune(now)
	}
	l.sent[key] = append(recent, now)
	return true
}

// recent is the part of times still inside the window at now.
func (l *sendLimiter) recent(times []time.Time, now time.Time) []time.Time {
	for len(times) > 0 && !now.Before(times[0].Add(l.window)) {
		times = times[1:]
	}
	return times
}

// prune drops users with no send in the window and, if still full, any one.
func (l *sendLimiter) prune(now time.Time) {
	for user, times := range l.sent {
		if len(l.recent(times, now)) == 0 {
			delete(l.sent, user)
		}
	}
	for user := range l.sent {
		if len(l.sent) < maxRegulated {
			return
		}
		delete(l.sent, user)
	}
}
