package session

import (
	"bytes"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// sweepLoop removes expired entries every interval until Close.
func (s *BoltStore) sweepLoop(every time.Duration) {
	defer close(s.done)
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-ticker.C:
			n, err := s.sweep()
			if err != nil {
				s.logger.Warn("sweeping expired sessions", "error", err)
				continue
			}
			if n > 0 {
				s.logger.Debug("swept expired sessions", "count", n)
			}
		}
	}
}

// sweep deletes every expired or malformed entry and set member, in batches
// of at most boltSweepBatch keys per write transaction, and reports how many
// it deleted.
func (s *BoltStore) sweep() (int, error) {
	total := 0
	for _, bucket := range [][]byte{boltBucket, boltSetsBucket} {
		n, err := s.sweepBucket(bucket)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// sweepBucket is sweep for one bucket.
func (s *BoltStore) sweepBucket(bucket []byte) (int, error) {
	total := 0
	var after []byte
	for {
		keys, next, err := s.expiredKeys(bucket, after)
		if err != nil {
			return total, err
		}
		n, err := s.deleteExpired(bucket, keys)
		total += n
		if err != nil {
			return total, err
		}
		if next == nil {
			return total, nil
		}
		after = next
	}
}

// expiredKeys scans from the key after `after` and returns up to boltSweepBatch
// expired keys, and the key to resume from (nil at the end of the bucket).
func (s *BoltStore) expiredKeys(bucket, after []byte) (keys [][]byte, next []byte, err error) {
	err = s.view(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		k, v := c.First()
		if after != nil {
			k, v = c.Seek(after)
			if k != nil && bytes.Equal(k, after) {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			if len(keys) == boltSweepBatch {
				next = append([]byte{}, keys[len(keys)-1]...)
				return nil
			}
			if s.expired(v) {
				keys = append(keys, append([]byte{}, k...))
			}
		}
		return nil
	})
	return keys, next, err
}

// deleteExpired deletes those of keys that are still expired: a key may have been
// set anew since it was found.
func (s *BoltStore) deleteExpired(bucket []byte, keys [][]byte) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	n := 0
	err := s.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucket)
		for _, k := range keys {
			v := b.Get(k)
			if v == nil || !s.expired(v) {
				continue
			}
			if err := b.Delete(k); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("deleting expired sessions: %w", err)
	}
	return n, nil
}
