package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// TestBoltStoreDamagedPage overwrites the root page of the sessions bucket while
// the file is closed, then reads and writes through a BoltStore on it: every call
// must fail with ErrDamaged (or find nothing), never panic.
func TestBoltStoreDamagedPage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keygate.db")
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewBoltStore(db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 200 {
		if err := s.Set(ctx, fmt.Sprintf("key%03d", i), make([]byte, 100), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	var root uint64
	_ = db.View(func(tx *bbolt.Tx) error { root = uint64(tx.Bucket(boltBucket).RootPage()); return nil })
	s.Close()
	db.Close()
	if root == 0 {
		t.Fatal("sessions bucket is inline; the test needs it on its own page")
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(i*13) ^ 0xa5
	}
	if _, err := f.WriteAt(garbage, int64(root)*4096); err != nil {
		t.Fatal(err)
	}
	f.Close()

	db, err = bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err = NewBoltStore(db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	calls := map[string]func() error{
		"Get":    func() error { _, err := s.Get(ctx, "key100"); return err },
		"Set":    func() error { return s.Set(ctx, "key100", []byte("x"), time.Hour) },
		"Delete": func() error { return s.Delete(ctx, "key050") },
		"Take":   func() error { _, err := s.Take(ctx, "key150"); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrNotFound) {
			t.Errorf("%s on a damaged page = %v, want ErrDamaged", name, err)
		}
	}
	if _, err := s.Get(ctx, "key100"); !errors.Is(err, ErrDamaged) {
		t.Errorf("Get on a damaged page = %v, want ErrDamaged", err)
	}
}
