// Package directory is Keygate's source of users: it reads the users file,
// verifies passwords against their hashes, and reloads the file when it
// changes.
//
// The users file is YAML with one top-level key, users, mapping each username
// to display_name, email, groups, password and disabled. A user without a
// password signs in with passkeys only. Authelia's users_database.yml reads
// as it is: displayname is accepted for display_name (both at once is an
// error), and password may be a hash in any scheme Authelia or crypt(3)
// writes that is still worth accepting: argon2id, argon2i, bcrypt ($2a$,
// $2b$, $2y$), scrypt, sha512crypt ($6$), sha256crypt ($5$) and pbkdf2
// (sha1, sha224, sha256, sha384, sha512). argon2id is parsed here and derived
// with x/crypto; the other schemes are read and checked by go-crypt, which is
// imported only in hash.go. HashPassword always writes argon2id. Parsing is
// strict: an unknown key, a malformed email or group, a password that is not
// a hash of a supported scheme, or a cost beyond the bounds in hash.go and
// password.go is an error naming the line and the user, and every error is
// reported at once. A hash that does not parse never turns its user into a
// passkey-only user.
//
// The package does not store credentials, sessions or sign-in failures, does
// not rate-limit by user or address (the caller regulates), and never writes
// the users file except to create the first one (CreateDefault). It imports
// only the standard library, x/crypto, go-crypt and the YAML parser; the ui,
// cmd and config packages may import it.
//
// Invariants:
//   - Authenticate costs the same whatever the username: one hash of each
//     class (scheme and cost parameters) present in the file, the user's own
//     hash standing for its class and another user's hash of the same class
//     for the rest, so response time does not tell which usernames exist or
//     which scheme a user has. A file that mixes classes makes every sign-in
//     pay for each (New logs a warning); a file with no hash at all is
//     checked against a dummy argon2id hash with the default parameters.
//     Every failure is ErrInvalidCredentials.
//   - An argon2id hash runs on one goroutine whatever its p (the lanes are filled one
//     after the other; the result is standard Argon2id), on a thread of its
//     own at nice 10 (Linux) that ends with it, and at most HashSlots
//     (GOMAXPROCS-1, at least 1) run at once, so sign-ins never take every
//     CPU from forward-auth and yield to it when CPUs are short. Only as many run as fit in 128
//     MiB of hash memory (two with the default parameters, 64 MiB each; a
//     larger hash runs alone); further callers wait, first come first served,
//     and give up when their context is done. On Linux a hash's memory is
//     mapped outside the Go heap and unmapped the moment the hash ends (no
//     heap growth, no collection, no assist work for other goroutines);
//     elsewhere it is garbage-collected at once and returned to the operating
//     system once no hash has run for a second. Either way a flood of sign-ins
//     costs at most 128 MiB of hash memory and an idle daemon keeps none of it.
//   - Readers see one consistent set of users: each reload builds a new
//     immutable snapshot and swaps it in atomically. A reload that fails keeps
//     the previous snapshot.
//   - Users and their groups are handed out as copies.
//   - OnRevoke's function hears of every user who loses access (disabled, or
//     gone from the file) at the reload that takes it away, and of the users
//     disabled in the file when it is registered; names it fails for are
//     passed again at each later look until it succeeds.
package directory
