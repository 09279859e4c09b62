package store

import (
	"context"
	"time"
)

// backend is the contract of a place that keeps the store's data: the bbolt
// file (boltBackend) or PostgreSQL (pgBackend). Store checks arguments and
// makes random values; a backend only keeps data, and keeps these promises,
// which the conformance suite checks on both:
//
//   - Every write is one transaction: a refused write (ErrDuplicateID,
//     ErrDuplicateDescription, ErrNoInvite, ErrNotFound) changes nothing.
//   - A credential ID is unique across users; a description is unique per user
//     by foldDescription.
//   - An invite key is consumed in the transaction that stores the credential:
//     of concurrent enrollments with one invite, at most one succeeds.
//   - A sign counter is compared with the stored one inside the write.
//
// Every method fails with the context's error when ctx is done before it starts.
type backend interface {
	credentialBackend
	inviteBackend
	handleBackend
	auditBackend
	copyBackend
	tokenBackend
	serverKeyBackend
	name() string
	// ping returns nil when the backend answers a trivial request now.
	ping(ctx context.Context) error
	close() error
}

// credentialBackend keeps credentials, keyed by user and ID.
type credentialBackend interface {
	credentials(ctx context.Context, user string) ([]Credential, error)
	credential(ctx context.Context, user string, id []byte) (Credential, error)
	addCredential(ctx context.Context, user string, c Credential) error
	// addFirstCredential adds c unless user has a credential (ErrHasCredential),
	// checking and adding in one transaction that excludes any other first
	// credential of the same user.
	addFirstCredential(ctx context.Context, user string, c Credential) error
	renameCredential(ctx context.Context, user string, id []byte, description string) (Credential, error)
	deleteCredential(ctx context.Context, user string, id []byte) error
	deleteUserCredentials(ctx context.Context, user string) (int, error)
	// recordSignIn stores a sign-in unless the counter did not rise (see
	// counterRose); then it sets the clone warning and returns ErrSignCount.
	recordSignIn(ctx context.Context, user string, id []byte, in signIn) error
	setCloneWarning(ctx context.Context, user string, id []byte, on bool) error
}

// inviteBackend keeps invites by the SHA-256 of their token.
type inviteBackend interface {
	// putInvite stores inv under key and deletes invites expired at inv.CreatedAt.
	putInvite(ctx context.Context, key []byte, inv invite) error
	// peekInvite returns the invite under key unexpired at now, or ErrNotFound.
	peekInvite(ctx context.Context, key []byte, now time.Time) (invite, error)
	// enrollCredential deletes the invite under key, which must be unexpired
	// at now and for user (else ErrNoInvite), and adds c, in one transaction.
	enrollCredential(ctx context.Context, user string, c Credential, key []byte, now time.Time) error
}

// handleBackend keeps the WebAuthn user handles.
type handleBackend interface {
	// userHandle returns the user's handle, storing fresh as it when there is none.
	userHandle(ctx context.Context, user string, fresh []byte) ([]byte, error)
	userByHandle(ctx context.Context, handle []byte) (string, error)
}

// serverKeyBackend keeps the server's secret keys by name.
type serverKeyBackend interface {
	// serverKey returns the key named name, storing fresh as it when there is none.
	serverKey(ctx context.Context, name string, fresh []byte) ([]byte, error)
}

// auditBackend keeps the audit trail in order of appending.
type auditBackend interface {
	// appendAudit adds e and drops all but the latest limit events (limit > 0).
	appendAudit(ctx context.Context, e Event, limit int) error
	// auditEvents returns the events f selects, oldest first.
	auditEvents(ctx context.Context, f AuditFilter) ([]Event, error)
	// pruneAudit deletes up to max of the oldest events older than before.
	pruneAudit(ctx context.Context, before time.Time, max int) (int, error)
}

// copyBackend reads and writes everything at once, for migrations between
// backends and for tests that compare whole states.
type copyBackend interface {
	// export reads everything in one consistent read.
	export(ctx context.Context) (Snapshot, error)
	// load writes snap in one transaction. Unless replace, it fails with
	// ErrNotEmpty when the backend holds any credential, handle, invite or
	// audit event; with replace, it deletes them first.
	load(ctx context.Context, snap Snapshot, replace bool) error
}

// signIn is what a successful sign-in records.
type signIn struct {
	count       uint32
	backupState bool
	usedAt      time.Time
}

// counterRose reports whether a sign-in's counter may be recorded over the
// stored one: it rises, or both are zero (an authenticator without a counter).
func counterRose(stored, got uint32) bool {
	return got > stored || (got == 0 && stored == 0)
}
