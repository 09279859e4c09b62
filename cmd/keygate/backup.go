package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/keygate/keygate/store"
)

// errNoBackupFile means `keygate backup` was pointed at a store without a
// bbolt file: PostgreSQL is backed up with its own tools.
var errNoBackupFile = errors.New("storage is PostgreSQL: back it up with pg_dump (see docs/scale-out.md, Backups)")

// fileBackup writes a consistent copy of the bbolt file: *localAdmin.
type fileBackup interface {
	Backup(w io.Writer, size func(int64)) (int64, error)
}

// Backup writes a consistent copy of the store's bbolt file to w, telling
// size its length first.
func (a *localAdmin) Backup(w io.Writer, size func(int64)) (int64, error) {
	f, ok := a.store.File()
	if !ok {
		return 0, errNoBackupFile
	}
	return f.Copy(w, size)
}

// backupHandler serves GET /backup on the admin socket: the file's bytes with
// their Content-Length, so that a copy cut short fails at the client.
func backupHandler(a admin) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		b, ok := a.(fileBackup)
		if !ok {
			answer(w, nil, errNoBackupFile)
			return
		}
		started := false
		_, err := b.Backup(w, func(size int64) {
			started = true
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		})
		if err != nil && !started {
			answer(w, nil, err)
		}
	}
}

// backup writes a consistent copy of the live bbolt file to a new file:
// through the running daemon's admin socket when one answers, else from the
// file directly.
func backup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, path := adminFlags("backup", stderr)
	target, rest, err := parseInterleaved(fs, args)
	if err != nil || target == "" || len(rest) > 0 {
		return errUsage
	}
	cfg, err := loadConfig(*path, stderr)
	if err != nil {
		return err
	}
	if cfg.Storage.Postgres.Enabled() {
		return errNoBackupFile
	}
	write := func(w io.Writer) (int64, error) {
		if remote, ok := dialAdmin(adminSocketPath(cfg)); ok {
			return remote.backup(ctx, w)
		}
		st, err := store.Open(ctx, cfg.Storage, quietLogger(stderr))
		if err != nil {
			return 0, err
		}
		defer st.Close()
		return (&localAdmin{store: st}).Backup(w, func(int64) {})
	}
	n, err := writeNewFile(target, write)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", target, n)
	return nil
}

// writeNewFile creates path (mode 0600; it must not exist) through a
// temporary file in the same directory, synced and renamed into place, so
// that path holds a whole copy or nothing.
func writeNewFile(path string, write func(io.Writer) (int64, error)) (int64, error) {
	if _, err := os.Lstat(path); err == nil {
		return 0, fmt.Errorf("%s exists; choose a new file", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".keygate-backup-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	n, err := write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("writing the backup: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil { // fails rather than replace a file made meanwhile
		return 0, err
	}
	return n, nil
}

// backup fetches GET /backup into w.
func (s *socketAdmin) backup(ctx context.Context, w io.Writer) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://keygate/backup", http.NoBody)
	if err != nil {
		return 0, err
	}
	client := *s.client
	client.Timeout = 0 // a large file takes what it takes; ctx bounds it
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("daemon: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return 0, fmt.Errorf("daemon: %s: %s", resp.Status, body)
	}
	return io.Copy(w, resp.Body)
}
