package session

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"go.etcd.io/bbolt"
)

// The buckets of the shared bbolt file that BoltStore owns: its keys and
// values, and the members of its sets (set, 0, member -> expiry).
var (
	boltBucket     = []byte("sessions")
	boltSetsBucket = []byte("session_sets")
)

const (
	// boltSweepInterval is how often expired entries are removed from the file.
	boltSweepInterval = time.Minute
	// boltSweepBatch bounds the keys deleted in one write transaction, so a sweep
	// never holds the file's single writer lock for long.
	boltSweepBatch = 500
	// boltHeader is the length of the expiry that precedes every stored value.
	boltHeader = 8
)

// BoltFile runs transactions on the bbolt file that the store package owns
// (*store.File); a *bbolt.DB also satisfies it, as in tests.
type BoltFile interface {
	View(fn func(*bbolt.Tx) error) error
	Update(fn func(*bbolt.Tx) error) error
}

// BoltStore is the embedded Store: one bucket, "sessions", in the bbolt file that
// the rest of Keygate also uses. Each value carries its expiry; expired entries read
// as absent and a background goroutine removes them until Close.
type BoltStore struct {
	db     BoltFile
	logger *slog.Logger
	now    func() time.Time
	group  groupCommit // Set's writes, committed together (bolt_group.go)

	failures failures // see ObserveFailures

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

var _ Store = (*BoltStore)(nil)

// NewBoltStore creates the "sessions" bucket in db when missing and starts the sweeper.
// Close stops the sweeper; it does not close db, which its opener owns.
func NewBoltStore(db BoltFile, logger *slog.Logger) (*BoltStore, error) {
	return newBoltStore(db, logger, time.Now, boltSweepInterval)
}

func newBoltStore(db BoltFile, logger *slog.Logger, now func() time.Time, sweepEvery time.Duration) (*BoltStore, error) {
	err := db.Update(func(tx *bbolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(boltBucket); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(boltSetsBucket)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("creating sessions bucket: %w", err)
	}
	s := &BoltStore{
		db:     db,
		logger: logger.With("component", "session.bolt"),
		now:    now,
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	go s.sweepLoop(sweepEvery)
	return s, nil
}

// Get implements Store.
func (s *BoltStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var value []byte
	err := s.view(func(tx *bbolt.Tx) error {
		v, ok := s.live(tx.Bucket(boltBucket).Get([]byte(key)))
		if !ok {
			return ErrNotFound
		}
		value = append([]byte{}, v...)
		return nil
	})
	return value, err
}

// Set implements Store.
func (s *BoltStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.put([]byte(key), s.record(value, ttl)); err != nil {
		return fmt.Errorf("bolt set: %w", err)
	}
	return nil
}

// record is value as the bucket keeps it: its expiry, then the value.
func (s *BoltStore) record(value []byte, ttl time.Duration) []byte {
	record := make([]byte, boltHeader+len(value))
	binary.BigEndian.PutUint64(record, uint64(s.now().Add(ttl).UnixNano()))
	copy(record[boltHeader:], value)
	return record
}

// Delete implements Store.
func (s *BoltStore) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.update(func(tx *bbolt.Tx) error {
		return tx.Bucket(boltBucket).Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("bolt delete: %w", err)
	}
	return nil
}

// Take implements Store in one read-write transaction.
func (s *BoltStore) Take(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var value []byte
	err := s.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(boltBucket)
		raw := b.Get([]byte(key))
		if raw == nil {
			return ErrNotFound
		}
		v, ok := s.live(raw)
		if ok {
			value = append([]byte{}, v...)
		}
		if err := b.Delete([]byte(key)); err != nil {
			return fmt.Errorf("bolt take: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if value == nil {
		return nil, ErrNotFound
	}
	return value, nil
}

// vouch vouches for the cache at all times: the bbolt file is locked to this
// process, whose Manager is the only writer of its sessions and invalidates its
// cache at every change it makes (Issue, Destroy, End*). The sweeper only
// deletes sessions past the lifetime the Manager checks itself.
func (s *BoltStore) vouch(*sessionCache) vouchFunc {
	return func(time.Time) bool { return true }
}

var _ cacheVoucher = (*BoltStore)(nil)

// Close stops the sweeper and waits for it. It is safe to call more than once.
func (s *BoltStore) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.done
	})
	return nil
}

// live returns the value in record when record exists, is well formed and has not expired.
func (s *BoltStore) live(record []byte) ([]byte, bool) {
	if len(record) < boltHeader || s.expired(record) {
		return nil, false
	}
	return record[boltHeader:], true
}

func (s *BoltStore) expired(record []byte) bool {
	if len(record) < boltHeader {
		return true
	}
	return s.now().UnixNano() >= int64(binary.BigEndian.Uint64(record))
}

// ErrDamaged means a transaction on the bbolt file panicked or faulted on a
// damaged page. The call fails (callers fail closed, a 5xx); the daemon keeps
// running, and a restart refuses the file until it is restored.
var ErrDamaged = errors.New("session: the bbolt file is damaged; restore it from a backup")

// view is db.View with a damaged page's panic or memory fault turned into ErrDamaged.
func (s *BoltStore) view(fn func(*bbolt.Tx) error) error {
	return s.guard(func() error { return s.db.View(fn) })
}

// update is db.Update likewise; bbolt rolls the transaction back as the panic unwinds.
func (s *BoltStore) update(fn func(*bbolt.Tx) error) error {
	return s.guard(func() error { return s.db.Update(fn) })
}

// guard runs txn with memory faults as panics and recovers them. A fault can only
// come from reading the mapped file, which the recovery leaves as it was.
func (s *BoltStore) guard(txn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			s.logger.Error("bbolt transaction failed on a damaged file", "panic", fmt.Sprint(p))
			err = ErrDamaged
		}
		s.failures.count(err)
	}()
	return txn()
}
