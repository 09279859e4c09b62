// Package directory is Keygate's source of users: it reads the users file,
// verifies passwords against argon2id hashes, and reloads the file when it
// changes.
//
// The users file is YAML with one top-level key, users, mapping each username
// to display_name, email, groups, password and disabled. A user without a
// password signs in with passkeys only. Parsing is strict: an unknown key, a
// malformed email or group, or a password that is not a well-formed argon2id
// hash is an error naming the line and the user, and every error is reported
// at once. A hash that does not parse never turns its user into a
// passkey-only user.
//
// The package does not store credentials, sessions or sign-in failures, does
// not rate-limit by user or address (the caller regulates), and never writes
// the users file except to create the first one (CreateDefault). It imports
// only the standard library, x/crypto and the YAML parser; the ui, cmd and
// config packages may import it.
//
// Invariants:
//   - Authenticate costs one argon2id hash whatever the outcome: an unknown,
//     disabled or passwordless user is checked against a dummy hash made at
//     New with the default parameters, so response time does not tell which
//     usernames exist. Every failure is ErrInvalidCredentials.
//   - A hash runs on one goroutine whatever its p (the lanes are filled one
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
package directory
