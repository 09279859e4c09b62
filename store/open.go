package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// DefaultPath is the bbolt file used when Config.Path is empty.
const DefaultPath = "./keygate-data/keygate.db"

// lockTimeout is how long Open waits for another process to release the file.
const lockTimeout = time.Second

// ErrLocked means another process holds the bbolt file open. bbolt allows one
// process at a time, so admin commands reach a running daemon another way.
var ErrLocked = errors.New("database is locked by another keygate process")

// openFile opens the bbolt file named by cfg, creating it (its directory with
// mode 0700, the file with mode 0600) only when no file exists. An existing file
// is checked first: an empty, truncated or damaged one fails with ErrDamaged,
// which names the file and what to do; it is never replaced. openFile waits about
// a second for a lock held by another process and then fails with ErrLocked. The
// store owns the file; the session package reaches it through File.
func openFile(cfg Config) (*bbolt.DB, error) {
	path := cfg.Path
	if path == "" {
		path = DefaultPath
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating storage directory: %w", err)
	}
	existed, err := checkFile(path)
	if err != nil {
		return nil, err
	}
	db, err := openChecked(path, bbolt.Options{Timeout: lockTimeout})
	if err != nil && !existed {
		_ = os.Remove(path) // a half-created file (disk full) would be refused next time
	}
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("opening %s: %w", path, ErrLocked)
	}
	if errors.Is(err, ErrDamaged) {
		return nil, err // it names the file already
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return db, nil
}
