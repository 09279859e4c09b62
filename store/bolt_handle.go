package store

import (
	"bytes"
	"context"
	"fmt"

	"go.etcd.io/bbolt"
)

func (b *boltBackend) userHandle(ctx context.Context, user string, fresh []byte) ([]byte, error) {
	var handle []byte
	err := b.view(ctx, func(tx *bbolt.Tx) error {
		handle = bytes.Clone(tx.Bucket(bucketHandles).Get([]byte(user)))
		return nil
	})
	if err != nil || handle != nil {
		return handle, err
	}
	err = b.update(ctx, func(tx *bbolt.Tx) error {
		var err error
		handle, err = createHandle(tx, user, fresh)
		return err
	})
	return handle, err
}

// createHandle returns the user's handle, storing fresh as it when no other
// transaction has created one in the meantime.
func createHandle(tx *bbolt.Tx, user string, fresh []byte) ([]byte, error) {
	handles := tx.Bucket(bucketHandles)
	if h := handles.Get([]byte(user)); h != nil {
		return bytes.Clone(h), nil
	}
	users := tx.Bucket(bucketHandleUsers)
	if users.Get(fresh) != nil { // 512 random bits; never in practice
		return nil, fmt.Errorf("handle collision: %w", ErrDuplicate)
	}
	if err := handles.Put([]byte(user), fresh); err != nil {
		return nil, err
	}
	return bytes.Clone(fresh), users.Put(fresh, []byte(user))
}

func (b *boltBackend) userByHandle(ctx context.Context, handle []byte) (string, error) {
	var user string
	err := b.view(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketHandleUsers).Get(handle)
		if v == nil {
			return ErrNotFound
		}
		user = string(v)
		return nil
	})
	return user, err
}
