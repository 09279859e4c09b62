package store

import (
	"errors"
	"fmt"
	"time"
)

// The package's sentinel errors. Callers test them with errors.Is.
var (
	// ErrNotFound means the user, credential, handle or invite does not exist
	// (an expired or used invite is not found either).
	ErrNotFound = errors.New("store: not found")
	// ErrDuplicate means a write would repeat a unique value. The two errors
	// below wrap it and say which one.
	ErrDuplicate = errors.New("store: duplicate")
	// ErrDuplicateID means the credential ID is already registered, for this
	// or for another user.
	ErrDuplicateID = fmt.Errorf("%w credential id", ErrDuplicate)
	// ErrDuplicateDescription means the user already has a credential with the
	// same description, compared case-insensitively.
	ErrDuplicateDescription = fmt.Errorf("%w description", ErrDuplicate)
	// ErrInvalid means an argument breaks a rule: an empty user, a description
	// that is empty, too long or holds control characters, an empty credential.
	ErrInvalid = errors.New("store: invalid")
	// ErrNoInvite means an enrollment found no usable invite for its token and
	// user: unknown, expired, used, or for another user. It wraps ErrNotFound.
	ErrNoInvite = fmt.Errorf("%w invite", ErrNotFound)
	// ErrSignCount means a sign-in's signature counter did not rise above the
	// stored one: the credential may be cloned, and UpdateAfterLogin has flagged it.
	ErrSignCount = errors.New("store: sign counter did not increase")
	// ErrNotEmpty means Load was asked to fill a store that already holds data.
	ErrNotEmpty = errors.New("store: target is not empty")
)

// DefaultAuditLimit is how many audit events the store keeps.
const DefaultAuditLimit = 10000

// Store keeps Keygate's durable data in the backend its Config names: the
// bbolt file or PostgreSQL. It checks and normalises every argument, makes the
// random values (user handles, invite tokens) and reads the clock; the backend
// keeps the data and enforces uniqueness and single use in its transactions.
// It is safe for concurrent use.
type Store struct {
	b          backend
	now        func() time.Time
	auditLimit int
}

// newStore wraps a backend.
func newStore(b backend) *Store {
	return &Store{b: b, now: time.Now, auditLimit: DefaultAuditLimit}
}

// Close releases the file or the connection pool. The store is unusable afterwards.
func (s *Store) Close() error {
	return s.b.close()
}

// Backend names where the data lives: "bbolt" or "postgres".
func (s *Store) Backend() string {
	return s.b.name()
}

// checkUser rejects an empty username.
func checkUser(user string) error {
	if user == "" {
		return fmt.Errorf("empty user: %w", ErrInvalid)
	}
	return nil
}
