package directory

import (
	"context"
	"slices"
	"sync"
)

// RevokeFunc is told the names of users who lost access, so that it can end
// their sessions. An error keeps the names for the next try.
type RevokeFunc func(ctx context.Context, usernames []string) error

// revocations are the users who lost access and have not been handed to the
// RevokeFunc successfully yet.
type revocations struct {
	mu      sync.Mutex
	fn      RevokeFunc
	pending map[string]bool
}

// OnRevoke registers fn, replacing any registered before, and calls it at
// once with the users disabled in the file now. From then on Watch calls it
// after each reload with the users who could sign in before the reload and
// cannot after it: disabled, or gone from the file. Names that fn failed for
// are passed again at the next poll, until it succeeds.
func (d *Directory) OnRevoke(ctx context.Context, fn RevokeFunc) {
	d.rev.mu.Lock()
	d.rev.fn = fn
	d.rev.mu.Unlock()
	var disabled []string
	for _, e := range d.users.Load().users {
		if e.user.Disabled {
			disabled = append(disabled, e.user.Username)
		}
	}
	d.revoke(ctx, disabled)
}

// lostAccess lists the users enabled in before and disabled or absent in after.
func lostAccess(before, after *snapshot) []string {
	var lost []string
	for name, e := range before.users {
		if e.user.Disabled {
			continue
		}
		if now, ok := after.users[name]; !ok || now.user.Disabled {
			lost = append(lost, e.user.Username)
		}
	}
	slices.Sort(lost)
	return lost
}

// revoke adds usernames to the pending ones and hands them all to the
// RevokeFunc, if any; they stay pending when it fails.
func (d *Directory) revoke(ctx context.Context, usernames []string) {
	d.rev.mu.Lock()
	defer d.rev.mu.Unlock()
	if d.rev.pending == nil {
		d.rev.pending = make(map[string]bool)
	}
	for _, u := range usernames {
		d.rev.pending[u] = true
	}
	if d.rev.fn == nil || len(d.rev.pending) == 0 {
		return
	}
	names := make([]string, 0, len(d.rev.pending))
	for u := range d.rev.pending {
		names = append(names, u)
	}
	slices.Sort(names)
	if err := d.rev.fn(ctx, names); err != nil {
		d.logger.Error("ending the sessions of users who lost access; will try again", "users", names, "err", err)
		return
	}
	d.logger.Info("ended the sessions of users who lost access", "users", names)
	clear(d.rev.pending)
}
