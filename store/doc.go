// Package store keeps Keygate's durable data: WebAuthn credentials, WebAuthn
// user handles, enrollment invites, API tokens, the audit trail and the
// server's secret keys (ServerKey: one per name, from crypto/rand on first
// need, the same for every replica on one database), in the
// bbolt file (the default, storage.path) or in PostgreSQL (storage.postgres),
// one or the other.
//
// Open reads the Config and returns a *Store on the chosen backend; the store
// owns its file or connection pool and Close releases it. No bbolt or pgx
// type leaves the package: the session package keeps its own bucket in the
// bbolt file through File, which hands out transactions, not the file.
//
// The Store checks and normalises arguments, makes the random values (user
// handles, invite tokens) and reads the clock, once for both backends. The
// backend interface (backend.go) is the storage contract: what a backend must
// keep and promise. One conformance suite (conformance_test.go) runs the
// Store's whole contract on both backends, PostgreSQL being a real server
// the tests start on loopback.
//
// # Who may import it
//
// cmd/keygate (wiring and admin commands), webauthn (credentials and handles,
// through an interface it owns), ui (invites, tokens and audit), authz
// (tokens, through an interface it owns) and session (File only, through an
// interface it owns). The store knows nothing about WebAuthn verification,
// HTTP or the users file: it does not check that a user exists in the
// directory.
//
// # Invariants
//
//   - Every write is one transaction: a credential is stored whole or not at
//     all, and a failed write (duplicate ID or description, invalid input,
//     unusable invite) leaves the data unchanged.
//   - A credential ID belongs to one user at most.
//   - Descriptions are 1-64 characters after trimming, without control
//     characters, unique per user regardless of case (NormalizeDescription;
//     simple case folding, the same on both backends whatever PostgreSQL's
//     collation).
//   - A user handle is 64 bytes from crypto/rand, created on first need and
//     never derived from the username; it survives a credential reset so that
//     authenticators replace their old passkey for the user.
//   - A sign counter only rises: UpdateAfterLogin compares it with the stored
//     one inside the write (bbolt's single writer; PostgreSQL's
//     UPDATE ... WHERE sign_count < new) and flags the credential when it did
//     not rise. Of sign-ins racing with one counter, one is recorded.
//   - An invite token is never stored, only its SHA-256. EnrollCredential
//     deletes the invite and adds the credential in one transaction: a token
//     works once even under concurrency (and across replicas on PostgreSQL),
//     never after it expires, and is used exactly when a credential is stored.
//   - AddFirstCredential checks that the user has no credential and adds one
//     in one transaction: of a first credential and another added at once,
//     one fails with ErrHasCredential.
//   - The audit trail is bounded: the latest DefaultAuditLimit events, and
//     PruneAudit deletes those older than the retention the daemon applies.
//     An event's user agent is cut to MaxUserAgent bytes.
//   - ObserveFailures sees only the store's own failures, never a missing,
//     duplicate or invalid value: those are answers, not faults.
//   - PostgreSQL's schema is versioned (migrations/NNNN_name.sql, recorded in
//     schema_migrations) and migrated at Open under pg_advisory_lock, so that
//     replicas starting together apply each version once.
//   - An API token's secret is never stored, only its SHA-256 (token.Token). The
//     "tokens" bucket is created by the first AddToken, so older files need no
//     migration; an unknown ID is ErrNotFound and token.ErrUnknown.
//
// # Caveats
//
// Open creates a database only where no file exists. An existing file is checked
// before use (its header pages against its size, then every page read and bbolt's
// consistency check, with panics and memory faults turned into errors): an empty,
// truncated or damaged file fails with ErrDamaged, naming the file and asking for
// a backup, and is never replaced. The check reads the whole file at each start;
// the file is then opened again, so that its pages do not all stay mapped into
// the process (they stay in the page cache, as a file read with read(2) would).
//
// bbolt allows one process per file. A second process (an admin command while
// the daemon runs) fails after about a second with ErrLocked; such commands must
// go through the running daemon. On bbolt, calls check their context only
// before a transaction starts: bbolt transactions cannot be interrupted.
// PostgreSQL keeps times to the microsecond; the bbolt file to the nanosecond.
package store
