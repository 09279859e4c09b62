package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// filledFile writes a database with enough credentials to span many pages and
// returns its path and size.
func filledFile(t *testing.T) (string, int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keygate.db")
	ctx := context.Background()
	s, err := Open(ctx, Config{Path: path}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		user := fmt.Sprintf("user%03d", i)
		if _, err := s.UserHandle(ctx, user); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, info.Size()
}

// damage changes the file at path as the case says.
type damage func(t *testing.T, path string, size int64)

func truncateTo(n func(size int64) int64) damage {
	return func(t *testing.T, path string, size int64) {
		if err := os.Truncate(path, n(size)); err != nil {
			t.Fatal(err)
		}
	}
}

// overwrite fills the page at index n(size/4096) with garbage.
func overwrite(page func(pages int64) int64, fill byte) damage {
	return func(t *testing.T, path string, size int64) {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		buf := make([]byte, 4096)
		for i := range buf {
			buf[i] = fill ^ byte(i*7)
		}
		if _, err := f.WriteAt(buf, page(size/4096)*4096); err != nil {
			t.Fatal(err)
		}
	}
}

// leafPageFrom returns the first page at or after from that holds keys in use
// (a leaf), so that overwriting it damages data rather than a free page.
func leafPageFrom(t *testing.T, path string, from int64) int64 {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var page int64 = -1
	err = db.View(func(tx *bbolt.Tx) error {
		for id := from; ; id++ {
			info, err := tx.Page(int(id))
			if err != nil || info == nil { // nil: past the pages in use
				return err
			}
			if info.Type == "leaf" {
				page = id
				return nil
			}
		}
	})
	if err != nil || page < 0 {
		t.Fatalf("no leaf page from %d in %s: %v", from, path, err)
	}
	return page
}

func TestOpenRefusesDamagedFile(t *testing.T) {
	tests := []struct {
		name   string
		damage damage
		want   string
	}{
		{"empty", truncateTo(func(int64) int64 { return 0 }), "empty (0 bytes)"},
		{"truncated to 64 KiB", truncateTo(func(int64) int64 { return 64 << 10 }), "truncated"},
		{"halved", truncateTo(func(s int64) int64 { return s / 2 }), "truncated"},
		{"both headers overwritten", func(t *testing.T, path string, size int64) {
			overwrite(func(int64) int64 { return 0 }, 0x5a)(t, path, size)
			overwrite(func(int64) int64 { return 1 }, 0x5a)(t, path, size)
		}, "neither header page is valid"},
		{"first leaf page overwritten", func(t *testing.T, path string, size int64) {
			page := leafPageFrom(t, path, 2)
			overwrite(func(int64) int64 { return page }, 0xff)(t, path, size)
		}, "damaged"},
		{"middle leaf page overwritten", func(t *testing.T, path string, size int64) {
			page := leafPageFrom(t, path, size/4096/3)
			overwrite(func(int64) int64 { return page }, 0x11)(t, path, size)
		}, "damaged"},
		{"not a database", func(t *testing.T, path string, _ int64) {
			if err := os.WriteFile(path, []byte(strings.Repeat("hello\n", 2000)), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "neither header page is valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, size := filledFile(t)
			tt.damage(t, path, size)
			before, _ := os.ReadFile(path)
			db, err := openFile(Config{Path: path})
			if err == nil {
				db.Close()
				t.Fatalf("Open(%s) = nil error, want ErrDamaged", tt.name)
			}
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), tt.want) ||
				!strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "backup") {
				t.Fatalf("Open(%s) error = %v, want ErrDamaged naming the file, %q and a backup", tt.name, err, tt.want)
			}
			after, _ := os.ReadFile(path)
			if string(before) != string(after) {
				t.Errorf("Open(%s) changed the file: %d bytes before, %d after", tt.name, len(before), len(after))
			}
		})
	}
}

func TestOpenCreatesOnlyWhenMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "keygate.db")
	db, err := openFile(Config{Path: path})
	if err != nil {
		t.Fatalf("Open(missing) = %v, want a new database", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = openFile(Config{Path: path})
	if err != nil {
		t.Fatalf("Open(existing) = %v, want it opened", err)
	}
	db.Close()
}

func TestOpenAfterRefusalReleasesLock(t *testing.T) {
	path, size := filledFile(t)
	page := leafPageFrom(t, path, size/4096/3)
	overwrite(func(int64) int64 { return page }, 0x11)(t, path, size)
	if _, err := openFile(Config{Path: path}); !errors.Is(err, ErrDamaged) {
		t.Fatalf("Open = %v, want ErrDamaged", err)
	}
	// bbolt locks the file; a refused open must not keep the lock.
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: lockTimeout, ReadOnly: true})
	if err != nil {
		t.Fatalf("bbolt.Open after refusal = %v, want the lock free", err)
	}
	db.Close()
}
