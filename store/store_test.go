package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"
)

// clock is a settable time source for tests.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// newTestStore opens a store in a fresh file under t.TempDir with a fixed clock.
func newTestStore(t *testing.T) (*Store, *clock) {
	t.Helper()
	db, err := Open(Config{Path: filepath.Join(t.TempDir(), "data", "keygate.db")})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(db)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c := &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	s.now = c.now
	return s, c
}

func TestOpenModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	path := filepath.Join(dir, "keygate.db")
	db, err := Open(Config{Path: path})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	for _, tc := range []struct {
		path string
		want os.FileMode
	}{{dir, 0o700}, {path, 0o600}} {
		fi, err := os.Stat(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != tc.want {
			t.Errorf("mode of %s: got %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keygate.db")
	db, err := Open(Config{Path: path})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	second, err := Open(Config{Path: path})
	if err == nil {
		second.Close()
		t.Fatal("second Open: got nil error, want ErrLocked")
	}
	if !errors.Is(err, ErrLocked) {
		t.Errorf("second Open: got %v, want ErrLocked", err)
	}
	if want := "database is locked by another keygate process"; !strings.Contains(err.Error(), want) {
		t.Errorf("second Open: got %q, want it to contain %q", err, want)
	}
}

func TestNewIsIdempotent(t *testing.T) {
	s, _ := newTestStore(t)
	if _, err := New(s.db); err != nil {
		t.Fatalf("second New: %v", err)
	}
}

func TestCanceledContext(t *testing.T) {
	s, _ := newTestStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Credentials(ctx, "alice"); !errors.Is(err, context.Canceled) {
		t.Errorf("Credentials: got %v, want context.Canceled", err)
	}
	if err := s.AddCredential(ctx, "alice", testCredential("a", "Key")); !errors.Is(err, context.Canceled) {
		t.Errorf("AddCredential: got %v, want context.Canceled", err)
	}
}

func TestUserHandle(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	alice, err := s.UserHandle(ctx, "alice")
	if err != nil {
		t.Fatalf("UserHandle: %v", err)
	}
	if len(alice) != UserHandleLength {
		t.Errorf("handle length: got %d, want %d", len(alice), UserHandleLength)
	}
	if strings.Contains(string(alice), "alice") {
		t.Errorf("handle %x contains the username", alice)
	}
	again, err := s.UserHandle(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(alice, again); diff != "" {
		t.Errorf("second UserHandle differs (-first +second):\n%s", diff)
	}
	bob, err := s.UserHandle(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if string(bob) == string(alice) {
		t.Error("alice and bob got the same handle")
	}
	for _, tc := range []struct {
		handle []byte
		want   string
		err    error
	}{
		{alice, "alice", nil},
		{bob, "bob", nil},
		{[]byte("nobody"), "", ErrNotFound},
		{nil, "", ErrNotFound},
	} {
		got, err := s.UserByHandle(ctx, tc.handle)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("UserByHandle(%x): got %q, %v, want %q, %v", tc.handle, got, err, tc.want, tc.err)
		}
	}
	if _, err := s.UserHandle(ctx, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("UserHandle(\"\"): got %v, want ErrInvalid", err)
	}
}

func TestUserHandleConcurrentCreation(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	const n = 8
	handles := make(chan []byte, n)
	for range n {
		go func() {
			h, err := s.UserHandle(ctx, "carol")
			if err != nil {
				t.Error(err)
			}
			handles <- h
		}()
	}
	first := <-handles
	for range n - 1 {
		if h := <-handles; string(h) != string(first) {
			t.Fatalf("concurrent UserHandle: got %x and %x, want one handle", first, h)
		}
	}
}

// dump returns every key and value of the store's buckets, to compare states.
func dump(t *testing.T, s *Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			return walk(b, string(name), out)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func walk(b *bbolt.Bucket, prefix string, out map[string]string) error {
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			return walk(b.Bucket(k), prefix+"/"+string(k), out)
		}
		out[prefix+"/"+string(k)] = string(v)
		return nil
	})
}
