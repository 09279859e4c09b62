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

// openFile opens (creating when missing) the bbolt file named by cfg: its directory
// with mode 0700, the file with mode 0600. It waits about a second for a lock
// held by another process and then fails with ErrLocked. The store owns the
// file; the session package reaches it through File.
func openFile(cfg Config) (*bbolt.DB, error) {
	path := cfg.Path
	if path == "" {
		path = DefaultPath
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating storage directory: %w", err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: lockTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("opening %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return db, nil
}
