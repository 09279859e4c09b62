package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// inviteTokenBytes is the entropy of an invite token.
const inviteTokenBytes = 32

// invite is what the store keeps for a token: never the token itself.
type invite struct {
	User      string    `json:"user"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// CreateInvite makes a one-time enrollment token for user that expires after
// ttl: 32 random bytes, base64url without padding. Only the token's SHA-256 is
// stored, so a copy of the file yields no usable token. Expired invites are
// pruned in the same transaction.
func (s *Store) CreateInvite(ctx context.Context, user string, ttl time.Duration) (string, error) {
	if err := checkUser(user); err != nil {
		return "", err
	}
	if ttl <= 0 {
		return "", fmt.Errorf("creating invite: ttl %s is not positive: %w", ttl, ErrInvalid)
	}
	raw := make([]byte, inviteTokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("creating invite: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	v, err := json.Marshal(invite{User: user, CreatedAt: now, ExpiresAt: now.Add(ttl)})
	if err != nil {
		return "", fmt.Errorf("creating invite: %w", err)
	}
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketInvites)
		if err := pruneInvites(b, now); err != nil {
			return err
		}
		return b.Put(tokenKey(token), v)
	})
	if err != nil {
		return "", fmt.Errorf("creating invite: %w", err)
	}
	return token, nil
}

// PeekInvite returns the user an unexpired, unused invite is for, without
// using it up: for the options step of enrollment. ErrNotFound otherwise.
func (s *Store) PeekInvite(ctx context.Context, token string) (string, error) {
	var inv invite
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		inv, err = getInvite(tx.Bucket(bucketInvites), token, s.now())
		return err
	})
	if err != nil {
		return "", fmt.Errorf("checking invite: %w", err)
	}
	return inv.User, nil
}

// tokenKey is the bucket key of a token: its SHA-256. The lookup is by hash, so
// the comparison of secrets never happens byte by byte on the token itself.
func tokenKey(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func getInvite(b *bbolt.Bucket, token string, now time.Time) (invite, error) {
	if token == "" {
		return invite{}, ErrNotFound
	}
	v := b.Get(tokenKey(token))
	if v == nil {
		return invite{}, ErrNotFound
	}
	var inv invite
	if err := json.Unmarshal(v, &inv); err != nil {
		return invite{}, fmt.Errorf("decoding invite: %w", err)
	}
	if !now.Before(inv.ExpiresAt) {
		return invite{}, ErrNotFound
	}
	return inv, nil
}

// pruneInvites deletes expired invites (and unreadable ones).
func pruneInvites(b *bbolt.Bucket, now time.Time) error {
	var stale [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var inv invite
		if json.Unmarshal(v, &inv) != nil || !now.Before(inv.ExpiresAt) {
			stale = append(stale, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range stale {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
