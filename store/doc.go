// Package store keeps Keygate's durable data in the bbolt file: WebAuthn
// credentials, WebAuthn user handles, enrollment invites, API tokens and the
// audit trail.
//
// The daemon opens the file once with Open and hands the *bbolt.DB both to the
// session package (which owns the "sessions" bucket) and to New. No other
// package touches bbolt.
//
// # Who may import it
//
// cmd/keygate (wiring and admin commands), webauthn (credentials and handles,
// through an interface it owns), ui (invites, tokens and audit) and authz
// (tokens, through an interface it owns). The store knows
// nothing about WebAuthn verification, HTTP or the users file: it does not check
// that a user exists in the directory.
//
// # Invariants
//
//   - Every write is one bbolt transaction: a credential is stored whole or not
//     at all, and a failed write (duplicate ID or description, invalid input)
//     leaves the file unchanged.
//   - A credential ID belongs to one user at most; the credential_ids index and
//     the per-user buckets change together.
//   - Descriptions are 1-64 characters after trimming, without control
//     characters, unique per user regardless of case (NormalizeDescription).
//   - A user handle is 64 bytes from crypto/rand, created on first need and
//     never derived from the username; it survives a credential reset so that
//     authenticators replace their old passkey for the user.
//   - A sign counter only rises: UpdateAfterLogin checks it again inside its
//     write transaction and flags the credential when it did not rise.
//   - An invite token is never stored, only its SHA-256. EnrollCredential
//     checks the invite, deletes it and adds the credential in one read-write
//     transaction: a token works once even under concurrency, never after it
//     expires, and is used exactly when a credential is stored with it.
//   - The audit trail is bounded: the latest DefaultAuditLimit events.
//   - An API token's secret is never stored, only its SHA-256 (token.Token). The
//     "tokens" bucket is created by the first AddToken, so older files need no
//     migration; an unknown ID is ErrNotFound and token.ErrUnknown.
//
// # Caveats
//
// bbolt allows one process per file. A second process (an admin command while
// the daemon runs) fails after about a second with ErrLocked; such commands must
// go through the running daemon. Calls check their context only before a
// transaction starts: bbolt transactions cannot be interrupted.
package store
