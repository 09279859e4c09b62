package store

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// clock is a settable time source for tests.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// opener opens an empty store of one backend with a fixed clock; the test's
// cleanup closes it.
type opener func(t *testing.T) (*Store, *clock)

// withClock sets a fixed clock on s.
func withClock(s *Store) (*Store, *clock) {
	c := &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	s.now = c.now
	return s, c
}

// openBolt opens a store in a fresh bbolt file under t.TempDir.
func openBolt(t *testing.T) (*Store, *clock) {
	t.Helper()
	s, err := Open(context.Background(), Config{Path: filepath.Join(t.TempDir(), "data", "keygate.db")}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return withClock(s)
}

func TestOpenModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	path := filepath.Join(dir, "keygate.db")
	db, err := openFile(Config{Path: path})
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
	db, err := Open(context.Background(), Config{Path: path}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	second, err := Open(context.Background(), Config{Path: path}, slog.New(slog.DiscardHandler))
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

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keygate.db")
	ctx := context.Background()
	for i := range 2 {
		s, err := Open(ctx, Config{Path: path}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		if i == 0 {
			err = s.AddCredential(ctx, "alice", testCredential("a", "Key"))
		} else {
			_, err = s.Credential(ctx, "alice", []byte("a"))
		}
		s.Close()
		if err != nil {
			t.Fatalf("store #%d: %v", i+1, err)
		}
	}
}

func testCanceledContext(t *testing.T, open opener) {
	s, _ := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Credentials(ctx, "alice"); !errors.Is(err, context.Canceled) {
		t.Errorf("Credentials: got %v, want context.Canceled", err)
	}
	if err := s.AddCredential(ctx, "alice", testCredential("a", "Key")); !errors.Is(err, context.Canceled) {
		t.Errorf("AddCredential: got %v, want context.Canceled", err)
	}
}

func testUserHandle(t *testing.T, open opener) {
	s, _ := open(t)
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

func testUserHandleConcurrentCreation(t *testing.T, open opener) {
	s, _ := open(t)
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

// dump returns everything the store holds, to compare states.
func dump(t *testing.T, s *Store) Snapshot {
	t.Helper()
	snap, err := s.Export(context.Background())
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	return snap
}
