package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"
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
// stored, so a copy of the data yields no usable token. Expired invites are
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
	if err := s.b.putInvite(ctx, tokenKey(token), invite{User: user, CreatedAt: now, ExpiresAt: now.Add(ttl)}); err != nil {
		return "", fmt.Errorf("creating invite: %w", err)
	}
	return token, nil
}

// PeekInvite returns the user an unexpired, unused invite is for, without
// using it up: for the options step of enrollment. ErrNotFound otherwise.
func (s *Store) PeekInvite(ctx context.Context, token string) (string, error) {
	if token == "" {
		return "", fmt.Errorf("checking invite: %w", ErrNotFound)
	}
	inv, err := s.b.peekInvite(ctx, tokenKey(token), s.now())
	if err != nil {
		return "", fmt.Errorf("checking invite: %w", err)
	}
	return inv.User, nil
}

// tokenKey is the key of a token: its SHA-256. The lookup is by hash, so the
// comparison of secrets never happens byte by byte on the token itself.
func tokenKey(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
