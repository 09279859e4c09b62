package session

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// openBolt opens a bbolt file in t.TempDir(), closed when the test ends. It
// skips fsync, which only matters after a crash, to keep the tests fast.
func openBolt(t testing.TB) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "keygate.db"), 0o600, &bbolt.Options{NoSync: true})
	if err != nil {
		t.Fatalf("opening bbolt: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newTestBoltStore(t testing.TB, db *bbolt.DB, now func() time.Time) *BoltStore {
	t.Helper()
	s, err := newBoltStore(db, slog.New(slog.DiscardHandler), now, time.Hour)
	if err != nil {
		t.Fatalf("newBoltStore: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestBoltStore(t *testing.T) {
	testStore(t, func(t *testing.T) Store {
		s, err := NewBoltStore(openBolt(t), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("NewBoltStore: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestBoltStoreSweep(t *testing.T) {
	c := newClock()
	s := newTestBoltStore(t, openBolt(t), c.now)
	const n = 2*boltSweepBatch + 7 // several batches
	for i := range n {
		ttl := time.Minute
		if i%2 == 0 {
			ttl = time.Hour
		}
		mustSet(t, s, fmt.Sprintf("k%04d", i), []byte("v"), ttl)
	}
	putRaw(t, s, "malformed", []byte{1, 2})
	mustAddMember(t, s, "u:alice", "gone", time.Minute)
	mustAddMember(t, s, "u:alice", "kept", time.Hour)
	c.advance(2 * time.Minute)

	got, err := s.sweep()
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	wantMembers(t, s, "u:alice", "kept")
	if want := n/2 + 2; got != want {
		t.Errorf("sweep deleted %d entries, want %d", got, want)
	}
	if got, want := countEntries(t, s), (n+1)/2; got != want {
		t.Errorf("entries left = %d, want %d", got, want)
	}
	wantValue(t, s, "k0000", []byte("v"))
	if got, err := s.sweep(); err != nil || got != 0 {
		t.Errorf("second sweep = %d, %v; want 0, nil", got, err)
	}
}

func TestBoltStoreExpiredReadsAsAbsent(t *testing.T) {
	c := newClock()
	s := newTestBoltStore(t, openBolt(t), c.now)
	mustSet(t, s, "k", []byte("v"), time.Minute)
	putRaw(t, s, "malformed", []byte{1})
	c.advance(time.Minute)
	wantAbsent(t, s, "k")
	wantAbsent(t, s, "malformed")
	if _, err := s.Take(t.Context(), "malformed"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Take of a malformed entry: got %v, want ErrNotFound", err)
	}
	if got := countEntries(t, s); got != 1 {
		t.Errorf("entries = %d, want 1: Get leaves expired entries to the sweeper, Take removes them", got)
	}
}

func TestBoltStoreSharesFile(t *testing.T) {
	db := openBolt(t)
	err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucket([]byte("credentials"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s := newTestBoltStore(t, db, time.Now)
	mustSet(t, s, "k", []byte("v"), time.Hour)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// Close leaves the file open for its other users.
	err = db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket([]byte("credentials")) == nil || tx.Bucket(boltBucket).Get([]byte("k")) == nil {
			return errors.New("bucket or entry missing")
		}
		return nil
	})
	if err != nil {
		t.Errorf("reading the file after Close: %v", err)
	}
}

func putRaw(t *testing.T, s *BoltStore, key string, record []byte) {
	t.Helper()
	err := s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(boltBucket).Put([]byte(key), record)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func countEntries(t *testing.T, s *BoltStore) int {
	t.Helper()
	n := 0
	err := s.db.View(func(tx *bbolt.Tx) error {
		n = tx.Bucket(boltBucket).Stats().KeyN
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
