package directory

import (
	"context"
	"os"
	"time"
)

// Watch looks at the users file every two seconds until ctx is done and
// reloads it when its size or modification time changes. A file that cannot
// be read or parsed is logged once and the users already loaded are kept.
// After a reload, the users who lost access go to the OnRevoke function.
func (d *Directory) Watch(ctx context.Context) {
	t := time.NewTicker(d.poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.look(ctx)
		}
	}
}

// look is one look of Watch: reload, and hand who lost access (and who is
// still pending) to the OnRevoke function.
func (d *Directory) look(ctx context.Context) {
	var lost []string
	if before := d.reload(); before != nil {
		lost = lostAccess(before, d.users.Load())
	}
	d.revoke(ctx, lost)
}

// reload reads the users file again if it changed since it was last read, and
// returns the users it replaced, or nil when it kept them.
func (d *Directory) reload() *snapshot {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	info, err := os.Stat(d.path)
	if err != nil {
		if d.stamp != (fileStamp{}) {
			d.logger.Error("users file unreadable; keeping the users loaded", "file", d.path, "err", err)
		}
		d.stamp = fileStamp{}
		return nil
	}
	if stampOf(info) == d.stamp {
		return nil
	}
	snap, stamp, err := load(d.path)
	d.stamp = stamp
	if err != nil {
		d.logger.Error("users file not reloaded; keeping the users loaded", "file", d.path, "err", err)
		return nil
	}
	before := d.users.Swap(snap)
	d.logger.Info("users reloaded", "file", d.path, "users", len(snap.users))
	d.warnIfMixed(snap)
	return before
}
