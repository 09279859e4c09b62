package store

import (
	"context"
	"crypto/rand"
	"fmt"
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
	fresh := make([]byte, UserHandleLength)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("creating user handle: %w", err)
	}
	handle, err := s.b.userHandle(ctx, user, fresh)
	if err != nil {
		return nil, fmt.Errorf("creating user handle: %w", err)
	}
	return handle, nil
}

// UserByHandle returns the user whose handle this is, or ErrNotFound.
func (s *Store) UserByHandle(ctx context.Context, handle []byte) (string, error) {
	if len(handle) == 0 {
		return "", fmt.Errorf("finding user by handle: %w", ErrNotFound)
	}
	user, err := s.b.userByHandle(ctx, handle)
	if err != nil {
		return "", fmt.Errorf("finding user by handle: %w", err)
	}
	return user, nil
}
