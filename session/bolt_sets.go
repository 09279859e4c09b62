package session

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// memberKey is the key of member in set, in the sets bucket.
func memberKey(set, member string) []byte {
	k := make([]byte, 0, len(set)+1+len(member))
	k = append(k, set...)
	k = append(k, 0)
	return append(k, member...)
}

// AddMember implements Store.
func (s *BoltStore) AddMember(ctx context.Context, set, member string, ttl time.Duration) error {
	if err := checkMember(set, member, ttl); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var record [boltHeader]byte
	binary.BigEndian.PutUint64(record[:], uint64(s.now().Add(ttl).UnixNano()))
	err := s.update(func(tx *bbolt.Tx) error {
		return tx.Bucket(boltSetsBucket).Put(memberKey(set, member), record[:])
	})
	if err != nil {
		return fmt.Errorf("bolt add member: %w", err)
	}
	return nil
}

// Members implements Store.
func (s *BoltStore) Members(ctx context.Context, set string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	prefix := memberKey(set, "")
	var members []string
	err := s.view(func(tx *bbolt.Tx) error {
		c := tx.Bucket(boltSetsBucket).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if !s.expired(v) {
				members = append(members, string(k[len(prefix):]))
			}
		}
		return nil
	})
	return members, err
}

// RemoveMembers implements Store.
func (s *BoltStore) RemoveMembers(ctx context.Context, set string, members ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(boltSetsBucket)
		for _, m := range members {
			if err := b.Delete(memberKey(set, m)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bolt remove members: %w", err)
	}
	return nil
}
