package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
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
)

// The buckets the store owns in the shared file. The session package owns its own.
var (
	bucketCredentials   = []byte("credentials")    // user -> bucket of credential ID -> JSON
	bucketCredentialIDs = []byte("credential_ids") // credential ID -> user
	bucketHandles       = []byte("user_handles")   // user -> handle
	bucketHandleUsers   = []byte("handle_users")   // handle -> user
	bucketInvites       = []byte("invites")        // SHA-256(token) -> JSON
	bucketAudit         = []byte("audit")          // big-endian sequence -> JSON
)

// DefaultAuditLimit is how many audit events the store keeps.
const DefaultAuditLimit = 100000

// Store keeps Keygate's durable data in a bbolt file shared with the session
// package. It is safe for concurrent use.
type Store struct {
	db         *bbolt.DB
	now        func() time.Time
	auditLimit int
	failed     func() // see ObserveFailures; nil: not observed
}

// New creates the store's buckets in db when missing and returns the store.
// The caller owns db and closes it after the last use of the store.
func New(db *bbolt.DB) (*Store, error) {
	err := db.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{
			bucketCredentials, bucketCredentialIDs, bucketHandles,
			bucketHandleUsers, bucketInvites, bucketAudit,
		} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("creating bucket %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Store{db: db, now: time.Now, auditLimit: DefaultAuditLimit}, nil
}

// view runs fn in a read-only transaction unless ctx is already done.
func (s *Store) view(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.observe(s.db.View(fn))
}

// update runs fn in one read-write transaction unless ctx is already done.
// When fn fails nothing it wrote is kept.
func (s *Store) update(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.observe(s.db.Update(fn))
}

// checkUser rejects an empty username.
func checkUser(user string) error {
	if user == "" {
		return fmt.Errorf("empty user: %w", ErrInvalid)
	}
	return nil
}

// Ping reports whether the bbolt file answers: it runs an empty read transaction.
func (s *Store) Ping(ctx context.Context) error {
	return s.view(ctx, func(*bbolt.Tx) error { return nil })
}
