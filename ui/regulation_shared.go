package ui

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/keygate/keygate/session"
)

// sharedPoll is how often a guess waiting for a place under a shared limit
// asks again: other replicas cannot wake it when their reservations end.
const sharedPoll = 50 * time.Millisecond

// sharedHold is how long a reservation whose replica died counts: the
// longest a guess waits (checkWait) and then hashes.
const sharedHold = checkWait + 10*time.Second

// sharedRegulation keeps the regulator's counts, bans and reservations in the
// store every replica shares (session.Attempts, on Redis), so that failures
// spread over several replicas ban, and a user's or address's guesses in
// flight on all of them together stay within the limit. The regulator's
// memory then only bounds how many guesses this process parks per key.
type sharedRegulation struct {
	store  session.Attempts
	limits session.Limits
	logger *slog.Logger
}

// share makes r count in a, which every replica sees.
func (r *regulator) share(a session.Attempts, logger *slog.Logger) {
	r.shared = &sharedRegulation{
		store:  a,
		limits: session.Limits{Max: r.max, Window: r.window, Ban: r.ban, Hold: sharedHold},
		logger: logger,
	}
}

// storeContext bounds a call made where no request context reaches.
func storeContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), session.RedisTimeout)
}

// reserveShared is reserve on the shared store: it waits, polling, while a
// key is full, at most maxKeyWaiters guesses of this process per key.
func (r *regulator) reserveShared(ctx context.Context, username, ip string) (*reservation, error) {
	keys := []string{userKey(username), r.ipKey(ip)}
	waitingOn := ""
	defer func() {
		if waitingOn != "" {
			r.stopWaiting(waitingOn)
		}
	}()
	for {
		ids, full, err := r.shared.tryReserve(ctx, keys)
		if err != nil {
			return nil, fmt.Errorf("guess of %q from %s: %w", username, ip, err)
		}
		if full == "" {
			return &reservation{r: r, keys: keys, ids: ids}, nil
		}
		if waitingOn == "" {
			if !r.startWaiting(full) {
				return nil, fmt.Errorf("guess of %q from %s: %w", username, ip, errBusy)
			}
			waitingOn = full
		}
		select {
		case <-time.After(sharedPoll):
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for a guess of %q from %s: %w", username, ip, context.Cause(ctx))
		}
	}
}

// startWaiting counts a guess of this process waiting for key, unless
// maxKeyWaiters already do.
func (r *regulator) startWaiting(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.touch(key, r.now())
	if rec.waiters >= maxKeyWaiters {
		return false
	}
	rec.waiters++
	return true
}

// tryReserve reserves every key or none: it returns the reservations' IDs,
// or the key that is full, or errRegulated for a banned one.
func (s *sharedRegulation) tryReserve(ctx context.Context, keys []string) ([]string, string, error) {
	ids := make([]string, 0, len(keys))
	for _, k := range keys {
		id, banned, err := s.store.Reserve(ctx, k, s.limits)
		if err == nil && id != "" {
			ids = append(ids, id)
			continue
		}
		s.release(keys[:len(ids)], ids, false)
		switch {
		case err != nil:
			return nil, "", err
		case banned:
			return nil, "", errRegulated
		}
		return nil, k, nil
	}
	return ids, "", nil
}

// fail counts a failure of every key (under its reservation, when ids holds
// one) and reports whether it started a ban. A store that fails is logged:
// the guess has been answered already.
func (s *sharedRegulation) fail(keys, ids []string) bool {
	ctx, cancel := storeContext()
	defer cancel()
	started := false
	for i, k := range keys {
		id := ""
		if i < len(ids) {
			id = ids[i]
		}
		ban, err := s.store.Fail(ctx, k, id, s.limits)
		if err != nil {
			s.logger.Error("counting a failed sign-in", "key", k, "err", err)
		}
		started = ban || started
	}
	return started
}

// release gives the reservations back; resetFirst forgets the failures of
// the first key (the user's) too.
func (s *sharedRegulation) release(keys, ids []string, resetFirst bool) {
	ctx, cancel := storeContext()
	defer cancel()
	for i, k := range keys {
		id := ""
		if i < len(ids) {
			id = ids[i]
		}
		if err := s.store.Release(ctx, k, id, resetFirst && i == 0); err != nil {
			s.logger.Error("releasing a sign-in reservation", "key", k, "err", err)
		}
	}
}

// banned reports whether any key is banned. It serves the WebAuthn sign-ins
// only (a password guess reserves, and a failing store answers it 500): a
// store that fails is logged and reads as no ban, since the assertion must
// still verify and the ceremony's next store call fails closed; answering it
// as banned would tell a user with a good key that the key did not verify.
func (s *sharedRegulation) banned(keys ...string) bool {
	ctx, cancel := storeContext()
	defer cancel()
	for _, k := range keys {
		banned, err := s.store.Banned(ctx, k)
		if err != nil {
			s.logger.Error("reading a regulation ban", "key", k, "err", err)
			return false
		}
		if banned {
			return true
		}
	}
	return false
}
