package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// userSet names the set of the sessions issued to username: the hex SHA-256
// of the name in lower case (the users file ignores ASCII case).
func userSet(username string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(username)))
	return "u:" + hex.EncodeToString(sum[:])
}

// index records the session h as one of username's, for as long as it lives.
func (m *Manager) index(ctx context.Context, username string, h hashedID, s *Session) error {
	ttl := m.expiresAt(s).Sub(m.now())
	if err := m.store.AddMember(ctx, userSet(username), hex.EncodeToString(h[:]), ttl); err != nil {
		return fmt.Errorf("indexing session: %w", err)
	}
	return nil
}

// EndUser deletes every session issued to username (as Issue recorded them)
// and returns how many recorded sessions it went through, ended now or gone
// already (rotated, signed out). Callers use it when a user is disabled or
// removed, so that the sessions are gone, not only refused: enabling the user
// again revives none of them, a stolen one included. This instance stops
// accepting them at once, others within CacheTTL.
func (m *Manager) EndUser(ctx context.Context, username string) (int, error) {
	set := userSet(username)
	members, err := m.store.Members(ctx, set)
	if err != nil {
		return 0, fmt.Errorf("listing sessions of %s: %w", username, err)
	}
	var errs []error
	ended := make([]string, 0, len(members))
	for _, member := range members {
		var h hashedID
		if n, err := hex.Decode(h[:], []byte(member)); err != nil || n != len(h) {
			ended = append(ended, member) // not one of ours: drop it
			continue
		}
		if err := m.delete(ctx, h); err != nil {
			errs = append(errs, err)
			continue
		}
		ended = append(ended, member)
	}
	if err := m.store.RemoveMembers(ctx, set, ended...); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return len(ended), fmt.Errorf("ending sessions of %s: %w", username, err)
	}
	return len(ended), nil
}
