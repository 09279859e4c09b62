package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// checkWait bounds how long a password check waits, for its reservation and
// then for a hashing slot, before it is answered errBusy: well within the
// server's 30 s write timeout, so that the client gets an answer, not a cut
// connection.
const checkWait = 20 * time.Second

// maxKeyWaiters bounds the guesses that wait for a place under one user or
// client while its limit is reached; more are answered errBusy at once. It
// bounds the goroutines a flood parks, and those a reservation's end wakes.
const maxKeyWaiters = 16

// errRegulated refuses a guess because its user or address is banned. It is
// answered exactly like a wrong password.
var errRegulated = errors.New("banned by regulation")

// errBusy answers a sign-in that could not be checked in time: the hashing
// capacity, or the guesses its user or address may have in flight, stayed
// taken. Unlike a ban it says nothing about the password; the client may try
// again.
var errBusy = &Error{Status: http.StatusTooManyRequests, Code: codeTooManyRequests,
	Message: "Too many sign-ins at the moment. Please try again in a few seconds."}

// errShuttingDown answers a sign-in still waiting to be checked when the
// daemon begins to shut down: it is refused at once rather than left for the
// shutdown to cut. The client may try again (another replica, or this one
// restarted).
var errShuttingDown = &Error{Status: http.StatusServiceUnavailable, Code: codeShuttingDown,
	Message: "The sign-in service is restarting. Please try again in a few seconds."}

// checkContext is ctx bounded by checkWait (ending with errBusy as its cause)
// and by draining (ending with errShuttingDown): the wait of a guess for its
// turn and for a hashing slot, never the hash itself.
func checkContext(ctx, draining context.Context) (context.Context, context.CancelFunc) {
	wait, cancelWait := context.WithTimeoutCause(ctx, checkWait, errBusy)
	wait, cancelDrain := context.WithCancelCause(wait)
	stop := context.AfterFunc(draining, func() { cancelDrain(errShuttingDown) })
	return wait, func() {
		stop()
		cancelDrain(nil)
		cancelWait()
	}
}

// reservation is one guess allowed to be checked. Exactly one of fail,
// succeed and cancel ends it; until then it counts against the limit of its
// user and its address as a failure would.
type reservation struct {
	r    *regulator
	keys []string // nil when regulation is disabled
	ids  []string // the shared store's reservations, one per key; nil in memory
}

// reserve takes a reservation for a guess of username's secret from ip before
// the guess is checked. It refuses with errRegulated when either is banned,
// and waits while the failures and reservations of either already reach the
// limit (a reservation in flight may still succeed), until ctx ends: then
// ctx's cause (see checkContext).
func (r *regulator) reserve(ctx context.Context, username, ip string) (*reservation, error) {
	if r.max <= 0 {
		return &reservation{r: r}, nil
	}
	if r.shared != nil {
		return r.reserveShared(ctx, username, ip)
	}
	keys := []string{userKey(username), r.ipKey(ip)}
	for {
		full, wake, err := r.tryReserve(keys)
		if err != nil {
			return nil, fmt.Errorf("guess of %q from %s: %w", username, ip, err)
		}
		if wake == nil {
			return &reservation{r: r, keys: keys}, nil
		}
		select {
		case <-wake:
			r.stopWaiting(full)
		case <-ctx.Done():
			r.stopWaiting(full)
			return nil, fmt.Errorf("waiting for a guess of %q from %s: %w", username, ip, context.Cause(ctx))
		}
	}
}

// tryReserve reserves a guess for keys, or refuses it, or returns the full
// key it waits for and the channel closed when a reservation of that key ends.
func (r *regulator) tryReserve(keys []string) (string, <-chan struct{}, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for _, k := range keys {
		if r.isBanned(k, now) {
			return "", nil, errRegulated
		}
	}
	for _, k := range keys {
		if r.full(k, now) {
			rec := r.touch(k, now)
			if rec.waiters >= maxKeyWaiters {
				return "", nil, errBusy
			}
			rec.waiters++
			if rec.wake == nil {
				rec.wake = make(chan struct{})
			}
			return k, rec.wake, nil
		}
	}
	for _, k := range keys {
		r.touch(k, now).inFlight++
	}
	return "", nil, nil
}

// stopWaiting counts a guess no longer waiting for key.
func (r *regulator) stopWaiting(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if el, ok := r.byKey[key]; ok && el.Value.(*regulated).waiters > 0 {
		el.Value.(*regulated).waiters--
	}
}

// full reports whether key's failures in its window and its reservations in
// flight already reach the limit.
func (r *regulator) full(key string, now time.Time) bool {
	el, ok := r.byKey[key]
	if !ok {
		return false
	}
	rec := el.Value.(*regulated)
	failures := rec.failures
	if !now.Before(rec.windowStart.Add(r.window)) {
		failures = 0
	}
	return failures+rec.inFlight >= r.max
}

// fail ends the reservation with a failure of every key and reports whether
// it started a ban.
func (v *reservation) fail() bool {
	if v.ids != nil {
		return v.endShared(func() bool { return v.r.shared.fail(v.keys, v.ids) })
	}
	return v.end(func(now time.Time) bool {
		started := false
		for _, k := range v.keys {
			started = v.r.count(k, now) || started
		}
		return started
	})
}

// succeed ends the reservation and forgets the user's failures, never the
// address's. A ban that a concurrent guess started stays.
func (v *reservation) succeed() {
	if v.ids != nil {
		v.endShared(func() bool { v.r.shared.release(v.keys, v.ids, true); return false })
		return
	}
	v.end(func(time.Time) bool {
		if el, ok := v.r.byKey[v.keys[0]]; ok {
			rec := el.Value.(*regulated)
			rec.failures, rec.windowStart = 0, time.Time{}
		}
		return false
	})
}

// cancel ends the reservation without counting anything: the guess was not
// checked, or failed on the server's side.
func (v *reservation) cancel() {
	if v.ids != nil {
		v.endShared(func() bool { v.r.shared.release(v.keys, v.ids, false); return false })
		return
	}
	v.end(func(time.Time) bool { return false })
}

// endShared ends a reservation of the shared store once.
func (v *reservation) endShared(then func() bool) bool {
	if v.keys == nil {
		return false
	}
	ended := then()
	v.keys, v.ids = nil, nil
	return ended
}

// end releases the reservation of every key, applies then, and wakes the
// guesses waiting for a place under those keys.
func (v *reservation) end(then func(now time.Time) bool) bool {
	if v.keys == nil {
		return false
	}
	r := v.r
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range v.keys {
		el, ok := r.byKey[k]
		if !ok {
			continue
		}
		rec := el.Value.(*regulated)
		rec.inFlight = max(rec.inFlight-1, 0)
		if rec.wake != nil {
			close(rec.wake)
			rec.wake = nil
		}
	}
	ended := then(r.now())
	v.keys = nil
	return ended
}
