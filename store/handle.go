package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"

	"go.etcd.io/bbolt"
)

// UserHandleLength is the size of a WebAuthn user handle in bytes, the most
// the specification allows.
const UserHandleLength = 64

// UserHandle returns the user's WebAuthn user handle, creating it on first
// need: 64 random bytes, never derived from the username, so a credential
// reveals nothing about who owns it.
func (s *Store) UserHandle(ctx context.Context, user string) ([]byte, error) {
	if err := checkUser(user); err != nil {
		return nil, err
	}
	var handle []byte
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		handle = bytes.Clone(tx.Bucket(bucketHandles).Get([]byte(user)))
		return nil
	})
	if err != nil || handle != nil {
		return handle, err
	}
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		var err error
		handle, err = createHandle(tx, user)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("creating user handle: %w", err)
	}
	return handle, nil
}

// createHandle returns the user's handle, creating it when no other
// transaction has done so in the meantime.
func createHandle(tx *bbolt.Tx, user string) ([]byte, error) {
	handles := tx.Bucket(bucketHandles)
	if h := handles.Get([]byte(user)); h != nil {
		return bytes.Clone(h), nil
	}
	handle := make([]byte, UserHandleLength)
	if _, err := rand.Read(handle); err != nil {
		return nil, err
	}
	users := tx.Bucket(bucketHandleUsers)
	if users.Get(handle) != nil { // 512 random bits; never in practice
		return nil, fmt.Errorf("handle collision: %w", ErrDuplicate)
	}
	if err := handles.Put([]byte(user), handle); err != nil {
		return nil, err
	}
	return handle, users.Put(handle, []byte(user))
}

// UserByHandle returns the user whose handle this is, or ErrNotFound.
func (s *Store) UserByHandle(ctx context.Context, handle []byte) (string, error) {
	var user string
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if len(handle) == 0 {
			return ErrNotFound
		}
		v := tx.Bucket(bucketHandleUsers).Get(handle)
		if v == nil {
			return ErrNotFound
		}
		user = string(v)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("finding user by handle: %w", err)
	}
	return user, nil
}
