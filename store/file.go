package store

import (
	"io"

	"go.etcd.io/bbolt"
)

// File is the bbolt file as the packages that keep their own buckets in it
// (session) see it: transactions, not the file. The store opens and closes it.
type File struct {
	db *bbolt.DB
}

// View runs fn in a read-only transaction.
func (f *File) View(fn func(*bbolt.Tx) error) error { return f.db.View(fn) }

// Update runs fn in a read-write transaction, kept only when fn returns nil.
func (f *File) Update(fn func(*bbolt.Tx) error) error { return f.db.Update(fn) }

// Writes returns the number of read-write transactions committed on the file
// since it was opened.
func (f *File) Writes() int64 {
	st := f.db.Stats()
	return st.TxStats.GetWrite()
}

// File returns the bbolt file the store keeps its data in, and false when the
// store is on PostgreSQL.
func (s *Store) File() (*File, bool) {
	b, ok := s.b.(*boltBackend)
	if !ok {
		return nil, false
	}
	return &File{db: b.db}, true
}

// WriteTo writes a consistent copy of the whole file (every bucket, the
// sessions' too) to w, from one read transaction, while the file stays in use.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	return f.Copy(w, func(int64) {})
}

// Copy is WriteTo that first tells size how many bytes the copy will have,
// so that a receiver can tell a whole copy from a cut one.
func (f *File) Copy(w io.Writer, size func(int64)) (int64, error) {
	var n int64
	err := f.db.View(func(tx *bbolt.Tx) error {
		size(tx.Size())
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}
