package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"go.etcd.io/bbolt"
)

// ErrDamaged means the bbolt file exists but is not a whole Keygate database:
// empty, truncated, or with a damaged page. Open never replaces such a file;
// the operator restores it from a backup (or moves it away to start empty).
var ErrDamaged = errors.New("database file is damaged")

// The layout of a bbolt meta page, read before bbolt maps the file so that a
// truncated file is refused instead of faulting: a 16-byte page header, then
// magic, version, page size, flags (4 bytes each), the root bucket (page and
// sequence), the freelist page, the high-water mark, the transaction ID and an
// FNV-64a checksum of everything before it (8 bytes each).
const (
	metaMagic      = 0xED0CDAED
	metaVersion    = 2
	pageHeaderSize = 16
	metaSize       = 64
	noFreelist     = 0xffffffffffffffff
	// maxVerifyErrors bounds the consistency problems quoted in an error.
	maxVerifyErrors = 3
)

// meta is the part of a meta page the size check needs.
type meta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	hwm      uint64 // pages in use: the file holds at least hwm*pageSize bytes
	txid     uint64
}

// damaged wraps ErrDamaged with the file, what is wrong and what to do.
func damaged(path, what string) error {
	return fmt.Errorf("%s: %w: %s; Keygate will not start on it nor replace it: "+
		"stop every keygate process, restore the file from a backup (or move it away "+
		"to start with an empty database, losing every credential)", path, ErrDamaged, what)
}

// checkFile refuses an existing file that bbolt cannot safely map: empty, shorter
// than a meta page says, or with no valid meta page. It reports false when the
// file does not exist, so that Open creates a new database.
func checkFile(path string) (exists bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return true, fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return true, fmt.Errorf("opening %s: %w", path, err)
	}
	if info.Size() == 0 {
		return true, damaged(path, "the file is empty (0 bytes)")
	}
	m, err := newestMeta(f)
	if err != nil {
		return true, damaged(path, err.Error())
	}
	if need := m.hwm * uint64(m.pageSize); uint64(info.Size()) < need {
		return true, damaged(path, fmt.Sprintf("the file is truncated: %d bytes, its header says %d", info.Size(), need))
	}
	if m.root >= m.hwm || (m.freelist != noFreelist && m.freelist >= m.hwm) {
		return true, damaged(path, "its header points past the end of the data")
	}
	return true, nil
}

// newestMeta returns the valid meta page with the highest transaction ID, as
// bbolt picks it. The second meta page sits one page after the first; its page
// size comes from the first valid one, or each size bbolt may use is tried.
func newestMeta(f io.ReaderAt) (meta, error) {
	first, err0 := readMeta(f, 0)
	var sizes []uint32
	if err0 == nil {
		sizes = []uint32{first.pageSize}
	} else {
		sizes = []uint32{4096, 8192, 16384, 65536}
	}
	best, found := first, err0 == nil
	for _, size := range sizes {
		second, err := readMeta(f, int64(size))
		if err == nil && second.pageSize == size && (!found || second.txid > best.txid) {
			best, found = second, true
		}
	}
	if !found {
		return meta{}, errors.New("neither header page is valid (not a bbolt file, or both damaged)")
	}
	return best, nil
}

// readMeta reads and validates the meta page at offset.
func readMeta(f io.ReaderAt, offset int64) (meta, error) {
	buf := make([]byte, pageHeaderSize+metaSize)
	if _, err := f.ReadAt(buf, offset); err != nil {
		return meta{}, err
	}
	b := buf[pageHeaderSize:]
	le := binary.LittleEndian
	if le.Uint32(b[0:]) != metaMagic || le.Uint32(b[4:]) != metaVersion {
		return meta{}, errors.New("not a meta page")
	}
	h := fnv.New64a()
	_, _ = h.Write(b[:56])
	if h.Sum64() != le.Uint64(b[56:]) {
		return meta{}, errors.New("meta checksum mismatch")
	}
	m := meta{pageSize: le.Uint32(b[8:]), root: le.Uint64(b[16:]), freelist: le.Uint64(b[32:]),
		hwm: le.Uint64(b[40:]), txid: le.Uint64(b[48:])}
	if m.pageSize < 1024 || m.pageSize&(m.pageSize-1) != 0 {
		return meta{}, errors.New("meta page size invalid")
	}
	return m, nil
}

// openChecked opens the file with bbolt and walks every page, turning the panics
// and memory faults a damaged page causes into ErrDamaged. The walk runs in this
// goroutine, where faults are panics; bbolt's own check (freelist, page
// references, key order) runs after it, once every reachable page has been read.
// The walk maps every page of the file into the process, so a checked file is
// opened again: the process then keeps mapped only the pages it goes on to read,
// not the whole file (13 MiB of a daemon's 33 MiB after a restart with 10,000
// sessions).
func openChecked(path string, opts bbolt.Options) (db *bbolt.DB, err error) {
	var file *os.File
	opts.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			if db != nil {
				_ = db.Close()
			} else if file != nil {
				_ = file.Close() // releases the lock a panicking Open took
			}
			db, err = nil, damaged(path, fmt.Sprintf("reading it failed: %v", p))
		}
	}()
	db, err = bbolt.Open(path, 0o600, &opts)
	if err != nil {
		return nil, err
	}
	if err := verify(db); err != nil {
		_ = db.Close()
		return nil, damaged(path, err.Error())
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	db = nil
	return bbolt.Open(path, 0o600, &opts)
}

// verify reads every key and value of every bucket, then runs bbolt's
// consistency check, and returns the first problems found.
func verify(db *bbolt.DB) error {
	return db.View(func(tx *bbolt.Tx) error {
		if err := tx.ForEach(func(_ []byte, b *bbolt.Bucket) error { return readAll(b) }); err != nil {
			return err
		}
		var problems []string
		for err := range tx.Check() {
			if len(problems) < maxVerifyErrors {
				problems = append(problems, err.Error())
			}
		}
		if len(problems) > 0 {
			return fmt.Errorf("consistency check: %s", strings.Join(problems, "; "))
		}
		return nil
	})
}

// readAll touches every page of b and its nested buckets.
func readAll(b *bbolt.Bucket) error {
	var sink byte
	err := b.ForEach(func(k, v []byte) error {
		if v == nil {
			if child := b.Bucket(k); child != nil {
				return readAll(child)
			}
			return nil
		}
		for i := 0; i < len(v); i += 1024 {
			sink ^= v[i]
		}
		return nil
	})
	_ = sink
	return err
}
