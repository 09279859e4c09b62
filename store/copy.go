package store

import (
	"context"
	"fmt"
	"time"

	"github.com/keygate/keygate/token"
)

// Snapshot is everything the store holds, read at one moment: what
// `keygate migrate-storage` copies from one backend to the other. Sessions are
// not in it; they belong to the session package.
type Snapshot struct {
	// Credentials are each user's credentials, ordered by creation.
	Credentials map[string][]Credential
	// Handles are the WebAuthn user handles by user.
	Handles map[string][]byte
	// Invites are the unused invites, expired ones included.
	Invites []StoredInvite
	// Audit is the audit trail, oldest first.
	Audit []Event
	// Tokens are the API tokens (their hashes, never secrets), by ID.
	Tokens []token.Token
}

// StoredInvite is an invite as the store keeps it: the SHA-256 of its token,
// never the token.
type StoredInvite struct {
	TokenHash []byte
	User      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Counts are how many of each kind a Snapshot holds.
type Counts struct {
	Users, Credentials, Handles, Invites, AuditEvents, Tokens int
}

// Counts counts the snapshot's records; Users counts users with a credential.
func (s Snapshot) Counts() Counts {
	c := Counts{Handles: len(s.Handles), Invites: len(s.Invites), AuditEvents: len(s.Audit), Tokens: len(s.Tokens)}
	for _, creds := range s.Credentials {
		if len(creds) > 0 {
			c.Users++
		}
		c.Credentials += len(creds)
	}
	return c
}

// String is the counts as `keygate migrate-storage` prints them.
func (c Counts) String() string {
	return fmt.Sprintf("%d users with credentials, %d credentials, %d user handles, %d invites, %d audit events, %d API tokens",
		c.Users, c.Credentials, c.Handles, c.Invites, c.AuditEvents, c.Tokens)
}

// Export reads everything the store holds in one consistent read.
func (s *Store) Export(ctx context.Context) (Snapshot, error) {
	snap, err := s.b.export(ctx)
	err = s.observe(err)
	if err != nil {
		return Snapshot{}, fmt.Errorf("exporting: %w", err)
	}
	return snap, nil
}

// Load writes snap into the store in one transaction. It fails with
// ErrNotEmpty, writing nothing, when the store holds any credential, handle,
// invite, audit event or API token, unless replace, which deletes them first. Sessions
// are left alone.
func (s *Store) Load(ctx context.Context, snap Snapshot, replace bool) error {
	if err := s.observe(s.b.load(ctx, snap, replace)); err != nil {
		return fmt.Errorf("loading: %w", err)
	}
	return nil
}
