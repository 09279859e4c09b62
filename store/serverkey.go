package store

import (
	"context"
	"crypto/rand"
	"fmt"
)

// ServerKeyLength is the size of a server key in bytes: 256 bits, the block
// of HMAC-SHA-256.
const ServerKeyLength = 32

// ServerKey returns the server's secret key named name, creating it on first
// need: ServerKeyLength bytes from crypto/rand, kept in the store and never
// shown. Every daemon on the same store (the replicas sharing PostgreSQL)
// gets the same key, so what one replica signs with it the others accept.
// Of two daemons creating the same key at once, one's is kept and both
// return it. A key is not part of a Snapshot: after migrate-storage the new
// store makes a new key, and what the old one signed no longer verifies.
func (s *Store) ServerKey(ctx context.Context, name string) ([]byte, error) {
	if name == "" || len(name) > maxServerKeyName {
		return nil, fmt.Errorf("server key name %q: %w", name, ErrInvalid)
	}
	fresh := make([]byte, ServerKeyLength)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("creating server key %s: %w", name, err)
	}
	key, err := s.b.serverKey(ctx, name, fresh)
	err = s.observe(err)
	if err != nil {
		return nil, fmt.Errorf("server key %s: %w", name, err)
	}
	return key, nil
}

// maxServerKeyName bounds a server key's name.
const maxServerKeyName = 64
