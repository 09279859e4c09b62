package store

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// mappedKiB returns how much of the file at path this process has resident
// through its mappings, from /proc/self/smaps.
func mappedKiB(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	total, inFile := 0, false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			inFile = len(fields) >= 6 && fields[5] == path
			continue
		}
		if inFile && len(fields) == 3 && fields[0] == "Rss:" {
			kib, err := strconv.Atoi(fields[1])
			if err != nil {
				t.Fatal(err)
			}
			total += kib
		}
	}
	return total
}

// TestOpenKeepsCheckedPagesUnmapped checks that the walk over every page at
// open does not leave the whole file mapped into the process.
func TestOpenKeepsCheckedPagesUnmapped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keygate.db")
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	value := bytes.Repeat([]byte{'v'}, 2048)
	err = db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucket([]byte("filler"))
		if err != nil {
			return err
		}
		for i := range 3000 {
			if err := b.Put(fmt.Appendf(nil, "key%05d", i), value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err = openFile(Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	size := int(info.Size() >> 10)
	if got := mappedKiB(t, path); got > size/4 {
		t.Errorf("after open, %d KiB of the %d KiB file mapped, want at most %d", got, size, size/4)
	}
	var n int
	err = db.View(func(tx *bbolt.Tx) error { n = tx.Bucket([]byte("filler")).Stats().KeyN; return nil })
	if err != nil || n != 3000 {
		t.Errorf("after open: %d keys, err %v; want 3000", n, err)
	}
}
