package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// ErrInvalidCredentials is returned by Authenticate for an unknown user, a
// disabled user, a user without a password, and a wrong password alike.
var ErrInvalidCredentials = errors.New("directory: invalid credentials")

// pollInterval is how often Watch looks at the users file.
const pollInterval = 2 * time.Second

// Directory holds the users of the users file and verifies their passwords.
// It is safe for concurrent use.
type Directory struct {
	path   string
	logger *slog.Logger
	users  atomic.Pointer[snapshot]

	sem     chan struct{} // one token per password hash in progress
	memory  *memoryGate   // the memory of the hashes in progress
	reclaim *reclaimer    // gives their memory back
	dummy   hash          // checked when the file holds no password hash at all
	match   matchFunc
	poll    time.Duration

	reloadMu sync.Mutex
	stamp    fileStamp // of the last file read, good or bad; guarded by reloadMu

	rev revocations // see OnRevoke
}

// New reads and validates the users file named by cfg. A missing or invalid
// file is an error.
func New(cfg Config, logger *slog.Logger) (*Directory, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dummy, err := newPHC(defaultParams)
	if err != nil {
		return nil, fmt.Errorf("making dummy hash: %w", err)
	}
	d := &Directory{
		path:    cfg.Path(),
		logger:  logger.With("component", "directory"),
		sem:     make(chan struct{}, HashSlots()),
		memory:  newMemoryGate(hashMemoryBudget),
		reclaim: newReclaimer(),
		dummy:   argon2idHash(dummy),
		match:   matchHash,
		poll:    pollInterval,
	}
	snap, stamp, err := load(d.path)
	if err != nil {
		return nil, err
	}
	d.users.Store(snap)
	d.stamp = stamp
	d.logger.Info("users loaded", "file", d.path, "users", len(snap.users))
	d.warnIfPublic()
	d.warnIfMixed(snap)
	return d, nil
}

// warnIfMixed logs a warning when the users file holds hashes of more than
// one class: each sign-in then checks one hash of each.
func (d *Directory) warnIfMixed(snap *snapshot) {
	if len(snap.classes) < 2 {
		return
	}
	classes := make([]string, len(snap.classes))
	for i, h := range snap.classes {
		classes[i] = h.class
	}
	d.logger.Warn("users file mixes password hash schemes or costs; each sign-in checks one hash of each, "+
		"so that it costs the same for every username; rehash with keygate hash-password to bring them to one",
		"file", d.path, "classes", classes)
}

// warnIfPublic logs a warning when every local account may read the hashes.
func (d *Directory) warnIfPublic() {
	if info, err := os.Stat(d.path); err == nil && info.Mode().Perm()&0o004 != 0 {
		d.logger.Warn("users file is readable by every local account; chmod 600 it", "file", d.path)
	}
}

// Lookup returns a copy of the user named username. ASCII capitals in
// username are ignored, so "Alice" finds alice. Disabled users are returned
// with Disabled set.
func (d *Directory) Lookup(username string) (User, bool) {
	e, ok := d.users.Load().users[foldUsername(username)]
	if !ok {
		return User{}, false
	}
	return e.user.clone(), true
}

// Authenticate checks password against the user's hash and returns the user
// on a match. Every failure is ErrInvalidCredentials, and every call costs the
// same: one hash of each class (scheme and cost parameters) found in the users
// file, the user's own among them, so that an unknown, disabled or
// passwordless user costs what a known one does. A file with no password hash
// at all is checked against a dummy argon2id hash with the default parameters.
// At most HashSlots calls hash at once, and only as many as fit in 128 MiB of
// hash memory (two with the default argon2id parameters); a call waiting for
// its turn returns ctx's error when ctx is done. On Linux an argon2id hash's
// memory is mapped outside the Go heap and unmapped when it ends; elsewhere it
// is collected when it ends, and goes back to the operating system once no
// hash has run for a second.
func (d *Directory) Authenticate(ctx context.Context, username, password string) (User, error) {
	if err := d.acquire(ctx); err != nil {
		return User{}, err
	}
	defer d.release()
	snap := d.users.Load()
	e, ok := snap.users[foldUsername(username)]
	usable := ok && !e.user.Disabled && e.user.hasPassword
	classes := snap.classes
	if len(classes) == 0 {
		classes = []hash{d.dummy}
	}
	match, err := d.verify(ctx, classes, e.hash, usable, password)
	if err != nil {
		return User{}, err
	}
	if !match || !usable || password == "" {
		return User{}, ErrInvalidCredentials
	}
	return e.user.clone(), nil
}

// verify checks password against one hash of each class, own in its class
// when usable, once the largest of them fits in the memory budget, and
// reports whether own matched. It collects the memory afterwards.
func (d *Directory) verify(ctx context.Context, classes []hash, own hash, usable bool, password string) (bool, error) {
	var memory uint32
	for _, h := range classes {
		memory = max(memory, h.memory)
	}
	taken, err := d.memory.acquire(ctx, uint64(memory))
	if err != nil {
		return false, fmt.Errorf("waiting to verify a password: %w", err)
	}
	d.reclaim.start()
	defer func() {
		if hashMemoryOnHeap {
			d.reclaim.done(memory)
		} else {
			d.reclaim.doneOffHeap(memory)
		}
		d.memory.release(taken)
	}()
	matched := false
	for _, h := range classes {
		mine := usable && h.class == own.class
		if mine {
			h = own
		}
		if d.match(h, password) && mine {
			matched = true
		}
	}
	return matched, nil
}

// acquire waits for a hashing slot or for ctx to be done.
func (d *Directory) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("waiting to verify a password: %w", err)
	}
	select {
	case d.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting to verify a password: %w", ctx.Err())
	}
}

func (d *Directory) release() { <-d.sem }
